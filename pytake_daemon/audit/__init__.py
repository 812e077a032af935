"""The tamper-evident audit log, security alerts, trends and compliance export."""
