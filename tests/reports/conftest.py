"""The real SMTP server process of the notifications tests (aiosmtpd writing a Maildir), for the
scheduled e-mail reports."""

from tests.notifications.conftest import smtp_server

__all__ = ["smtp_server"]
