"""The TUI's screens: login, chat, activity (home), settings, help, and a splash while a saved
session is checked."""

from pytake_tui.screens.chat import ChatScreen
from pytake_tui.screens.help import HelpScreen
from pytake_tui.screens.home import HomeScreen
from pytake_tui.screens.login import LoginScreen
from pytake_tui.screens.settings import SettingsScreen
from pytake_tui.screens.splash import SplashScreen

__all__ = [
    "ChatScreen",
    "HelpScreen",
    "HomeScreen",
    "LoginScreen",
    "SettingsScreen",
    "SplashScreen",
]
