"""Installation-wide operations: connectivity checks (pytake doctor, GET /api/v1/system/checks)."""
