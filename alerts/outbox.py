"""The transactional outbox: notifications are written with the case change that causes them, sent later.

``enqueue`` adds a row in the caller's transaction, so a case change and its notification commit
together or not at all; the unique idempotency key makes a repeated enqueue a no-op. The
``OutboxWorker`` sends due rows:

1. claim — in its own short transaction, a compare-and-set moves the row to ``sending`` and
   ``attempts + 1``; while sending, ``next_attempt_at`` is the lease expiry, so a crashed worker's
   claim lapses and another worker takes the row over. Two workers never both win a claim.
2. reconcile — on every repeat attempt (an earlier one crashed or failed ambiguously), a channel that
   can look up its own history (Slack metadata, the record file) is asked first whether the message
   already arrived; if so the row is marked sent without posting again.
3. send — outside any transaction; the idempotency key goes to the channel where it has a place
   (Slack message metadata, the ``Idempotency-Key`` header of webhooks, the e-mail Message-ID).
4. mark — ``sent`` with ``sent_at`` and ``external_id``; on failure ``retrying`` with exponential
   backoff and jitter (or the server's Retry-After), or ``failed`` with the reason after
   ``max_attempts`` or a permanent error.

The remaining at-least-once window: a worker that dies after the channel accepted a message and
before its "sent" commit leaves a lapsed claim. For Slack and the record file the next attempt finds
the message and does not repeat it; a generic webhook receives the same Idempotency-Key again and can
drop it; e-mail, WeCom and DingTalk have no way to ask or to deduplicate, so there the message can
arrive twice (e-mail with the same Message-ID). The same holds for a timeout whose request did arrive.
Nothing is ever dropped silently: a row is either sent, still due, failed with a reason, or cancelled with one
(``cancel``: a message that must no longer go out, e.g. a unit's call to act on a case since handed to another).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, and_, func, literal, or_, select, update
from sqlalchemy.orm import Session

from alerts.notifiers.base import Delivery, Notifier, PermanentError, Reconciling, RetryableError, SendResult
from yuqing.clock import Clock
from yuqing.contract import json_default
from yuqing.db.models import Notification
from yuqing.db.session import Database, insert_new

log = logging.getLogger(__name__)

KINDS = ("alert", "reminder", "escalation", "digest")
PENDING, SENDING, RETRYING, SENT, FAILED, CANCELLED = "pending", "sending", "retrying", "sent", "failed", "cancelled"
DUE_STATUSES = (PENDING, RETRYING, SENDING)  # SENDING is due only when its lease has lapsed


class OutboxError(ValueError):
    """A notification that cannot be enqueued as given; the message says which argument and why."""


def utc(value: datetime) -> datetime:
    """Store and compare in UTC: SQLite keeps no offset, so every stored time must share one zone."""
    if value.tzinfo is None:
        raise OutboxError(f"time {value.isoformat()} has no time zone; pass timezone-aware datetimes")
    return value.astimezone(UTC)


def as_aware(value: datetime) -> datetime:
    """Times read back from SQLite are naive UTC; PostgreSQL's carry their offset."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# ----------------------------------------------------------------------------- enqueue

MAX_KEY_CHARS = 200


def bounded_key(key: str) -> str:
    """An idempotency key that fits the outbox (MAX_KEY_CHARS): a longer one keeps its start, for a reader, and ends
    in a digest of the whole, so it stays unique and the same on every run. A leader's long e-mail address, or the
    joined steps of one escalation, made a key too long, and the tick raised on it for every case after."""
    if len(key) <= MAX_KEY_CHARS:
        return key
    return f"{key[:150]}#{hashlib.sha1(key.encode('utf-8')).hexdigest()}"


