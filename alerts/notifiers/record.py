"""Record deliveries to a JSONL file instead of sending them: for replay and the demo without Slack.

Each line is one delivery (time, channel, recipient, rendered text, payload). Recording is
idempotent per key: a repeat attempt finds the earlier line and does not write another.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from alerts.messages import plain_text
from alerts.notifiers.base import Delivery, RetryableError, SendResult
from yuqing.clock import Clock, SystemClock

log = logging.getLogger(__name__)


class RecordNotifier:
    channel = "record"

    def __init__(self, path: Path, clock: Clock | None = None):
        self.path = Path(path)
        self.clock = clock or SystemClock()
        self._lock = threading.Lock()

    def send(self, notification: Delivery) -> SendResult:
        now = self.clock.now()
        line = {
            "at": now.isoformat(), "notification_id": notification.id, "channel": notification.channel,
            "recipient": notification.recipient, "kind": notification.kind, "case_id": notification.case_id,
            "idempotency_key": notification.idempotency_key, "text": plain_text(notification.payload, now),
            "payload": notification.payload,
        }
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a+b") as handle:
                    # A line torn by a crash must not swallow this one: it starts on a line of its own.
                    torn = handle.tell() > 0 and handle.seek(-1, os.SEEK_END) >= 0 and handle.read(1) != b"\n"
                    record = json.dumps(line, ensure_ascii=False, default=str) + "\n"
                    handle.write((("\n" if torn else "") + record).encode("utf-8"))
        except OSError as exc:
            raise RetryableError(f"cannot append to {self.path}: {exc}") from exc
        return SendResult(f"record:{notification.idempotency_key}")

    def find_delivery(self, notification: Delivery) -> SendResult | None:
        for entry in self.entries():
            if entry.get("idempotency_key") == notification.idempotency_key:
                return SendResult(f"record:{notification.idempotency_key}")
        return None

    def entries(self) -> list[dict]:
        """Every recorded delivery, oldest first (a torn last line from a crash is skipped)."""
        if not self.path.exists():
            return []
        out = []
        # (errors="replace": a write torn inside a character must not make every later line unreadable)
        with self._lock, self.path.open(encoding="utf-8", errors="replace") as handle:
            for raw in handle:
                try:
                    out.append(json.loads(raw))
                except json.JSONDecodeError:
                    log.warning("%s: skipping a line that is not JSON (torn write?): %.80r", self.path, raw)
        return out
