"""The console's calls to the daemon, one module per daemon domain, composed by
:class:`pytake_tui.client.DaemonClient` (the only door the screens use)."""
