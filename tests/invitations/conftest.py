"""The real SMTP server of the notifications' tests, for the invitation e-mail."""

from tests.notifications.conftest import smtp_server  # noqa: F401  (a fixture, used by name)