def enqueue(session: Session, *, case_id: int | None, kind: str, channel: str, recipient: str,
            payload: dict[str, Any], idempotency_key: str, scheduled_at: datetime,
            created_at: datetime | None = None) -> Notification | None:
    """Add a pending notification in the caller's transaction; None if the idempotency key already exists.

    The insert is ``insert_new``'s (``ON CONFLICT DO NOTHING`` on the unique key), so two
    transactions racing with one key leave exactly one row and neither fails. ``created_at``
    defaults to ``scheduled_at``; pass the clock's now when scheduling ahead.
    """
    if kind not in KINDS:
        raise OutboxError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    for name, value, limit in (("channel", channel, 16), ("recipient", recipient, 300),
                               ("idempotency_key", idempotency_key, MAX_KEY_CHARS)):
        if not value or len(value) > limit:
            raise OutboxError(f"{name} must be 1..{limit} characters, got {value!r}")
    if not isinstance(payload, dict):
        raise OutboxError(f"payload must be a dict, got {type(payload).__name__}")
    try:
        payload = json.loads(json.dumps(payload, default=json_default, ensure_ascii=False))
    except (TypeError, ValueError) as exc:
        raise OutboxError(f"payload of {idempotency_key!r} cannot be stored as JSON: {exc}") from exc
    scheduled = utc(scheduled_at)
    values = {
        "case_id": case_id, "kind": kind, "channel": channel, "recipient": recipient, "payload": payload,
        "idempotency_key": idempotency_key, "status": PENDING, "attempts": 0, "last_error": None,
        "created_at": utc(created_at) if created_at is not None else scheduled,
        "scheduled_at": scheduled, "next_attempt_at": scheduled,
    }
    added = insert_new(session, Notification, [values], key=["idempotency_key"])
    return added[0] if added else None


# ----------------------------------------------------------------------------- admin views


def status_counts(session: Session) -> dict[str, int]:
    """How many notifications are in each status (pending, sending, retrying, sent, failed)."""
    rows = session.execute(select(Notification.status, func.count()).group_by(Notification.status))
    return {status: count for status, count in rows}


def requeue(session: Session, notification_ids: Sequence[int] | None, *, at: datetime) -> list[int]:
    """Make failed or waiting notifications due at ``at`` with a fresh set of attempts, after an admin fixed the
    cause (a token, a channel name). Waiting: retrying, or pending and already scheduled but held back by a
    pause of their channel. ``None``: every such notification. Returns their ids (so the ones given and left alone
    can be named)."""
    waiting = or_(Notification.status.in_((FAILED, RETRYING)),
                  and_(Notification.status == PENDING, Notification.scheduled_at <= utc(at)))
    statement = update(Notification).where(waiting)
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(list(notification_ids)))
    statement = statement.values(status=PENDING, attempts=0, next_attempt_at=utc(at)).returning(Notification.id)
    return sorted(session.scalars(statement, execution_options={"synchronize_session": False}))


def cancel(session: Session, notification_ids: Sequence[int], *, reason: str) -> list[int]:
    """Keep from going out the given notifications that have not (pending, retrying, failed — a retry would send it);
    the row stays, ``cancelled`` with ``reason`` (and the error of an attempt that failed before), as the record of
    what was not sent and why. One being sent right now is left to finish. Returns the ids cancelled, in order (RETURNING
    gives PostgreSQL's order of update, not the ids')."""
    if not notification_ids:
        return []
    said = reason[:1000]
    statement = (update(Notification)
                 .where(Notification.id.in_(list(notification_ids)),
                        Notification.status.in_((PENDING, RETRYING, FAILED)))
                 .values(status=CANCELLED,
                         last_error=func.coalesce(literal(f"{said}（此前：") + Notification.last_error + "）", said))
                 .returning(Notification.id))
    return sorted(session.scalars(statement, execution_options={"synchronize_session": False}))


def release_held(session: Session, *, channel: str, at: datetime, errors: Sequence[str]) -> list[int]:
    """Make due now what a channel-wide fault holds back, once it is known to be gone (a Slack token accepted
    again at start): the ones retrying with one of ``errors`` in their last error, and the pending ones its pause
    pushed back. Other retries keep their backoff. Returns their ids."""
    held = select(Notification.id).where(
        Notification.channel == channel, Notification.next_attempt_at > utc(at),
        or_(and_(Notification.status == RETRYING, or_(*(Notification.last_error.contains(e) for e in errors))),
            and_(Notification.status == PENDING, Notification.scheduled_at <= utc(at))))
    ids = list(session.scalars(held))
    return requeue(session, ids, at=at) if ids else []


# ----------------------------------------------------------------------------- the worker


@dataclass(frozen=True)
class _Due:
    id: int
    channel: str
    recipient: str
    status: str
    attempts: int


