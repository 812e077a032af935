"""A faithful stand-in for Meta's side of the WhatsApp Cloud API (Graph API + webhooks)."""
