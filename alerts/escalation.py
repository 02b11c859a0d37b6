"""Reminders, overdue deadlines, escalation to leaders and the leaders' daily digest, recomputed from the
database on every tick.

Nothing here depends on a job having been scheduled for it: each tick asks "what is due by now that the
database says has not happened yet?", does it, and writes down that it did, in the same transaction as
the notification. So a restart — even kill -9 — neither misses a reminder nor sends one twice; a duty
that fell due while the process was down is done once on the first tick after start (the latest of
several missed reminders of one deadline stands for them all).

A case's board messages are chased like its deadlines (alerts/board.py): each citizen is owed a reply by his
message's own due time (皖政办〔2015〕12号), so the unit is reminded before the messages of a due time fall due, hears
how many when they fall overdue unanswered, and its leaders are escalated to as for a missed deadline — each once per
due time, written down in the case's timeline (the ``messages_due`` of a ``reminded``, ``messages_overdue`` or
``escalated`` entry); after a 转办 the new unit hears once of those already overdue (``messages_handed_over``). The
case-level reply deadline stays met by the unit's first answer to the case (回应, judged
by 回应及时率); the citizens' replies are judged message by message (yuqing/evaluation.py judge_message), so they are
chased message by message too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, selectinload

from alerts.cases import (
    CLOSED,
    SYSTEM,
    UNANSWERED,
    case_payload,
    close,
    is_acknowledged,
    leader_recipients,
    local,
    queue,
    record,
    unit_recipients,
)
from alerts.deadlines import reminder_times
from alerts.messages import RESPONSIBLE_ROLE, one_line
from alerts.routing import Router
from yuqing.clock import Clock
from yuqing.contract import (
    CASE_STATE_NAMES,
    MAJOR_GRADES,
    Grade,
    base_kind,
    deadline_kind_name,
    duration_text,
)
from yuqing.db.models import BoardMessage, Case, Deadline, Notification, ScheduleMark
from yuqing.db.session import Database
from yuqing.settings import Config, Unit

log = logging.getLogger(__name__)

DIGEST_LOOKBACK = timedelta(days=8)
CLOSED_IN_DIGEST = timedelta(days=1)
DIGEST_LISTED = 50  # cases a digest lists; it counts the rest
GRADE_ORDER = {"I": 0, "II": 1, "III": 2, "IV": 3}


class EscalationConfigError(ValueError):
    """policy.yaml escalation settings cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class Due:
    """One duty of a case and when it falls due."""

    at: datetime
    what: str  # reminder | overdue | deadline_escalation | messages_reminder | messages_overdue | messages_escalation
    #            | messages_handed_over | unack_escalation | settle
    deadline_id: int | None = None
    fraction: float | None = None
    level: int = 0
    messages_due: datetime | None = None  # the due time of the board messages a messages_* duty is about
    handed_over: datetime | None = None  # the 转办 a messages_handed_over duty tells the new unit about
    held_from: datetime | None = None  # when it fell due inside quiet hours (policy.yaml escalation.quiet_hours)


@dataclass(frozen=True)
class _Climb:
    """One step of an escalation ladder: the level reached, whose leaders, why, and the outbox key of the step."""

    level: int
    target: Unit
    why: str
    key: str
    deadline: str | None = None
    messages_due: str | None = None  # the board messages' due time (local ISO) whose replies are owed
    messages: int = 0  # how many of them are unanswered
    held: str = ""  # the quiet-hours note (_held_note) when the step waited for their end


def unanswered_messages(case: Case) -> list[BoardMessage]:
    """The case's board messages still owed a reply (a reply is noted on its row once its time has come)."""
    return [m for m in case.board_messages if m.replied_at is None]


def _owed_by_due(case: Case) -> dict[datetime, list[BoardMessage]]:
    """The unanswered board messages grouped by their due time, earliest first: messages of one day fall due together,
    and each due time crossed is told once."""
    groups: dict[datetime, list[BoardMessage]] = {}
    for message in sorted(unanswered_messages(case), key=lambda m: m.due_at):
        groups.setdefault(message.due_at, []).append(message)
    return groups


BOARD_GROUPS_SHOWN = 3  # due times of unanswered board messages a message's 时限 block lists
SUBJECTS_SHOWN = 3  # subjects named for each


def owed_deadlines(case: Case, tz: ZoneInfo, until: datetime | None = None) -> list[dict[str, Any]]:
    """The unanswered board messages as entries of a payload's deadlines, one per due time (the earliest, up to
    ``until`` when given), each naming its first subjects (de-identified at ingestion): an escalation said 12 messages
    were overdue beside 答复投诉 已按时完成, the case's reply met by its first answer, and named none of them."""
    out = []
    for due_at, owed in list(_owed_by_due(case).items())[:BOARD_GROUPS_SHOWN]:
        if until is not None and due_at >= until:
            break
        subjects = "；".join(one_line(m.title, 30) or f"留言 {m.post_id}" for m in owed[:SUBJECTS_SHOWN])
        more = f" 等 {len(owed)} 条" if len(owed) > SUBJECTS_SHOWN else ""
        out.append({"kind": f"{len(owed)} 条网民留言答复", "due_at": local(due_at, tz), "met_at": None,
                    "basis": f"未答复：{subjects}{more}；{owed[0].basis}"})
    return out


# A deadline is missed only after its due time; its overdue duties fall due this long after it.
JUST_AFTER = timedelta(microseconds=1)
# The duties that send a message and can wait for the end of quiet hours (a deadline still goes overdue on time).
HELD_IN_QUIET_HOURS = frozenset({"reminder", "messages_reminder", "messages_overdue", "messages_handed_over",
                                 "deadline_escalation", "messages_escalation", "unack_escalation"})


