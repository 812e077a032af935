"""HTTP plumbing shared by every domain: the typed route table, middlewares, OpenAPI."""
