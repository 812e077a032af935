"""Invitations: a person joins a tenant with a single-use, expiring code (docs/users.md)."""