@dataclass
class TickReport:
    reminders: int = 0
    overdue: int = 0
    escalations: int = 0
    digests: int = 0
    notifications: int = 0
    closed: int = 0
    lines: list[str] = field(default_factory=list)

    def add(self, other: TickReport) -> None:
        """Count in what one case's duties did (once their transaction committed)."""
        for name in ("reminders", "overdue", "escalations", "digests", "notifications", "closed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.lines += other.lines


def _in_digest(fire: datetime) -> tuple[ColumnElement[bool], ...]:
    """The cases a digest fired at ``fire`` lists: opened by then, and open or closed within the last day."""
    return Case.opened_at <= fire, or_(Case.state != CLOSED, Case.closed_at >= fire - CLOSED_IN_DIGEST)


def last_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The latest time ≤ now at which a cron schedule fired (within the look-back)."""
    fire = trigger.get_next_fire_time(None, now - DIGEST_LOOKBACK)
    last = None
    for _ in range(100_000):
        if fire is None or fire > now:
            break
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return last


def leaderless_units(config: Config) -> list[str]:
    """One warning naming the units that answer cases but list no leaders in units.yaml: escalating their cases skips
    their own heads and goes first to the level above (A市人社局's silence went straight to the city office)."""
    escalator = Escalator(config)
    joint = set(config.units.joint_units)
    skipped = [f"{u.id} → {chain[0].id if (chain := escalator.leader_chain(u.id)) else 'nobody'}"
               for u in config.units.units if not u.leaders and u.id not in joint
               and escalator.router.coordinating_office(u) not in (None, u)]
    if not skipped:
        return []
    return [f"units.yaml: {len(skipped)} unit(s) list no leaders, so an escalation of their cases goes first to the "
            f"leaders of the level above ({'; '.join(skipped)}); add leaders: to each unit whose own head should hear "
            "first"]


def short_escalation_chains(config: Config) -> list[str]:
    """Grades whose escalation.levels exceed the deepest chain of leaders units.yaml gives: their escalations stop
    below the level policy.yaml promises (a district-only deployment's grade II stopped at its own office), unsaid."""
    escalator = Escalator(config)
    short: dict[tuple[str, ...], list[str]] = {}
    for grade in Grade:
        wanted = config.policy.escalation.levels[grade]
        longest = max((escalator.leaders_above(u.id, grade.value) for u in config.units.units), key=len)
        if len(longest) < wanted:
            short.setdefault(tuple(u.id for u in longest), []).append(f"{grade.value}: {wanted}")
    return [f"policy.yaml escalation.levels ({', '.join(grades)}) climb further than units.yaml's leaders reach: at "
            f"most {len(chain)} level(s) ({' → '.join(chain) or 'no unit lists leaders'}), so such escalations stop at "
            f"{chain[-1] if chain else 'nobody'}. To reach the level above, add its units with leaders (and parent: "
            "linking yours to them); else lower the levels to what the hierarchy has"
            for chain, grades in short.items()]


class Escalator:
    """Applies policy.yaml reminders and escalation to every open case."""

    def __init__(self, config: Config, router: Router | None = None):
        self.config = config
        self.router = router or Router(config.units)
        self.policy = config.policy
        self.tz = config.settings.tz()
        try:
            self.digest_trigger = CronTrigger.from_crontab(self.policy.escalation.digest_cron, timezone=self.tz)
        except ValueError as exc:
            raise EscalationConfigError(
                f"policy.yaml: escalation.digest_cron {self.policy.escalation.digest_cron!r} is not a cron "
                f"expression ({exc}); write five fields, e.g. '0 8 * * *' for 08:00 daily") from exc

    # ----------------------------------------------------------------------------- planning

    def leader_chain(self, unit_id: str | None, grade: str | None = None) -> list[Unit]:
        """Who escalation reaches, level by level: the unit's leaders, then those of its level's government office,
        then the parent's (a unit without leaders is passed over for the next that has some). 分级负责 (61号): a case below grade II
        stays with the government of its own level — a city bureau without leaders went to the city office and
        then to the province for a grade III case; only a major case reaches past its city. How many levels it
        climbs is policy.yaml escalation.levels of its grade (a case without one as IV)."""
        levels = self.policy.escalation.levels[Grade(grade) if grade in GRADE_ORDER else Grade.IV]
        return self.leaders_above(unit_id, grade)[:levels]

    def leaders_above(self, unit_id: str | None, grade: str | None = None) -> list[Unit]:
        """Every level of leaders ``leader_chain`` could climb for a case of ``grade``, before escalation.levels."""
        if unit_id is None:
            return []
        chain = self.router.chain(unit_id)
        # 属地管理: the government of the unit's own level comes next (A3区教育局 → A3区人民政府办公室, not 市教育局 first;
        # 61号: 本级政府办公厅（室）会同宣传部门做好协调). For a city bureau that office is its parent anyway.
        office = self.router.coordinating_office(chain[0]) if chain else None
        if office is not None and all(u.id != office.id for u in chain):
            chain.insert(1, office)
        if grade not in MAJOR_GRADES and chain and chain[0].level != "province":
            chain = [u for u in chain if u.level != "province"]
        return [u for u in chain if u.leaders]

    def _level(self, unit_id: str | None) -> str | None:
        unit = self.router.by_id.get(unit_id or "")
        return unit.level if unit is not None else None

    def plan(self, case: Case, now: datetime | None = None) -> list[Due]:
        """Every pending duty of a case with its time, past or future, in time order. Given ``now`` inside quiet hours,
        a duty that fell due before them (a tick after a stop) waits for their end too."""
        if case.state == CLOSED:
            return []
        esc = self.policy.escalation
        chain = self.leader_chain(case.unit_id, case.grade)
        out: list[Due] = []
        # Not an earlier round's deadline: reopening a case closed before its deadline escalated that one at once.
        for d in case.pending_deadlines():
            start = d.starts_at or case.opened_at
            for fraction, at in reminder_times(start, d.due_at, self.policy.reminders.at_fractions):
                if fraction not in (d.reminded_fractions or []):
                    out.append(Due(at, "reminder", d.id, fraction))
            # Late means after the due time, as everywhere (an answer at the due time is on time): the overdue
            # duties fall due the moment after it.
            late = d.due_at + JUST_AFTER
            if d.overdue_at is None:
                out.append(Due(late, "overdue", d.id))
            out += [Due(at, "deadline_escalation", d.id, level=level)
                    for level, at in self._steps(case, d.escalation_level, d.escalated_at, late, len(chain))]
        out += self._message_duties(case, chain)
        # An internal report upward already missed does not hold an answered case open: it is judged late (报告不及时)
        # either way, and a report made weeks on would change nothing.
        # Nor does a case close itself while a citizen is still owed a reply to his board message, due or not yet:
        # one message's reply answered the case, and closing it hid the 30 others nobody answered (review, H1).
        if (case.state == "responded" and esc.close_answered_after_days and case.responded_at is not None
                and not any(base_kind(d.kind) != "report_upward" or d.overdue_at is None
                            for d in case.pending_deadlines())
                and not unanswered_messages(case)):
            # A week of nothing new: counted from the last thing that happened — the response, a deadline met
            # late, a citizen's reply, the event growing (it moves updated_at).
            latest = max([case.responded_at, case.updated_at, *(d.met_at for d in case.deadlines if d.met_at),
                          *(m.replied_at for m in case.board_messages if m.replied_at)])
            out.append(Due(latest + timedelta(days=esc.close_answered_after_days), "settle"))
        if case.state in UNANSWERED and not is_acknowledged(case) and case.escalation_level < len(chain):
            if case.escalation_level == 0 or case.escalated_at is None:
                at = (case.notified_at or case.opened_at) + timedelta(minutes=esc.unacknowledged_after_minutes)
            else:
                at = case.escalated_at + timedelta(minutes=esc.next_level_after_minutes)
            out.append(Due(at, "unack_escalation", level=case.escalation_level + 1))
        quiet = esc.quiet_hours
        # An ungraded case as IV, as leader_chain climbs. Nothing of a sensitive one (deaths, missing, a mass incident)
        # within a day of its 2 h report upward, until that is made: at 23:00 a fire with 3 dead reached nobody until
        # 07:30 (a review). Its board messages' notices a week on wait as any others.
        grade = case.grade if case.grade in GRADE_ORDER else Grade.IV.value
        if quiet is not None and grade in quiet.grades:
            urgent_until = max((d.due_at + timedelta(days=1) for d in case.deadlines
                                if base_kind(d.kind) == "report_upward" and d.met_at is None), default=None)
            out = [d if urgent_until is not None and d.at < urgent_until else self._hold(d, now) for d in out]
        order = {"reminder": 0, "messages_reminder": 0, "overdue": 1, "messages_overdue": 1, "messages_handed_over": 1,
                 "deadline_escalation": 2, "messages_escalation": 2, "unack_escalation": 3, "settle": 4}
        return sorted(out, key=lambda d: (d.at, order[d.what]))

    def _hold(self, due: Due, now: datetime | None) -> Due:
        """``due`` moved to the end of the quiet hours it falls in. One already due (a tick, or the first after a stop)
        is judged by ``now``: held from one night, it went out inside the next after a stop that long; due by day and
        found at night, it waits for the morning too."""
        if due.what not in HELD_IN_QUIET_HOURS:
            return due
        already = now is not None and due.at <= now
        end = (self._quiet_end(now) if already and now is not None else None) or self._quiet_end(due.at)
        return replace(due, at=end, held_from=due.at) if end is not None else due

    def _quiet_end(self, at: datetime) -> datetime | None:
        """The end of the quiet hours ``at`` falls in (they may span midnight), or None outside them."""
        quiet = self.policy.escalation.quiet_hours
        if quiet is None:
            return None
        moment = at.astimezone(self.tz)
        clock, day = moment.time(), moment.date()
        if quiet.start < quiet.end:
            inside = quiet.start <= clock < quiet.end
        else:
            inside = clock >= quiet.start or clock < quiet.end
            if clock >= quiet.start:
                day += timedelta(days=1)
        return datetime.combine(day, quiet.end, tzinfo=self.tz) if inside else None

    def _held_note(self, items: list[Due], now: datetime) -> str:
        """What a message says when it waited for the end of quiet hours: when it fell due, when it went."""
        held = [i for i in items if i.held_from is not None]
        if not held:
            return ""
        first = min(i.held_from for i in held if i.held_from is not None).astimezone(self.tz)
        planned = held[0].at
        if self._quiet_end(first) == planned and now - planned < timedelta(hours=1):  # the same night, by the clock
            return f"（夜间免打扰：{first:%H:%M} 到期，顺延至 {planned.astimezone(self.tz):%H:%M} 发送）"
        # held longer — a stop, or found at night after one: when it really went, with the days
        return f"（夜间免打扰：{first:%m-%d %H:%M} 到期，顺延至 {now.astimezone(self.tz):%m-%d %H:%M} 发送）"

    def _skipped(self, what: str, fractions: list[float], items: list[Due], due_at: datetime,
                 now: datetime) -> tuple[str, dict[str, str]]:
        """Why reminders found due only after their deadline are not sent, and when quiet hours held them (details).
        One held by quiet hours past its deadline was said to have fallen due 无人值守, as if nobody were on duty."""
        said, due_local = f"{what}：{'、'.join(f'{f:.0%}' for f in fractions)} 的提醒", due_at.astimezone(self.tz)
        held = [i for i in items if i.held_from is not None]
        if held:
            first = min(i.held_from for i in held if i.held_from is not None).astimezone(self.tz)
            until = max(i.at for i in held).astimezone(self.tz)
            ended = f"{until:%H:%M}" if self._quiet_end(first) == until else f"{until:%m-%d %H:%M}"  # the same night
            return (f"{said}于 {first:%m-%d %H:%M} 到期，适逢夜间免打扰，顺延至 {ended}，其时期限"
                    f"（{due_local:%m-%d %H:%M}）已过，不再提醒", {"held_until": until.isoformat()})
        first = min(i.at for i in items).astimezone(self.tz)
        return (f"{said}于 {first:%m-%d %H:%M} 到期时未发出，至 {now.astimezone(self.tz):%m-%d %H:%M} 期限"
                f"（{due_local:%m-%d %H:%M}）已过，不再提醒", {})

    def _message_duties(self, case: Case, chain: list[Unit]) -> list[Due]:
        """The duties of the case's unanswered board messages: for each due time, the reminders of a deadline (not
        while an unmet deadline of the case falls due then: its reminders say the same, with the messages' count;
        nor, once it is met, those it already sent — the 50 % one went out again at 77 % with the replies), telling the
        unit once they are overdue, and the escalation ladder of a missed deadline (policy.yaml
        escalation.on_overdue), each step once — the timeline says which were done."""
        told = {(e.details or {}).get("messages_due") for e in case.events if e.action == "messages_overdue"}
        reminded = {(e.details["messages_due"], fraction) for e in case.events
                    if e.action in ("reminded", "reminder_skipped") and (e.details or {}).get("messages_due")
                    for fraction in e.details.get("fractions", [])}
        chased = {d.due_at for d in case.pending_deadlines()}
        covered = {(d.due_at, fraction) for d in case.deadlines for fraction in d.reminded_fractions or []}
        climbed: dict[str, tuple[int, datetime]] = {}
        for e in case.events:
            if e.action == "escalated":
                for due, level in ((e.details or {}).get("messages_due") or {}).items():
                    if level >= climbed.get(due, (0, e.at))[0]:
                        climbed[due] = (level, e.at)
        out: list[Due] = []
        for due_at, owed in _owed_by_due(case).items():
            late, key = due_at + JUST_AFTER, local(due_at, self.tz)
            if due_at not in chased:
                start = min(m.received_at for m in owed)
                out += [Due(at, "messages_reminder", fraction=fraction, messages_due=due_at)
                        for fraction, at in reminder_times(start, due_at, self.policy.reminders.at_fractions)
                        if (key, fraction) not in reminded and (due_at, fraction) not in covered]
            if key not in told:
                out.append(Due(late, "messages_overdue", messages_due=due_at))
            level, at = climbed.get(key or "", (0, late))
            out += [Due(step, "messages_escalation", level=n, messages_due=due_at)
                    for n, step in self._steps(case, level, at if level else None, late, len(chain))]
        return out + self._handover_duty(case)

    def _steps(self, case: Case, level: int, last: datetime | None, late: datetime, top: int) -> list[tuple[int, datetime]]:
        """The next steps of a missed deadline's ladder (policy.yaml escalation.on_overdue), level and time: the next
        level at the miss, then each after next_level_after_minutes; for a grade in all_levels_on_overdue every level
        left at the miss — a major case's city heard only when three steps of 120 minutes had passed."""
        esc = self.policy.escalation
        if not esc.on_overdue or level >= top:
            return []
        if self._at_once(case):
            return [(n, late) for n in range(level + 1, top + 1)]
        at = late if level == 0 or last is None else last + timedelta(minutes=esc.next_level_after_minutes)
        return [(level + 1, max(at, late))]

    def _at_once(self, case: Case) -> bool:
        return case.grade in self.policy.escalation.all_levels_on_overdue

    def _handover_duty(self, case: Case) -> list[Due]:
        """After a 转办, the new unit is told once how many messages are overdue, when the unit before it was told of
        some that are still unanswered: their notices are done once per due time, so it would never hear of them."""
        handover = max((e.at for e in case.events if e.action == "reassigned"), default=None)
        if handover is None or any(e.action == "messages_handed_over" and (e.details or {}).get("handed_over")
                                   == local(handover, self.tz) for e in case.events):
            return []
        told = {(e.details or {}).get("messages_due") for e in case.events
                if e.action == "messages_overdue" and e.at <= handover}
        owed = any(local(due_at, self.tz) in told for due_at in _owed_by_due(case))
        return [Due(handover, "messages_handed_over", handed_over=handover)] if owed else []

    def next_due(self, session: Session, now: datetime) -> datetime | None:
        """The earliest duty still ahead of ``now`` across all open cases (replay jumps the clock to it)."""
        times = [due.at for case in self._open_cases(session) for due in self.plan(case, now)]
        ahead = [t for t in times if t > now]
        pending_now = [t for t in times if t <= now]
        if pending_now:
            return now
        return min(ahead, default=None)

    def next_digest(self, session: Session, now: datetime) -> datetime | None:
        """The next digest time, when that digest would list a case (replay stops the clock there, so the
        leaders' 08:00 digest goes out at 08:00 even on a day without other duties)."""
        fire = self.digest_trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
        if fire is None:
            return None
        listed = session.scalar(select(Case.id).where(*_in_digest(fire)).limit(1))
        return fire if listed is not None else None

    @staticmethod
    def _open_cases(session: Session) -> list[Case]:
        query = (select(Case).where(Case.state != CLOSED)
                 .options(selectinload(Case.deadlines), selectinload(Case.events), selectinload(Case.board_messages))
                 .order_by(Case.id))
        return list(session.scalars(query))

    # ----------------------------------------------------------------------------- doing

    def tick(self, database: Database, clock: Clock, *, digests: bool = True) -> TickReport:
        """Do every duty that is due; one transaction per case so one bad case cannot block the rest.

        ``digests=False`` leaves the daily digest to its own cron job (``yuqing run``).
        """
        now = clock.now()
        report = TickReport()
        with database.sessions() as session:
            ids = list(session.scalars(select(Case.id).where(Case.state != CLOSED).order_by(Case.id)))
        for case_id in ids:
            done = TickReport()  # counted once committed: a case rolled back did nothing
            try:
                with database.transaction() as session:
                    case = session.get(Case, case_id, with_for_update=True)
                    if case is not None:
                        self._tick_case(session, case, now, done)
                report.add(done)
            except (OperationalError, InterfaceError):
                raise  # the database itself is gone: every case would fail alike
            except Exception as exc:  # a defect in one case's duties must not stop every case after it
                log.exception("tick: case %s failed and was rolled back; the other cases go on", case_id)
                report.lines.append(f"case {case_id}: its duties failed ({type(exc).__name__}: {exc}); see the log")
        if digests:
            with database.transaction() as session:
                self._digest(session, now, report)
        return report

    def digest(self, database: Database, clock: Clock) -> TickReport:
        """Send the latest due digest if it has not gone out yet (a digest missed while down goes once)."""
        report = TickReport()
        with database.transaction() as session:
            self._digest(session, clock.now(), report)
        return report

    def _tick_case(self, session: Session, case: Case, now: datetime, report: TickReport) -> None:
        due = [d for d in self.plan(case, now) if d.at <= now]
        if not due:
            return
        deadlines = {d.id: d for d in case.deadlines}
        reminders: dict[int, list[Due]] = {}
        message_reminders: dict[datetime, list[Due]] = {}
        for item in due:
            if item.what == "reminder" and item.deadline_id is not None:
                reminders.setdefault(item.deadline_id, []).append(item)
            if item.what == "messages_reminder" and item.messages_due is not None:
                message_reminders.setdefault(item.messages_due, []).append(item)
        for deadline_id, items in reminders.items():
            self._remind(session, case, deadlines[deadline_id], items, now, report)
        for due_at, items in message_reminders.items():
            self._remind_messages(session, case, due_at, items, now, report)
        for item in due:
            if item.what == "overdue" and item.deadline_id is not None:
                self._overdue(session, case, deadlines[item.deadline_id], now, report)
            if item.what == "messages_overdue" and item.messages_due is not None:
                self._messages_overdue(session, case, item.messages_due, self._held_note([item], now), now, report)
            if item.what == "messages_handed_over" and item.handed_over is not None:
                self._messages_handed_over(session, case, item.handed_over, self._held_note([item], now), now, report)
        climbs = [self._climb(case, item, now, deadlines[item.deadline_id] if item.deadline_id is not None else None)
                  for item in due if item.what in ("deadline_escalation", "messages_escalation", "unack_escalation")]
        # One message per leader: escalations due together (a missed deadline and a case nobody signed off, or
        # several deadlines missed while the scheduler was down) reach the same leaders once, with every reason.
        by_target: dict[str, list[_Climb]] = {}
        for climb in climbs:
            by_target.setdefault(climb.target.id, []).append(climb)
        for group in by_target.values():
            self._escalate(session, case, group, now, report)
        for item in due:
            if item.what == "settle":
                days = self.policy.escalation.close_answered_after_days
                close(session, case.id, SYSTEM, now, reason=f"回应后 {days:g} 天无新的进展，自动结案"
                                                            "（事态再扩大时重新打开）")
                report.closed += 1
                report.lines.append(f"case {case.id} closed: answered, and nothing new for {days:g} days")

    def _remind_unit(self, session: Session, case: Case, text: str, now: datetime, *, key: str,
                     extra: dict[str, Any]) -> list[Notification]:
        """Queue a reminder to the unit holding the case (its copy carries the 签收/登记回应 buttons): the one way
        deadline reminders and the board messages' notices reach it."""
        unit = self.router.by_id.get(case.unit_id or "")
        payload = case_payload(case, self.config, "reminder", summary=text,
                               extra={**extra, "recipient_unit": case.unit_id, "recipient_role": RESPONSIBLE_ROLE})
        payload["deadlines"] += owed_deadlines(case, self.tz)
        return queue(session, case=case, kind="reminder", recipients=unit_recipients(unit) if unit else [],
                     payload=payload, key=key, at=now)

    def _remind(self, session: Session, case: Case, deadline: Deadline, items: list[Due], now: datetime,
                report: TickReport) -> None:
        """Send the latest reminder that is due; earlier ones missed while down are covered by it."""
        fractions = sorted(i.fraction for i in items if i.fraction is not None)
        deadline.reminded_fractions = sorted({*(deadline.reminded_fractions or []), *fractions})
        if now > deadline.due_at:
            reason, held = self._skipped(deadline_kind_name(deadline.kind), fractions, items, deadline.due_at, now)
            record(session, case, at=now, actor=SYSTEM, action="reminder_skipped", reason=reason,
                   details={"deadline": deadline.kind, "fractions": fractions, **held})
            return
        fraction = fractions[-1]
        left = duration_text((deadline.due_at - now).total_seconds())
        due_local = deadline.due_at.astimezone(self.tz)
        # the board messages due with it are reminded by this one message (_message_duties)
        owed = len(_owed_by_due(case).get(deadline.due_at, []))
        text = (f"提醒：{deadline_kind_name(deadline.kind)}期限已用去 {fraction:.0%}，还剩 {left}"
                f"（截止 {due_local:%m-%d %H:%M}；{deadline.basis}）" + (f"；{owed} 条网民留言尚未答复" if owed else "")
                + self._held_note(items, now))
        board = {"board_messages": {"due_at": local(deadline.due_at, self.tz), "unanswered": owed}} if owed else {}
        sent = self._remind_unit(session, case, text, now, key=f"reminder:{case.id}:{deadline.id}:{fraction}",
                                 extra={"deadline": {"kind": deadline.kind, "due_at": local(deadline.due_at, self.tz),
                                                     "basis": deadline.basis}, "fraction": fraction, **board})
        missed = fractions[:-1]
        record(session, case, at=now, actor=SYSTEM, action="reminded",
               reason=f"{deadline_kind_name(deadline.kind)}期限已用去 {fraction:.0%}；截止 {due_local:%Y-%m-%d %H:%M}",
               details={"deadline": deadline.kind, "fraction": fraction, "covers_missed": missed,
                        "recipients": [f"{n.channel}:{n.recipient}" for n in sent]})
        report.reminders += 1
        report.notifications += len(sent)
        report.lines.append(f"case {case.id}: reminder {deadline.kind} at {fraction:.0%}")

    def _overdue(self, session: Session, case: Case, deadline: Deadline, now: datetime, report: TickReport) -> None:
        deadline.overdue_at = deadline.due_at
        to_state = "overdue" if case.state in UNANSWERED else None
        record(session, case, at=now, actor=SYSTEM, action="deadline_overdue", to_state=to_state,
               reason=f"{deadline_kind_name(deadline.kind)}期限 {deadline.due_at.astimezone(self.tz):%Y-%m-%d %H:%M} "
                      f"已过，仍未完成（{deadline.basis}）",
               details={"deadline": deadline.kind, "due_at": local(deadline.due_at, self.tz)})
        report.overdue += 1
        report.lines.append(f"case {case.id}: {deadline.kind} overdue")

    def _remind_messages(self, session: Session, case: Case, due_at: datetime, items: list[Due], now: datetime,
                         report: TickReport) -> None:
        """Remind the unit of the board messages of one due time still unanswered, as ``_remind`` does a deadline:
        the latest reminder due stands for those missed while down; none once the due time passed."""
        fractions = sorted(i.fraction for i in items if i.fraction is not None)
        key, due_local = local(due_at, self.tz), due_at.astimezone(self.tz)
        owed = _owed_by_due(case).get(due_at, [])
        if now > due_at:
            reason, held = self._skipped("网民留言答复", fractions, items, due_at, now)
            record(session, case, at=now, actor=SYSTEM, action="reminder_skipped", reason=reason,
                   details={"messages_due": key, "fractions": fractions, **held})
            return
        fraction = fractions[-1]
        left = duration_text((due_at - now).total_seconds())
        text = (f"提醒：{len(owed)} 条网民留言尚未答复，答复期限已用去 {fraction:.0%}，还剩 {left}"
                f"（截止 {due_local:%m-%d %H:%M}；{owed[0].basis if owed else ''}）{self._held_note(items, now)}")
        sent = self._remind_unit(session, case, text, now, key=f"messages-reminder:{case.id}:{key}:{fraction}",
                                 extra={"board_messages": {"due_at": key, "unanswered": len(owed)}, "fraction": fraction})
        record(session, case, at=now, actor=SYSTEM, action="reminded",
               reason=f"{len(owed)} 条网民留言答复期限已用去 {fraction:.0%}；截止 {due_local:%Y-%m-%d %H:%M}",
               details={"messages_due": key, "fraction": fraction, "fractions": fractions,
                        "recipients": [f"{n.channel}:{n.recipient}" for n in sent]})
        report.reminders += 1
        report.notifications += len(sent)
        report.lines.append(f"case {case.id}: reminder of {len(owed)} board message(s) at {fraction:.0%}")

    def _messages_overdue(self, session: Session, case: Case, due_at: datetime, held: str, now: datetime,
                          report: TickReport) -> None:
        """Tell the unit that board messages fell overdue unanswered: how many now, how many in all, since when."""
        owed = _owed_by_due(case)
        crossed = owed.get(due_at, [])
        overdue = [m for at, group in owed.items() if at < now for m in group]
        earliest = min(m.due_at for m in overdue).astimezone(self.tz) if overdue else due_at.astimezone(self.tz)
        due_local = due_at.astimezone(self.tz)
        text = (f"提醒：{len(crossed)} 条网民留言的答复期限 {due_local:%m-%d %H:%M} 已过，仍未答复；本案共 {len(overdue)} 条"
                f"超期未答复（最早 {earliest:%m-%d %H:%M} 到期）。请逐条答复（{crossed[0].basis if crossed else ''}）"
                + held)
        key = local(due_at, self.tz)
        sent = self._remind_unit(session, case, text, now, key=f"messages-overdue:{case.id}:{key}",
                                 extra={"board_messages": {"due_at": key, "unanswered": len(crossed),
                                                           "overdue": len(overdue),
                                                           "earliest_due": earliest.isoformat()}})
        record(session, case, at=now, actor=SYSTEM, action="messages_overdue",
               reason=f"{len(crossed)} 条网民留言答复期限 {due_local:%Y-%m-%d %H:%M} 已过，仍未答复；共 {len(overdue)} 条超期未答复",
               details={"messages_due": key, "unanswered": len(crossed), "overdue": len(overdue),
                        "recipients": [f"{n.channel}:{n.recipient}" for n in sent]})
        report.overdue += 1
        report.notifications += len(sent)
        report.lines.append(f"case {case.id}: {len(crossed)} board message(s) overdue, due {due_local:%m-%d %H:%M}")

    def _messages_handed_over(self, session: Session, case: Case, handover: datetime, held: str, now: datetime,
                              report: TickReport) -> None:
        """Tell the unit a case was handed to how many of its board messages are overdue unanswered, and since when."""
        overdue = [m for at, group in _owed_by_due(case).items() if at < now for m in group]
        earliest = min(m.due_at for m in overdue).astimezone(self.tz)
        text = (f"提醒：本案转办前已有 {len(overdue)} 条网民留言超期未答复（最早 {earliest:%m-%d %H:%M} 到期），"
                f"现由本单位承办，请逐条答复（{overdue[0].basis}）{held}")
        unit = self.router.by_id.get(case.unit_id or "")
        key = local(handover, self.tz)
        sent = self._remind_unit(session, case, text, now, key=f"messages-handed-over:{case.id}:{key}",
                                 extra={"board_messages": {"handed_over": key, "overdue": len(overdue),
                                                           "earliest_due": earliest.isoformat()}})
        record(session, case, at=now, actor=SYSTEM, action="messages_handed_over",
               reason=f"转办后告知 {unit.name if unit else case.unit_id}：共 {len(overdue)} 条网民留言超期未答复"
                      f"（最早 {earliest:%Y-%m-%d %H:%M} 到期）",
               details={"handed_over": key, "unit": case.unit_id, "overdue": len(overdue),
                        "recipients": [f"{n.channel}:{n.recipient}" for n in sent]})
        report.overdue += 1
        report.notifications += len(sent)
        report.lines.append(f"case {case.id}: its new unit told of {len(overdue)} overdue board message(s)")

    def _climb(self, case: Case, item: Due, now: datetime, deadline: Deadline | None) -> _Climb:
        """One step up one ladder — a missed deadline's, unanswered board messages', or the case's for want of a
        sign-off: to whom, why."""
        chain = self.leader_chain(case.unit_id, case.grade)
        level = item.level
        esc = self.policy.escalation
        if item.messages_due is not None:
            owed = len(_owed_by_due(case).get(item.messages_due, []))
            due = local(item.messages_due, self.tz)
            why = (f"{owed} 条网民留言自 {item.messages_due.astimezone(self.tz):%m-%d %H:%M} 起超过答复期限仍未答复"
                   + ("" if level == 1 or self._at_once(case) else f"，第 {level - 1} 级升级后 {esc.next_level_after_minutes:g} 分钟仍未答复"))
            return _Climb(level, chain[level - 1], why, f"escalation:{case.id}:messages:{due}:{level}",
                          messages_due=due, messages=owed, held=self._held_note([item], now))
        if deadline is not None:
            why = (f"{deadline_kind_name(deadline.kind)}自 {deadline.due_at.astimezone(self.tz):%m-%d %H:%M} 起超时"
                   + ("" if level == 1 or self._at_once(case) else f"，第 {level - 1} 级升级后 {esc.next_level_after_minutes:g} 分钟仍未完成"))
            key = f"escalation:{case.id}:deadline:{deadline.id}:{level}"
            deadline.escalation_level, deadline.escalated_at = level, now
        else:
            why = (f"告警后 {esc.unacknowledged_after_minutes:g} 分钟未签收" if level == 1 else
                   f"第 {level - 1} 级升级后 {esc.next_level_after_minutes:g} 分钟仍未签收")
            # per round and per hand-over: the unit a case was handed to is escalated afresh (the key repeated and
            # the outbox dropped the new unit's escalation)
            handed = sum(1 for e in case.events if e.action == "reassigned")
            key = f"escalation:{case.id}:unack:{case.reopen_count}:{level}" + (f":h{handed}" if handed else "")
            case.escalation_level, case.escalated_at = level, now
        return _Climb(level, chain[level - 1], why, key, deadline.kind if deadline is not None else None,
                      held=self._held_note([item], now))

    def _escalate(self, session: Session, case: Case, climbs: list[_Climb], now: datetime,
                  report: TickReport) -> None:
        """Tell one unit's leaders of the steps that reached them now, in one message."""
        target, level = climbs[0].target, max(c.level for c in climbs)
        why = "；".join(dict.fromkeys(c.why for c in climbs))
        who = "本单位领导" if target.id == case.unit_id else f"{target.name}领导"
        held = next((c.held for c in climbs if c.held), "")
        text = f"升级（第 {level} 级）：{self._ask_leader(case, climbs, why, now)}{held}"
        to_state = "escalated" if case.state in UNANSWERED else None
        payload = case_payload(case, self.config, "escalation", escalation_level=level, summary=text,
                               extra={"reason": why, "escalated_to": target.id, "escalated_to_name": target.name,
                                      "leaders": [p.name for p in target.leaders],
                                      "recipient_unit": target.id, "recipient_role": "leader",
                                      "state": to_state or case.state})  # the state the message announces
        payload["deadlines"] += owed_deadlines(case, self.tz)
        # One step keeps its own key (a restart finds it sent); steps together are joined (queue bounds the length)
        key = "+".join(sorted(c.key for c in climbs))
        sent = queue(session, case=case, kind="escalation", recipients=leader_recipients(target), payload=payload,
                     key=key, at=now)
        deadlines = [c.deadline for c in climbs if c.deadline is not None]
        record(session, case, at=now, actor=SYSTEM, action="escalated", to_state=to_state,
               reason=f"第 {level} 级升级至{who}：{why}",
               details={"level": level, "unit": target.id, "leaders": [p.name for p in target.leaders],
                        "deadlines": deadlines,
                        "messages_due": {c.messages_due: c.level for c in climbs if c.messages_due is not None},
                        "recipients": [f"{n.channel}:{n.recipient}" for n in sent]})
        report.escalations += 1
        report.notifications += len(sent)
        report.lines.append(f"case {case.id}: escalated level {level} to {target.id} ({why})")

    def _ask_leader(self, case: Case, climbs: list[_Climb], why: str, now: datetime) -> str:
        """The line addressed to the leader: which unit failed at what, and what to urge it to do by when (a review:
        '通知A3区人民政府办公室领导' described the reader in the third person and asked nothing of them)."""
        unit = self.router.by_id.get(case.unit_id or "")
        asks = ["签收本案"] if any(c.deadline is None and c.messages_due is None for c in climbs) else []
        owed = sum(c.messages for c in climbs)
        if owed:
            asks.append(f"逐条答复超期未答复的 {owed} 条网民留言")
        unmet = sorted((d for d in case.deadlines if d.met_at is None), key=lambda d: d.due_at)
        late = [deadline_kind_name(d.kind) for d in unmet if d.due_at <= now]
        if late:
            asks.append(f"立即完成已逾期的{'、'.join(dict.fromkeys(late))}")
        ahead = next((d for d in unmet if d.due_at > now), None)
        if ahead is not None:
            asks.append(f"于 {ahead.due_at.astimezone(self.tz):%m-%d %H:%M} 前完成{deadline_kind_name(ahead.kind)}")
        return f"{unit.name if unit else '承办单位'} {why}；请督促其{'，并'.join(asks) or '处置'}"

    # ----------------------------------------------------------------------------- the daily digest

    def _digest(self, session: Session, now: datetime, report: TickReport) -> None:
        """Once per digest time: each unit's leaders get the open cases of their unit and those below it (a government
        office's, those of the units it coordinates too)."""
        fire = last_fire_time(self.digest_trigger, now)
        if fire is None:
            return
        key = f"digest:{fire.astimezone(self.tz).isoformat()}"
        if session.get(ScheduleMark, key) is not None:
            return
        cases = list(session.scalars(
            select(Case).where(*_in_digest(fire)).options(selectinload(Case.deadlines),
                                                          selectinload(Case.board_messages)).order_by(Case.id)))
        sent_total = 0
        for unit in self.config.units.units:
            if not unit.leaders:
                continue
            below = self.router.descendants(unit.id)
            # …and, for a government office, the units of its level and place it coordinates (属地管理: A3区's head,
            # escalated to for A3区教育局's silence, read of its cases in the digest too; they hang under 市教育局)
            for coordinated in self.router.coordinated_by(unit.id):
                below |= self.router.descendants(coordinated.id)
            # 分级负责 as in escalation (leader_chain): a province's leaders read of the major cases below them,
            # not of every grade III case in every district (a review, 2026-11-27).
            mine = [c for c in cases if c.unit_id in below and (unit.level != "province" or c.grade in MAJOR_GRADES
                                                                 or self._level(c.unit_id) == "province")]
            if not mine:
                continue
            payload = self._digest_payload(unit, mine, fire)
            sent = queue(session, case=None, kind="digest", recipients=leader_recipients(unit), payload=payload,
                         key=f"{key}:{unit.id}", at=now)
            sent_total += len(sent)
        session.add(ScheduleMark(key=key, at=now, details={"fire_time": fire.isoformat(), "notifications": sent_total,
                                                           "cases": len(cases)}))
        if sent_total:
            report.digests += 1
            report.notifications += sent_total
            report.lines.append(f"digest {fire.astimezone(self.tz):%Y-%m-%d %H:%M}: {sent_total} notification(s)")

    def _digest_payload(self, unit: Unit, cases: list[Case], fire: datetime) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for c in cases:
            counts[c.state] = counts.get(c.state, 0) + 1
        # overdue: a deadline missed, or a citizen's board message unanswered past its due time (an answered case
        # owing 30 replies read as on track)
        overdue = [c for c in cases if c.state != CLOSED
                   and (any(d.overdue_at is not None for d in c.pending_deadlines())
                        or any(m.due_at < fire for m in unanswered_messages(c)))]
        day = fire.astimezone(self.tz)
        # The citizens' replies due before the next digest, or overdue: "已回应 1 件；逾期 0 件" read as all done the
        # evening before 12 replies fell due (a review, 2026-11-27).
        until = self.digest_trigger.get_next_fire_time(None, fire + JUST_AFTER) or fire + timedelta(days=1)
        owed = {c.id: [m for m in unanswered_messages(c) if m.due_at < until] for c in cases if c.state != CLOSED}
        owed_all = sorted((m for group in owed.values() for m in group), key=lambda m: m.due_at)
        # The most urgent first — open before closed, overdue, replies falling due, the gravest, the newest — so that
        # past DIGEST_LISTED cases the leaders still see what needs them (by id, they saw the oldest 50 and never a new one).
        late = {c.id for c in overdue}
        ranked = sorted(cases, key=lambda c: (c.state == CLOSED, c.id not in late, not owed.get(c.id),
                                              GRADE_ORDER.get(c.grade or "", 9), -c.opened_at.timestamp(), -c.id))
        # Each case as the same snapshot an alert carries, so every channel renders it (id, grade, title, unit,
        # state, nearest deadline); the digest once held text lines no renderer read, and showed "0 件".
        listed = []
        for c in ranked[:DIGEST_LISTED]:
            listed.append(case_payload(c, self.config, "digest"))
            if owed.get(c.id):
                listed[-1]["deadlines"] += owed_deadlines(c, self.tz, until)
        replies = ""
        if owed_all:
            replies = (f"；网民留言 {len(owed_all)} 条待答复（{sum(1 for m in owed_all if m.due_at < fire)} 条已超期，"
                       f"最早 {owed_all[0].due_at.astimezone(self.tz):%m-%d %H:%M} 到期）")
        summary = (f"{unit.name} 舆情日报 {day:%Y-%m-%d}：{len(cases)} 件，"
                   + "，".join(f"{CASE_STATE_NAMES.get(state, state)} {n} 件" for state, n in sorted(counts.items()))
                   + f"；逾期 {len(overdue)} 件{replies}")
        return {"title": f"舆情日报 {day:%Y-%m-%d} · {unit.name}", "summary": summary, "kind": "digest",
                "unit": unit.id, "unit_name": unit.name, "case_id": None, "state": None, "grade": None,
                "grade_colour": None, "risk": None, "topic": None, "region": None, "joint_units": [],
                "deadlines": [], "factors": [], "escalation_level": 0,
                "links": {"case": f"{self.config.settings.dashboard.public_url.rstrip('/')}/leader"},
                "counts": counts, "overdue_case_ids": [c.id for c in overdue], "cases": listed,
                "board_messages_owed": len(owed_all),
                "cases_total": len(cases)}
