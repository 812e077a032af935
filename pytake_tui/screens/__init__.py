"""The TUI's screens: login, home, help, and a splash while a saved session is checked."""

from pytake_tui.screens.help import HelpScreen
from pytake_tui.screens.home import HomeScreen
from pytake_tui.screens.login import LoginScreen
from pytake_tui.screens.splash import SplashScreen

__all__ = ["HelpScreen", "HomeScreen", "LoginScreen", "SplashScreen"]
