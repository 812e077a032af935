"""Users of a tenant: accounts, roles, enabling and disabling."""
