"""Resolve a unit's group-robot webhook from units.yaml and the environment (secrets never sit in config)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from alerts.notifiers.base import PermanentError
from yuqing.clock import Clock, SystemClock
from yuqing.paths import config_file
from yuqing.settings import Unit, UnitsFile


class RobotNotifier:
    """A Chinese group-robot channel (WeCom, DingTalk): recipients are unit ids whose contacts name the
    environment variables holding the webhook (and secret)."""

    channel = "robot"

    def __init__(self, units: UnitsFile, env: Mapping[str, str], clock: Clock | None = None,
                 client: httpx.Client | None = None):
        self.units = units
        self.env = env
        self.clock = clock or SystemClock()
        self.client = client or httpx.Client(timeout=15.0)


def unit_for(units: UnitsFile, recipient: str, channel: str) -> Unit:
    try:
        return units.unit(recipient)
    except KeyError:
        raise PermanentError(f"{channel} recipient {recipient!r} is not a unit id in {config_file('units.yaml')} "
                             f"(the {channel} channel addresses units, whose contacts name the webhook)") from None


def secret_from_env(env: Mapping[str, str], unit: Unit, key: str, what: str) -> str:
    """The value of the environment variable that ``contacts.<key>`` names, or a message saying what to set."""
    name = getattr(unit.contacts, key)
    if not name:
        raise PermanentError(f"unit {unit.id} has no contacts.{key} in {config_file('units.yaml')}; add the name of the "
                             f"environment variable that holds its {what}")
    value = env.get(name)
    if not value:
        raise PermanentError(f"environment variable {name} is not set ({config_file('units.yaml')}, unit {unit.id}, "
                             f"contacts.{key}); set it to the {what}")
    return value
