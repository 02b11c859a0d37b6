"""What every channel shares: the snapshot a notifier sends, its result, and the two kinds of failure.

The outbox worker decides about retries; a notifier only says whether trying again can help
(``RetryableError``, optionally with the server's Retry-After) or cannot (``PermanentError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Delivery:
    """A detached snapshot of one outbox row, safe to hand to a notifier outside any transaction.

    Field names match ``yuqing.db.models.Notification`` so code written against either reads the same.
    ``attempts`` counts this attempt too: a value above 1 means an earlier attempt may have arrived.
    """

    id: int
    case_id: int | None
    kind: str
    channel: str
    recipient: str
    payload: dict[str, Any]
    idempotency_key: str
    attempts: int
    created_at: datetime
    scheduled_at: datetime
    previous_status: str = "pending"


@dataclass(frozen=True)
class SendResult:
    """What the channel answered: its own id of the message (Slack ``channel/ts``, a Message-ID, …)."""

    external_id: str | None = None


class DeliveryError(Exception):
    """Base of the errors a notifier raises; the message is shown to admins as the failure reason."""


class RetryableError(DeliveryError):
    """Trying again later can succeed (5xx, 429, timeouts, refused connections)."""

    def __init__(self, message: str, retry_after_s: float | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentError(DeliveryError):
    """Trying again cannot help (unknown channel, bad credentials, missing configuration)."""


@runtime_checkable
class Notifier(Protocol):
    """One delivery channel. ``send`` must either deliver and return, or raise a ``DeliveryError``."""

    def send(self, notification: Delivery) -> SendResult: ...


@runtime_checkable
class Reconciling(Protocol):
    """A channel that can tell whether an earlier, unconfirmed attempt already arrived.

    The worker asks before every repeat attempt, so a crash or an ambiguous error between
    "sent" and "marked sent" does not post the same message twice.
    """

    def find_delivery(self, notification: Delivery) -> SendResult | None: ...
