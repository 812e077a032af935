"""Outbound webhooks: PyTake's events delivered to other systems, signed and retried
(docs/webhooks.md)."""
