"""PyTake's terminal client (Textual). ``pytake tui`` runs ``build_app(server=...).run()``."""

from pytake_tui.app import PyTakeApp, build_app

__all__ = ["PyTakeApp", "build_app"]
