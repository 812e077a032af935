"""A faithful stand-in for Meta's side of the WhatsApp Cloud API (Graph API + webhooks)."""

from pytake_simulator.config import NumberConfig, SimulatorConfig, load_config
from pytake_simulator.simulator import Simulator

__all__ = ["NumberConfig", "Simulator", "SimulatorConfig", "load_config"]
