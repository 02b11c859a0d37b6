"""Delivery channels of the outbox, and which recipient string each channel expects.

| channel  | recipient                                   | secret from the environment                    |
|----------|---------------------------------------------|------------------------------------------------|
| slack    | ``#channel``, ``C…`` id, or ``U…`` user (DM) | bot token: ``notifications.slack.token_env``   |
| email    | an e-mail address                           | SMTP login: ``notifications.smtp.*_env``       |
| wecom    | a unit id                                   | webhook URL: unit ``contacts.wecom_webhook_env`` |
| dingtalk | a unit id                                   | ``contacts.dingtalk_webhook_env`` / ``dingtalk_secret_env`` |
| webhook  | a unit id or an http(s) URL                 | none (``contacts.webhook_url``)                |
| record   | anything (written to a JSONL file)          | none                                           |

``unit_recipients`` and ``person_recipients`` turn units.yaml contacts into those pairs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from alerts.notifiers.base import (
    Delivery,
    DeliveryError,
    Notifier,
    PermanentError,
    Reconciling,
    RetryableError,
    SendResult,
)
from alerts.notifiers.dingtalk import DingTalkNotifier
from alerts.notifiers.email import EmailNotifier
from alerts.notifiers.record import RecordNotifier
from alerts.notifiers.slack import SlackNotifier
from alerts.notifiers.webhook import WebhookNotifier
from alerts.notifiers.wecom import WeComNotifier
from yuqing import paths
from yuqing.clock import Clock, SystemClock
from yuqing.settings import Config, Person, Unit

CHANNELS = ("slack", "email", "wecom", "dingtalk", "webhook", "record")

__all__ = [
    "CHANNELS", "Delivery", "DeliveryError", "DingTalkNotifier", "EmailNotifier", "Notifier", "PermanentError",
    "Reconciling", "RecordNotifier", "RetryableError", "SendResult", "SlackNotifier", "WeComNotifier",
    "WebhookNotifier", "build_notifiers", "person_recipients", "record_path", "unit_recipients",
]


def record_path() -> Path:
    """Where the record notifier writes: ``notifications.jsonl`` in the state directory."""
    return paths.state_dir() / "notifications.jsonl"


def build_notifiers(config: Config, env: Mapping[str, str] = os.environ, *, clock: Clock | None = None,
                    record_to: Path | None = None, record_all: bool = False) -> dict[str, Notifier]:
    """One notifier per channel, from settings.yaml and the environment.

    Slack without a bot token in the environment, and e-mail without an SMTP host in settings.yaml, are recorded
    instead of sent (demo, replay);
    ``record_all`` records every channel. Robots and webhooks resolve their unit's secrets when
    sending, so a unit without them fails with a message naming the variable to set.
    """
    clock = clock or SystemClock(config.settings.tz())
    recorder = RecordNotifier(record_to or record_path(), clock)
    if record_all:
        return dict.fromkeys(CHANNELS, recorder)
    slack = config.settings.notifications.slack
    token = env.get(slack.token_env)
    smtp = config.settings.notifications.smtp
    return {
        "slack": SlackNotifier(token, base_url=slack.base_url, clock=clock) if token else recorder,
        "email": EmailNotifier(smtp, env, clock) if smtp.host else recorder,
        "wecom": WeComNotifier(config.units, env, clock),
        "dingtalk": DingTalkNotifier(config.units, env, clock),
        "webhook": WebhookNotifier(config.units, clock),
        "record": recorder,
    }


def delivery_warnings(config: Config, env: Mapping[str, str] = os.environ) -> list[str]:
    """Channels that units or leaders use but that would only be recorded locally, or fail, not delivered."""
    slack = config.settings.notifications.slack
    uses_slack = any(u.contacts.slack_channel or any(p.slack_user for p in u.leaders) for u in config.units.units)
    warnings = []
    if uses_slack and not env.get(slack.token_env):
        warnings.append(f"{slack.token_env} is not set: Slack messages to the units in {config.directory / 'units.yaml'} "
                        f"are written to {record_path()} and marked 'recorded', not delivered. Set it to the bot token "
                        "to deliver them")
    uses_email = any(u.contacts.email or any(p.email for p in u.leaders) for u in config.units.units)
    if uses_email and not config.settings.notifications.smtp.host:
        warnings.append(f"settings.yaml notifications.smtp.host is not set: e-mail to the units and leaders in "
                        f"{config.directory / 'units.yaml'} is written to {record_path()} and marked 'recorded', not "
                        "delivered. Set it (and port, sender) to your mail server to deliver it")
    return warnings + _unset_robot_variables(config, env)


# The contacts that name an environment variable, and what the variable must hold (the robots read them when sending).
_ROBOT_VARIABLES = {"wecom_webhook_env": ("WeCom", "WeCom group robot webhook URL"),
                    "dingtalk_webhook_env": ("DingTalk", "DingTalk robot webhook URL"),
                    "dingtalk_secret_env": ("DingTalk", "DingTalk robot signing secret (SEC…)")}


def _unset_robot_variables(config: Config, env: Mapping[str, str]) -> list[str]:
    """Each unset variable a unit's contacts name: without it every alert on that channel fails for good, found out
    only once an alert is lost (Slack without a token is at least recorded)."""
    units: dict[tuple[str, str], list[str]] = {}
    for unit in config.units.units:
        for key in _ROBOT_VARIABLES:
            name = getattr(unit.contacts, key)
            if name and not env.get(name):
                units.setdefault((name, key), []).append(unit.id)
    return [f"{name} is not set ({config.directory / 'units.yaml'}, contacts.{key} of {', '.join(ids)}): "
            f"{_ROBOT_VARIABLES[key][0]} alerts to {'it' if len(ids) == 1 else 'them'} fail and are given up, not "
            f"delivered. Set it to the {_ROBOT_VARIABLES[key][1]}, or remove contacts.{key}"
            for (name, key), ids in units.items()]


def silent_units(config: Config) -> list[str]:
    """Units with no contact at all: a case routed to one alerts nobody, yet counts as notified."""
    return [f"units.yaml: unit {u.id} ({u.name}) has no contacts, so its cases alert nobody while their "
            "acknowledgement timers run; add a slack_channel, email or webhook under its contacts"
            for u in config.units.units if not unit_recipients(u)]


def unit_recipients(unit: Unit) -> list[tuple[str, str]]:
    """(channel, recipient) for every contact a unit has in units.yaml."""
    contacts = unit.contacts
    pairs: list[tuple[str, str]] = []
    if contacts.slack_channel:
        pairs.append(("slack", contacts.slack_channel))
    if contacts.email:
        pairs.append(("email", contacts.email))
    if contacts.wecom_webhook_env:
        pairs.append(("wecom", unit.id))
    if contacts.dingtalk_webhook_env:
        pairs.append(("dingtalk", unit.id))
    if contacts.webhook_url:
        pairs.append(("webhook", unit.id))
    return pairs


def person_recipients(person: Person) -> list[tuple[str, str]]:
    """(channel, recipient) for a leader: a Slack direct message and e-mail, where configured."""
    pairs: list[tuple[str, str]] = []
    if person.slack_user:
        pairs.append(("slack", person.slack_user))
    if person.email:
        pairs.append(("email", person.email))
    return pairs
