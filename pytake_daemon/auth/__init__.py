"""Authentication and authorisation: passwords, sessions, API tokens, login throttling."""