class OutboxWorker:
    """Sends due notifications; any number of workers may run against one database."""

    def __init__(self, database: Database, notifiers: Mapping[str, Notifier], clock: Clock, max_attempts: int = 8,
                 base_backoff_s: float = 5.0, *, max_backoff_s: float = 900.0, lease_s: float = 300.0,
                 jitter: float = 0.2, rng: random.Random | None = None, give_up_after_s: float = 24 * 3600.0):
        """A transient failure (5xx, 429, a timeout) is retried with backoff until both ``max_attempts`` were made
        and ``give_up_after_s`` passed since the notification was due: an hour-long Slack outage delays alerts,
        it does not lose them (design.md: a failing dependency degrades, never loses). A refused Slack token
        pauses the whole channel the same way (retried every 5 minutes). A permanent error (channel_not_found, a
        missing scope) fails at once with its reason; `yuqing notifications retry` sends failed ones again."""
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.give_up_after = timedelta(seconds=give_up_after_s)
        self.database = database
        self.notifiers = dict(notifiers)
        self.clock = clock
        self.max_attempts = max_attempts
        self.base_backoff_s = base_backoff_s
        self.max_backoff_s = max_backoff_s
        self.lease = timedelta(seconds=lease_s)
        self.jitter = jitter
        self.rng = rng or random.Random()

    def run_once(self, limit: int = 100) -> int:
        """Send what is due now (up to ``limit`` rows); return how many were delivered."""
        delivered = 0
        paused: dict[str, datetime | None] = {}
        for due in self._due(limit):
            key = _pause_key(due.channel, due.recipient)
            if key in paused:
                continue
            delivery = self.claim(due)
            if delivery is None:
                continue
            outcome = self.deliver(delivery)
            if outcome == SENT:
                delivered += 1
            elif isinstance(outcome, RetryableError):
                # The channel (or this recipient's robot) is struggling: leave its other rows for later,
                # and when it said how long to wait, make every worker wait that long.
                paused[key] = None
                if outcome.retry_after_s:
                    self._pause(due.channel, due.recipient,
                                self.clock.now() + timedelta(seconds=outcome.retry_after_s))
        return delivered

    def _due(self, limit: int) -> list[_Due]:
        now = utc(self.clock.now())
        statement = (select(Notification.id, Notification.channel, Notification.recipient, Notification.status,
                            Notification.attempts)
                     .where(Notification.status.in_(DUE_STATUSES), Notification.next_attempt_at <= now)
                     .order_by(Notification.next_attempt_at, Notification.id).limit(limit))
        with self.database.transaction() as session:
            return [_Due(*row) for row in session.execute(statement)]

    def claim(self, due: _Due) -> Delivery | None:
        """Take the row for this worker (compare-and-set on status and attempts); None if another won."""
        now = utc(self.clock.now())
        with self.database.transaction() as session:
            claimed = _changed(session, update(Notification)
                               .where(Notification.id == due.id, Notification.status == due.status,
                                      Notification.attempts == due.attempts, Notification.next_attempt_at <= now)
                               .values(status=SENDING, attempts=due.attempts + 1, next_attempt_at=now + self.lease))
            if claimed != 1:
                return None
            row = session.get_one(Notification, due.id)
            if due.status == SENDING:
                log.warning("notification %s (%s): the claim of an earlier attempt lapsed; taking it over",
                            row.id, row.idempotency_key)
            return Delivery(
                id=row.id, case_id=row.case_id, kind=row.kind, channel=row.channel, recipient=row.recipient,
                payload=dict(row.payload or {}), idempotency_key=row.idempotency_key, attempts=row.attempts,
                created_at=as_aware(row.created_at), scheduled_at=as_aware(row.scheduled_at),
                previous_status=due.status,
            )

    def deliver(self, delivery: Delivery) -> str | RetryableError:
        """Send one claimed notification and record the outcome: SENT, FAILED, or the RetryableError."""
        notifier = self.notifiers.get(delivery.channel)
        if notifier is None:
            known = ", ".join(sorted(self.notifiers)) or "none"
            return self._fail(delivery, f"no notifier for channel {delivery.channel!r} (configured: {known})")
        try:
            found = self._already_delivered(notifier, delivery)
            result = found or notifier.send(delivery)
        except RetryableError as exc:
            self._retry_or_fail(delivery, exc)
            return exc
        except PermanentError as exc:
            return self._fail(delivery, str(exc))
        except Exception as exc:  # a bug in rendering or a client library: keep the row, say why, retry
            log.exception("notification %s: unexpected error from the %s notifier", delivery.id, delivery.channel)
            error = RetryableError(f"unexpected {type(exc).__name__}: {exc}")
            self._retry_or_fail(delivery, error)
            return error
        return self._mark_sent(delivery, result, reconciled=found is not None)

    def _already_delivered(self, notifier: Notifier, delivery: Delivery) -> SendResult | None:
        if delivery.attempts <= 1 or not isinstance(notifier, Reconciling):
            return None
        try:
            return notifier.find_delivery(delivery)
        except PermanentError as exc:
            # Cannot look (e.g. no history scope): sending again is at-least-once, never a loss.
            log.warning("notification %s: cannot check for an earlier delivery (%s); sending again", delivery.id, exc)
            return None

    def _mark_sent(self, delivery: Delivery, result: SendResult, *, reconciled: bool) -> str:
        now = utc(self.clock.now())
        with self.database.transaction() as session:
            done = _changed(session, update(Notification)
                            .where(Notification.id == delivery.id, Notification.status == SENDING,
                                   Notification.attempts == delivery.attempts)
                            .values(status=SENT, sent_at=now, external_id=(result.external_id or None)))
        if reconciled:
            log.info("notification %s (%s) had already arrived as %s; not sent again",
                     delivery.id, delivery.idempotency_key, result.external_id)
        if not done:
            log.warning("notification %s (%s) was delivered but its claim had lapsed and was taken over; "
                        "the other worker will find it delivered where the channel allows",
                        delivery.id, delivery.idempotency_key)
        return SENT

    def _retry_or_fail(self, delivery: Delivery, error: RetryableError) -> None:
        age = self.clock.now() - delivery.scheduled_at
        if delivery.attempts >= self.max_attempts and age >= self.give_up_after:
            self._fail(delivery, f"gave up after {delivery.attempts} attempts over {age.total_seconds() / 3600:.1f} h; "
                                 f"last error: {error}")
            return
        delay = self.backoff_s(delivery.attempts, error.retry_after_s)
        now = utc(self.clock.now())
        # Every failed attempt is a WARNING: a unit's alert is late, and an operator who filters the log for warnings
        # must see it at the first (backoff grows to one line per 15 min for a message that keeps failing).
        log.warning("notification %s attempt %s failed (%s); next try in %.0f s", delivery.id, delivery.attempts,
                    error, delay)
        self._finish(delivery, status=RETRYING, last_error=str(error)[:2000],
                     next_attempt_at=now + timedelta(seconds=delay))

    def backoff_s(self, attempts: int, retry_after_s: float | None = None) -> float:
        """Exponential backoff with ± ``jitter``, capped; a server's Retry-After is a floor, never shortened."""
        delay = min(self.max_backoff_s, self.base_backoff_s * 2 ** max(0, attempts - 1))
        delay *= 1 + self.rng.uniform(-self.jitter, self.jitter)
        if retry_after_s is not None:
            delay = max(retry_after_s * (1 + self.rng.uniform(0, self.jitter / 2)), 1.0)
        return delay

    def _fail(self, delivery: Delivery, reason: str) -> str:
        log.error("notification %s (%s to %s) failed: %s", delivery.id, delivery.channel, delivery.recipient, reason)
        self._finish(delivery, status=FAILED, last_error=reason[:2000], next_attempt_at=utc(self.clock.now()))
        return FAILED

    def _finish(self, delivery: Delivery, **values: Any) -> None:
        with self.database.transaction() as session:
            done = _changed(session, update(Notification)
                            .where(Notification.id == delivery.id, Notification.status == SENDING,
                                   Notification.attempts == delivery.attempts)
                            .values(**values))
        if not done:
            log.warning("notification %s: claim lapsed before its outcome (%s) was recorded", delivery.id,
                        values.get("status"))

    def _pause(self, channel: str, recipient: str, until: datetime) -> None:
        """Honour a Retry-After for the whole channel (or robot): due rows move to ``until``, attempts unchanged."""
        conditions = [Notification.channel == channel, Notification.status.in_((PENDING, RETRYING)),
                      Notification.next_attempt_at < utc(until)]
        if _pause_key(channel, recipient) != channel:
            conditions.append(Notification.recipient == recipient)
        with self.database.transaction() as session:
            _changed(session, update(Notification).where(*conditions).values(next_attempt_at=utc(until)))


def _changed(session: Session, statement: Executable) -> int:
    """Run an UPDATE as a compare-and-set and say how many rows it changed (0: someone else got there)."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return cast(CursorResult[Any], result).rowcount


def _pause_key(channel: str, recipient: str) -> str:
    """Slack and SMTP limits are per workspace or server; robots and webhooks are limited per URL."""
    return channel if channel in ("slack", "email", "record") else f"{channel}:{recipient}"
