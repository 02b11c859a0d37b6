"""A generic JSON webhook: any 2xx is success; the Idempotency-Key header lets the receiver drop repeats."""

from __future__ import annotations

import httpx

from alerts.messages import plain_text
from alerts.notifiers._http import post_json
from alerts.notifiers.base import Delivery, PermanentError, SendResult
from alerts.notifiers.robots import unit_for
from yuqing.clock import Clock, SystemClock
from yuqing.paths import config_file
from yuqing.settings import UnitsFile

USER_AGENT = "yuqing-outbox/0.1"


class WebhookNotifier:
    """Recipients are an http(s) URL, or a unit id whose contacts.webhook_url is used."""

    channel = "webhook"

    def __init__(self, units: UnitsFile, clock: Clock | None = None, client: httpx.Client | None = None):
        self.units = units
        self.clock = clock or SystemClock()
        self.client = client or httpx.Client(timeout=15.0)

    def send(self, notification: Delivery) -> SendResult:
        url = self._url(notification.recipient)
        now = self.clock.now()
        body = {
            "idempotency_key": notification.idempotency_key, "notification_id": notification.id,
            "kind": notification.kind, "case_id": notification.case_id, "sent_at": now.isoformat(),
            "text": plain_text(notification.payload, now), "payload": notification.payload,
        }
        response = post_json(self.client, url, body, what=f"webhook {url}",
                             headers={"Idempotency-Key": notification.idempotency_key, "User-Agent": USER_AGENT})
        return SendResult(_receipt(response))

    def _url(self, recipient: str) -> str:
        if recipient.startswith(("http://", "https://")):
            return recipient
        unit = unit_for(self.units, recipient, self.channel)
        if not unit.contacts.webhook_url:
            raise PermanentError(f"unit {unit.id} has no contacts.webhook_url in {config_file('units.yaml')}")
        return unit.contacts.webhook_url


def _receipt(response: httpx.Response) -> str | None:
    """The receiver's id for the delivery when it offers one (JSON ``id``), else none."""
    try:
        data = response.json()
    except ValueError:
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return str(value)[:200] if value is not None else None
