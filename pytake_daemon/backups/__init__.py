"""Backups: compressed, encrypted full and per-tenant backups; storage, restore, drills."""
