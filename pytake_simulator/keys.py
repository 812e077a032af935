"""Typed keys for what the simulator's aiohttp application shares with its handlers."""

from __future__ import annotations

from aiohttp import web

from pytake_simulator.simulator import Simulator

SIMULATOR = web.AppKey("pytake_simulator", Simulator)
