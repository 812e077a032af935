"""Durable follow-up work: rows written in the same transaction as their cause, claimed later."""
