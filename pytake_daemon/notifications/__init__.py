"""The notification center: who is told what, kept per user, sent to consoles and by e-mail."""
