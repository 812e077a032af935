"""PostgreSQL plumbing: connection endpoints, the pool, tenant transactions, migrations."""
