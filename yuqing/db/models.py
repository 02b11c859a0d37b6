"""The workflow database: units, users, cases with their audit trail and deadlines, and the outbox.

Content (posts, events) lives in Elasticsearch; who must do what by when lives here. A case change
and the notification it causes are written in one transaction (the transactional outbox).
The schema evolves only by Alembic migrations (``yuqing/db/migrations``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from yuqing.contract import episode


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC and read back aware on every database.

    SQLite keeps no offset and compares datetimes as text, so a local time written as such would sort
    wrongly against a UTC one; converting on the way in makes comparisons in SQL correct everywhere.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class UnitRow(Base):
    """A responsible unit, mirrored from config/units.yaml so cases can reference it."""

    __tablename__ = "units"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64), index=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    region: Mapped[dict[str, Any]] = mapped_column(default=dict)
    contacts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    leaders: Mapped[list[Any]] = mapped_column(default=list)


class User(Base):
    """A person who acts on cases: press officer, unit staff, leader or evaluator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))  # press_office | unit | leader | evaluator | admin
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    slack_user: Mapped[str | None] = mapped_column(String(64), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Case(Base):
    """One incident that a unit must answer: opened from an event by a rule, never twice per event."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    region: Mapped[dict[str, Any]] = mapped_column(default=dict)
    grade: Mapped[str | None] = mapped_column(String(4), nullable=True)
    risk: Mapped[float | None] = mapped_column(Float, nullable=True)
    grade_reasons: Mapped[list[Any]] = mapped_column(default=list)
    rule: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), nullable=True, index=True)
    joint_unit_ids: Mapped[list[Any]] = mapped_column(default=list)
    route_explanation: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(16), default="new", index=True)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    volume: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    responded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime]
    # Added in 0002: what routing, deadlines, re-alerting and escalation need to work from DB state alone.
    source_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    districts: Mapped[list[Any]] = mapped_column(default=list)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    alert_seq: Mapped[int] = mapped_column(Integer, default=0)
    alerted_volume: Mapped[int] = mapped_column(Integer, default=0)
    alerted_grade: Mapped[str | None] = mapped_column(String(4), nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)

    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")
    deadlines: Mapped[list[Deadline]] = relationship(back_populates="case", order_by="Deadline.due_at")
    assessments: Mapped[list[ResponseAssessment]] = relationship(back_populates="case",
                                                                 order_by="ResponseAssessment.id")
    board_messages: Mapped[list[BoardMessage]] = relationship(back_populates="case",
                                                              order_by="BoardMessage.received_at")

    def signed_off(self) -> bool:
        """Signed off (签收) since the latest alert: a reopened case, or one handed to another unit, needs a fresh
        sign-off."""
        return self.acknowledged_at is not None and (self.notified_at is None or self.acknowledged_at >= self.notified_at)

    def highest_escalation(self) -> int:
        """How far up the case has been escalated, for not signing off or for a missed deadline (each has its own
        ladder): a case escalated twice for its report upward is escalated, whatever state it is in."""
        return max([self.escalation_level, *(d.escalation_level for d in self.deadlines)])

    def round_began(self) -> datetime:
        """When the case's current round began: its opening, or its latest reopening."""
        return max((e.at for e in self.events if e.action == "reopened"), default=self.opened_at)

    def closings(self) -> list[tuple[int, datetime]]:
        """Each time the case was closed, with the round it closed (0: opened; n: the n-th reopening)."""
        out: list[tuple[int, datetime]] = []
        n = 0
        for entry in self.events:
            if entry.action == "reopened":
                n += 1
            elif entry.action == "closed":
                out.append((n, entry.at))
        return out

    def closed_after(self, round_: int) -> datetime | None:
        """When the case was first closed since the round ``round_`` began: what ends that round's open duties
        (a round answered, reopened, then closed as a false alarm ends the first round's press conference too)."""
        return min((at for n, at in self.closings() if n >= round_), default=None)

    def open_deadlines(self) -> list[Deadline]:
        """Unmet deadlines a response can still meet: the current round's, and an earlier round's whose round has not
        been closed since (answered, then reopened as 次生舆情: its press conference is still owed — a response in the
        new round left it unmet, and the case was judged late; held late, it is met late). A closed round's are
        history."""
        earlier = [d for d in self.deadlines if d.met_at is None and episode(d.kind) < self.reopen_count]
        closings = self.closings() if earlier else []
        return [d for d in self.deadlines if d.met_at is None and (
            episode(d.kind) >= self.reopen_count or not any(n >= episode(d.kind) for n, _ in closings))]

    def pending_deadlines(self) -> list[Deadline]:
        """The open deadlines still to chase (reminders, escalation, the next deadline named): an earlier round's
        already missed is judged and not chased again."""
        return [d for d in self.open_deadlines() if episode(d.kind) >= self.reopen_count or d.overdue_at is None]


class CaseEvent(Base):
    """The audit trail: every transition and action on a case (who, when, what, why)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True, index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)

    case: Mapped[Case | None] = relationship(back_populates="events")

    def answered_at(self) -> datetime:
        """When what the entry records was published: its time, except for a board reply already given when its case
        opened, which stands at the opening (the deadlines it meets are met from there: a case is not answered
        before it exists) and keeps its own time in ``details['published_at']``. Effect windows and time-to-answer
        figures need the real time."""
        published = (self.details or {}).get("published_at")
        return datetime.fromisoformat(published) if published else self.at


class Deadline(Base):
    """One statutory deadline of a case (e.g. authoritative release within 5 h) and whether it was met."""

    __tablename__ = "deadlines"
    __table_args__ = (UniqueConstraint("case_id", "kind"), Index("ix_deadlines_open", "met_at", "due_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime]
    basis: Mapped[str] = mapped_column(Text, default="")
    met_at: Mapped[datetime | None] = mapped_column(nullable=True)
    overdue_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Added in 0002: reminders and escalation are recomputed from these on every tick.
    starts_at: Mapped[datetime | None] = mapped_column(nullable=True)
    reminded_fractions: Mapped[list[Any]] = mapped_column(default=list)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(nullable=True)

    case: Mapped[Case] = relationship(back_populates="deadlines")


class ResponseAssessment(Base):
    """An evaluator's scores of how a case was handled (yuqing.assessment: the opinion lab's six indicators);
    one row per case and evaluator, the latest scoring — earlier ones stay in the case's audit trail."""

    __tablename__ = "response_assessments"
    __table_args__ = (UniqueConstraint("case_id", "assessor"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assessor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    total: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship(back_populates="assessments")


class BoardMessage(Base):
    """One citizen message on a government message board that a case gathered, with its own reply deadline
    (皖政办〔2015〕12号): a case is answered by its first reply, but every message is owed one. Post ids and times
    only — the title is the de-identified one the post carries; the message's text stays in Elasticsearch."""

    __tablename__ = "board_messages"
    __table_args__ = (UniqueConstraint("case_id", "post_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    post_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime]  # the post's published_at (its fetched_at when the board gave no time)
    kind: Mapped[str] = mapped_column(String(64))  # reply_complaint | reply_suggestion (policy.yaml's kinds)
    due_at: Mapped[datetime]
    basis: Mapped[str] = mapped_column(Text, default="")  # the document, the working days and why this kind
    replied_at: Mapped[datetime | None] = mapped_column(nullable=True)
    replied_precision: Mapped[str | None] = mapped_column(String(8), nullable=True)  # "day": the board gave the day
    replier: Mapped[str | None] = mapped_column(String(200), nullable=True)

    case: Mapped[Case] = relationship(back_populates="board_messages")


class Notification(Base):
    """The outbox: written with the case change that causes it, sent later by the worker, exactly once."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # alert | reminder | escalation | digest
    channel: Mapped[str] = mapped_column(String(16))  # slack | email | wecom | dingtalk | webhook
    recipient: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | retrying | sent | failed | cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]
    scheduled_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ScheduleMark(Base):
    """A periodic duty done once (a day's digest, a silent source's alert): survives restarts, so a
    duty that fell due while the process was down is done once on start, never twice."""

    __tablename__ = "schedule_marks"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
