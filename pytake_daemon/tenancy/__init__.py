"""Tenants: the isolated businesses PyTake serves."""
