"""Cases: one per event, with a lifecycle whose every transition is written down (who, when, what, why).

new → notified → acknowledged → responded → closed, plus overdue, escalated and reopened. A case change
and the notifications it causes are written in the caller's transaction (the transactional outbox), so
either both happen or neither does. Callers own the transaction: ``with database.transaction() as s:``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.deadlines import REPORT_CHANNEL, RESPONSE_CHANNELS, deadline_for, met_by, sensitive_cues
from alerts.messages import FORMER_ROLE, JOINT_ROLE, RESPONSIBLE_ROLE
from alerts.notifiers import person_recipients, unit_recipients
from alerts.routing import CaseLabels, Router
from analysis.deidentify import deidentify
from yuqing import assessment
from yuqing.clock import Clock
from yuqing.contract import (
    BOARD_SOURCE_TYPE,
    GRADE_COLOUR,
    MAJOR_GRADES,
    REOPEN_MARK,
    SIMULATED_RUN_ENDED,
    SOURCE_TYPE_NAMES,
    Event,
    Grade,
    base_kind,
    deadline_kind_name,
    episode,
    region_label,
)
from yuqing.db.models import Case, CaseEvent, Deadline, Notification, ResponseAssessment, UnitRow
from yuqing.db.session import insert_new
from yuqing.evaluation import LATE_ENTRY_CONFIRMED, LateEntry, late_entries
from yuqing.paths import command_here, config_file
from yuqing.settings import Config, RuleSpec, Unit, UnitsFile

SYSTEM = "system"
CLOSED = "closed"
# The timeline entry of a joint unit that saw the case (知悉, note_informed): no state of its own.
NOTED = "noted"
# States in which nobody has answered yet: escalation watches these.
# A response's stated time may run this far ahead of the clock that records it (clocks differ by a little).
FUTURE_TOLERANCE = timedelta(minutes=5)
UNANSWERED = frozenset({"new", "notified", "acknowledged", "overdue", "escalated", "reopened"})
_GRADE_ORDER = {"IV": 0, "III": 1, "II": 2, "I": 3}


class CaseError(ValueError):
    """An action a person asked for cannot be done (unknown case, wrong state); the message says why — for the
    command line, and in Chinese (``chinese``) for the people who press the buttons in Slack."""

    def __init__(self, message: str, chinese: str = ""):
        super().__init__(message)
        self.chinese = chinese or message


@dataclass
class CaseUpdate:
    """What ``open_or_update_case`` did: the case, whether it is new, and the notifications it queued."""

    case: Case
    opened: bool
    grew: bool = False
    notifications: list[Notification] = field(default_factory=list)
    rerouted: list[str] = field(default_factory=list)  # what following the route changed, in words


# ----------------------------------------------------------------------------- units and recipients


def sync_units(session: Session, units: UnitsFile) -> None:
    """Mirror ``units.yaml`` into the units table so cases can reference their unit."""
    existing = {row.id: row for row in session.scalars(select(UnitRow))}
    for unit in units.units:
        row = existing.get(unit.id) or UnitRow(id=unit.id)
        row.name, row.kind, row.level, row.parent_id = unit.name, unit.kind, unit.level, unit.parent
        row.region = unit.region.model_dump(exclude_none=True)
        row.contacts = unit.contacts.model_dump(exclude_none=True)
        row.leaders = [p.model_dump(exclude_none=True) for p in unit.leaders]
        if unit.id not in existing:
            session.add(row)
    session.flush()


def orphaned_cases(session: Session, units: UnitsFile) -> list[str]:
    """Open cases held by a unit no longer in units.yaml (renamed or removed), said per unit: their reminders and
    escalations reach nobody, and nothing said so (a review renamed a3-edu and four open cases went silent)."""
    known = {u.id for u in units.units}
    held: dict[str, list[int]] = {}
    for case_id, unit_id in session.execute(select(Case.id, Case.unit_id).where(Case.state != CLOSED)):
        if unit_id is not None and unit_id not in known:
            held.setdefault(unit_id, []).append(case_id)
    return [f"{len(ids)} open case(s) ({', '.join(f'#{i}' for i in sorted(ids)[:10])}) are held by unit {unit_id!r}, "
            f"which units.yaml no longer has: their reminders and escalations reach nobody. Hand them over "
            f"(`{command_here('cases reassign CASE --unit U')}`) or put the unit back" for unit_id, ids in sorted(held.items())]


def leader_recipients(unit: Unit) -> list[tuple[str, str]]:
    """A unit's leaders, each by every channel configured for them."""
    return [pair for person in unit.leaders for pair in person_recipients(person)]


# ----------------------------------------------------------------------------- payloads


def local(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def case_payload(case: Case, config: Config, kind: str, *, escalation_level: int = 0, summary: str | None = None,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The snapshot a notifier renders: everything a unit needs to act without opening the dashboard."""
    tz = config.settings.tz()
    units = {u.id: u for u in config.units.units}
    unit = units.get(case.unit_id or "")
    grade = Grade(case.grade) if case.grade is not None and case.grade in Grade._value2member_map_ else None
    # The current round's deadlines: an earlier round's (before the case was closed and reopened) are history, and
    # a digest showed "回应 已按时完成" for a reopened case whose new response deadline was an hour away.
    deadlines = sorted((d for d in case.deadlines if episode(d.kind) >= case.reopen_count), key=lambda d: d.due_at)
    payload: dict[str, Any] = {
        "title": case.title,
        "summary": summary if summary is not None else case.summary,
        "grade": case.grade,
        "grade_colour": GRADE_COLOUR[grade] if grade else None,
        "risk": case.risk,
        "topic": case.topic,
        "region": _region_label(case),
        "unit": case.unit_id,
        "unit_name": unit.name if unit else case.unit_id,
        "joint_units": [{"id": u, "name": units[u].name if u in units else u} for u in case.joint_unit_ids],
        # closed_at: a case closed in the deadline's round (a digest lists cases closed within the day) — its
        # deadline then reads 已关闭，不再考核 or 已超时 …（至关闭）, as on the dashboards, not a countdown.
        "deadlines": [{"kind": d.kind, "due_at": local(d.due_at, tz), "basis": d.basis, "met_at": local(d.met_at, tz),
                       "closed_at": local(case.closed_after(episode(d.kind)), tz)} for d in deadlines],
        "factors": list(case.grade_reasons or []),
        "case_id": case.id,
        "state": case.state,
        "links": {"case": f"{config.settings.dashboard.public_url.rstrip('/')}/cases/{case.id}"},
        "kind": kind,
        "escalation_level": escalation_level,
    }
    if extra:
        payload.update(extra)
    return payload


def _region_label(case: Case) -> str:
    region = case.region or {}
    if region.get("country"):
        return region_label(region)
    districts = case.districts or ([region["district"]] if region.get("district") else [])
    parts = [region.get("province"), region.get("city"), "、".join(districts) or None]
    return "".join(p for p in parts if p) or "未知"


def _summary(case: Case, config: Config) -> str:
    """One line: where, what, how grave, how much talk, and the next deadline still to meet."""
    tz = config.settings.tz()
    first = min(case.pending_deadlines(), key=lambda d: d.due_at, default=None)
    due = (f"；最近期限 {deadline_kind_name(first.kind)} {first.due_at.astimezone(tz):%m-%d %H:%M}"
           if first is not None else "")
    grade = f"{case.grade}级" if case.grade else "未定级"
    risk = f"风险 {case.risk:.0f}" if case.risk is not None else "风险未评估"  # a case opened by hand has no score
    volume = f" · {case.volume} 条" if case.volume else ""
    return f"{_region_label(case)} · {case.topic or '未分类'} · {grade} · {risk}{volume}{due}"


def queue(session: Session, *, case: Case | None, kind: str, recipients: list[tuple[str, str]], payload: dict,
          key: str, at: datetime) -> list[Notification]:
    """Put one notification per recipient into the outbox, in the caller's transaction, deduplicated by key."""
    from alerts.outbox import bounded_key, enqueue

    out = []
    for channel, recipient in recipients:
        row = enqueue(session, case_id=case.id if case is not None else None, kind=kind, channel=channel,
                      recipient=recipient, payload=payload, idempotency_key=bounded_key(f"{key}:{channel}:{recipient}"),
                      scheduled_at=at)
        if row is not None:
            out.append(row)
    return out


# ----------------------------------------------------------------------------- the audit trail


# Actors that are an account, not a name a person typed: slack:U0123456789, rule:graded_event.
_MACHINE_ACTOR = re.compile(r"[a-z]+:[A-Za-z0-9_\-.]+|system|scheduler")


def record(session: Session, case: Case, *, at: datetime, actor: str, action: str, reason: str = "",
           to_state: str | None = None, details: dict[str, Any] | None = None) -> CaseEvent:
    """Append one entry to the case's timeline, moving its state when ``to_state`` is given. The reason is
    free text a person typed (a response's wording, why a case was closed): it is de-identified first, like
    every text that is stored and shown (domain.md §6); so is the actor, which a person types too ("市政府办公厅
    王建国 13812345678" kept its phone number)."""
    reason = deidentify(reason).text
    if not _MACHINE_ACTOR.fullmatch(actor):  # (slack:U0123456789 is an id the resubmission guard compares)
        actor = deidentify(actor).text
    entry = CaseEvent(case_id=case.id, at=at, actor=actor, action=action, from_state=case.state,
                      to_state=to_state or case.state, reason=reason, details=details or {})
    if to_state is not None:
        case.state = to_state
    case.updated_at = at
    session.add(entry)
    case.events.append(entry)
    return entry


def record_simulated_run_end(session: Session, *, started: datetime, ended: datetime, real: datetime,
                             by: str) -> None:
    """Write down where a simulated clock (``yuqing demo``, ``yuqing replay``) stopped, and the real time ``real``
    it was then: the sandbox's clock runs on from there (``yuqing.sandbox_clock``), for its dashboards and its
    commands alike — a replay of last week's posts read 超时 178 h on the real clock."""
    session.add(CaseEvent(case_id=None, at=ended, actor=by, action=SIMULATED_RUN_ENDED,
                          reason=f"模拟时钟自 {started:%Y-%m-%d %H:%M} 运行至 {ended:%Y-%m-%d %H:%M}",
                          details={"started_at": started.isoformat(), "ended_at": ended.isoformat(),
                                   "real_ended_at": real.isoformat()}))


# ----------------------------------------------------------------------------- opening and growth


def labels_for(event: Event, *, districts: list[str] | None = None, rule: str | None = None,
               source: str | None = None, rumour_cues: tuple[str, ...] = ()) -> CaseLabels:
    region = event.region
    found = list(dict.fromkeys(districts or ([region.district] if region and region.district else [])))
    text = " ".join([event.title, *event.keywords])
    return CaseLabels(topic=event.topic, grade=event.grade.value if event.grade else None,
                      province=region.province if region else None, city=region.city if region else None,
                      districts=tuple(found), text=text, source=source, rule=rule, rumour_cues=rumour_cues)


def _graver(new: str | None, old: str | None) -> bool:
    return _GRADE_ORDER.get(new or "", -1) > _GRADE_ORDER.get(old or "", -1)


def _add_deadlines(session: Session, case: Case, config: Config, start: datetime, text: str,
                   received_at: datetime | None = None, cues: Iterable[str] = ()) -> list[Deadline]:
    """The deadlines the case now has to meet, added for its current round (a reopened case's carry #reopenN, so
    escalation chases them: a deadline of an earlier round is judged, not pursued)."""
    suffix = f"{REOPEN_MARK}{case.reopen_count}" if case.reopen_count else ""
    existing = {d.kind for d in case.deadlines}
    added = []
    for due in deadline_for(grade=case.grade, source_type=case.source_type, detected_at=start,
                            policy=config.policy, tz=config.settings.tz(), text=text, received_at=received_at,
                            cues=cues):
        kind = due.kind + suffix
        if kind in existing:  # (a kind given twice — a sensitive case's and the other set's — keeps the first)
            continue
        existing.add(kind)
        row = Deadline(case_id=case.id, kind=kind, due_at=due.due_at, basis=due.basis, starts_at=due.starts_at,
                       reminded_fractions=[], escalation_level=0)
        session.add(row)
        case.deadlines.append(row)
        added.append(row)
    session.flush()
    return added


def _deadline_lines(rows: list[Deadline], tz: ZoneInfo) -> list[dict[str, Any]]:
    return [{"kind": d.kind, "due_at": local(d.due_at, tz), "basis": d.basis} for d in rows]


def _record_deadlines(session: Session, case: Case, config: Config, at: datetime, added: list[Deadline],
                      reason: str, **details: Any) -> None:
    """The case's timeline says which deadlines were set, when and why."""
    record(session, case, at=at, actor=SYSTEM, action="deadlines_set", reason=reason,
           details={"deadlines": _deadline_lines(added, config.settings.tz()), **details})


def _alert(session: Session, case: Case, config: Config, at: datetime, *, reason: str,
           units: list[str] | None = None, handed_over: bool = False, baseline: bool = True) -> list[Notification]:
    """Alert the responsible unit and the joint units (or ``units``), then mark the case notified. ``baseline``:
    growth is counted from what was alerted now — not when only units joining were told (the responsible unit
    never heard of the event doubling after a rumour's 公安 and 网信 were told)."""
    by_id = {u.id: u for u in config.units.units}
    targets = units if units is not None else [case.unit_id, *case.joint_unit_ids]
    case.summary = _summary(case, config)
    payload = case_payload(case, config, "alert", extra={"reason": reason, "alert_seq": case.alert_seq,
                                                        "handed_over": handed_over})
    sent: list[Notification] = []
    for unit_id in targets:
        if unit_id is None or unit_id not in by_id:
            continue
        role = RESPONSIBLE_ROLE if unit_id == case.unit_id else JOINT_ROLE
        sent += queue(session, case=case, kind="alert", recipients=unit_recipients(by_id[unit_id]),
                      payload={**payload, "recipient_unit": unit_id, "recipient_role": role},
                      key=f"alert:{case.id}:{case.alert_seq}:{unit_id}", at=at)
    if baseline:
        case.alerted_volume, case.alerted_grade = case.volume, case.grade
    return sent


def _insert_once(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a case unless its event already has one (``ON CONFLICT DO NOTHING`` on the unique event id).

    No savepoint: on SQLite a savepoint opened first in a transaction commits on release, which would
    break the all-or-nothing of a case and its notifications.
    """
    inserted = insert_new(session, Case, [values], key=["event_id"])
    return inserted[0].id if inserted else None


def open_or_update_case(session: Session, event: Event, rule: RuleSpec | str, config: Config, clock: Clock, *,
                        districts: list[str] | None = None, source_type: str | None = None,
                        source: str | None = None, reason: str = "",
                        router: Router | None = None, rumour_cues: tuple[str, ...] = ()) -> CaseUpdate:
    """Open the event's case, or update it; never two cases for one event.

    Opening routes the case, sets its deadlines and alerts the units. On an existing case the numbers are
    refreshed; growth (a graver grade, or volume ×2 since the last alert) alerts again, and reopens a case
    that was already answered (次生舆情); an event that spread to more districts goes one level up, and units
    the route now names (a rumour found) are informed.
    """
    rule_name = rule if isinstance(rule, str) else rule.name
    why = reason or (rule.description if isinstance(rule, RuleSpec) else "") or f"rule {rule_name}"
    now = clock.now()
    case = session.scalars(select(Case).where(Case.event_id == event.id)).one_or_none()
    router = router or Router(config.units)
    if case is None:
        labels = labels_for(event, districts=districts, rule=rule_name, source=source, rumour_cues=rumour_cues)
        decision = router.route(labels)
        values = dict(event_id=event.id, title=event.title, topic=event.topic,
                      region=event.region.model_dump(exclude_none=True) if event.region else {},
                      grade=labels.grade, risk=event.risk, grade_reasons=list(event.grade_reasons), rule=rule_name,
                      unit_id=decision.unit_id, joint_unit_ids=list(decision.joint_unit_ids),
                      route_explanation=decision.explanation(), state="new", escalation_level=0,
                      volume=event.volume, opened_at=now, updated_at=now, source_type=source_type,
                      districts=list(labels.districts), keywords=list(event.keywords), summary="", alert_seq=0,
                      alerted_volume=0, reopen_count=0)
        case_id = _insert_once(session, values)
        if case_id is None:
            # Another process opened this event's case a moment ago: update that one instead.
            return open_or_update_case(session, event, rule, config, clock, districts=districts,
                                       source_type=source_type, source=source, reason=reason, router=router,
                                       rumour_cues=rumour_cues)
        case = session.get_one(Case, case_id)
        record(session, case, at=now, actor=f"rule:{rule_name}", action="opened", reason=why,
               details={"event_id": event.id, "grade": case.grade, "risk": case.risk, "volume": case.volume,
                        "factors": case.grade_reasons, "unit": case.unit_id, "joint_units": case.joint_unit_ids})
        added = _add_deadlines(session, case, config, now, event.title, received_at=event.first_seen,
                               cues=event.severity_cues)
        _record_deadlines(session, case, config, now, added, f"按 policy.yaml 设定 {len(added)} 项期限")
        sent = _alert(session, case, config, now, reason=why)
        case.notified_at = now
        record(session, case, at=now, actor=SYSTEM, action="notified", to_state="notified",
               reason=f"告警已排队发往 {len(sent)} 个接收方",
               details={"recipients": [f"{n.channel}:{n.recipient}" for n in sent]})
        return CaseUpdate(case, opened=True, notifications=sent)
    labels = labels_for(event, districts=districts, rule=case.rule, source=source, rumour_cues=rumour_cues)
    before = (case.unit_id, list(case.joint_unit_ids), list(case.districts or []))
    update = _update(session, case, event, rule_name, config, now, why, source_type,
                     follow=lambda news: _follow_route(session, case, labels, router, config, now, news))
    if case.unit_id != before[0]:
        spread = [d for d in case.districts if d not in before[2]]
        update.rerouted.append(f"handed up from {before[0]} to {case.unit_id}"
                               + (f" (spread to {'、'.join(spread)})" if spread else ""))
    joined = [u for u in case.joint_unit_ids if u not in before[1] and u != before[0]]
    if joined:
        update.rerouted.append(f"now also informs {', '.join(joined)}")
    return update


def _update(session: Session, case: Case, event: Event, rule_name: str, config: Config, now: datetime,
            why: str, source_type: str | None = None,
            follow: Callable[[str], tuple[list[Notification], set[str]]] | None = None) -> CaseUpdate:
    """Refresh an open case from its event. ``follow`` routes it again (``_follow_route``) once a growth has
    reopened it and before the growth alert, so a hand-up carries the growth and no unit hears twice."""
    new_grade = event.grade.value if event.grade else case.grade
    graver = _graver(new_grade, case.alerted_grade)
    regrowth = config.policy.regrowth
    grown = (event.volume >= regrowth.volume_factor * max(case.alerted_volume, 1)
             and event.volume - case.alerted_volume >= regrowth.min_new_posts)
    changed = (event.volume, new_grade, event.risk) != (case.volume, case.grade, case.risk)
    old_grade = case.grade
    case.volume, case.risk = event.volume, event.risk
    case.grade_reasons = list(event.grade_reasons) or case.grade_reasons
    case.keywords = list(event.keywords) or case.keywords
    if _graver(new_grade, case.grade):
        case.grade = new_grade
    if changed:
        case.updated_at = now
    if source_type and case.source_type == BOARD_SOURCE_TYPE and source_type != BOARD_SOURCE_TYPE:
        _now_public_opinion(session, case, config, now, source_type)
    if (case.grade not in MAJOR_GRADES and case.state not in ("responded", CLOSED)
            and sensitive_cues(config.policy, event.severity_cues)):  # (most updates: none, nothing to compute)
        sensitive = _add_deadlines(session, case, config, now, case.title, cues=event.severity_cues)
        if sensitive:  # a cue that makes it sensitive (deaths, officials named …) is there now
            _record_deadlines(session, case, config, now, sensitive, "敏感舆情：按敏感线索自此起算期限")
    if not (graver or grown):
        return CaseUpdate(case, opened=False, notifications=follow("")[0] if follow is not None else [])
    reasons = []
    if graver:
        reasons.append(f"等级由{case.alerted_grade + ' 级' if case.alerted_grade else '未定级'}升至 {new_grade} 级")
    if grown:
        reasons.append(f"信息量由 {case.alerted_volume} 条增至 {event.volume} 条")
    growth = "；".join(reasons)
    case.alert_seq += 1
    record(session, case, at=now, actor=f"rule:{rule_name}", action="grew", reason=growth,
           details={"grade": case.grade, "previous_grade": old_grade, "volume": case.volume, "risk": case.risk})
    if case.state in ("responded", CLOSED):
        answered = _answered_this_round(case)
        why = ("回应后事态扩大（次生舆情）" if answered
               else "结案后事态扩大（未曾回应），重新打开")  # closed unanswered: there was no response to follow
        growth = f"{why}：{growth}"
        _reopen(session, case, config, now, SYSTEM, growth, cues=event.severity_cues, second_wave=answered)
    elif graver and case.grade in MAJOR_GRADES and old_grade not in MAJOR_GRADES:
        added = _add_deadlines(session, case, config, now, case.title)
        _record_deadlines(session, case, config, now, added, f"级别升为 {case.grade}（重大）：重大事件的期限自此起算")
        _join_units(session, case, config, now)
    followed, told = follow(growth) if follow is not None else ([], set())
    rest = [u for u in [case.unit_id, *case.joint_unit_ids] if u is not None and u not in told]
    sent = _alert(session, case, config, now, reason=growth, units=rest) if rest else []
    if told:  # the units told by the hand-up heard of the growth with it; the rest hear of it now
        case.alerted_volume, case.alerted_grade = case.volume, case.grade
    record(session, case, at=now, actor=SYSTEM, action="re-alerted",
           reason=f"事态扩大告警已排队发往 {len(sent)} 个接收方"
                  + (f"（另 {len(followed)} 个接收方已随转办或联动告警获知）" if followed else ""),
           details={"recipients": [f"{n.channel}:{n.recipient}" for n in sent]})
    return CaseUpdate(case, opened=False, grew=True, notifications=[*followed, *sent])


def _follow_route(session: Session, case: Case, labels: CaseLabels, router: Router, config: Config,
                  now: datetime, news: str = "") -> tuple[list[Notification], set[str]]:
    """Route the case again as its event now stands; return the notifications and the units they told.

    - A case spanning districts goes one level up (涉及多个地方的，上级主管部门为第一责任主体, 61号; domain.md §4): when
      the route now names a unit above the case's, the case is handed to it (with ``news``, a growth, in the same
      alert) and the district unit stays informed. A person's 转办 is not overridden, and an answered or closed case
      is not moved — until growth reopens it.
    - A rumour's 公安 and 网信 are informed once, whoever holds the case; so are units the route now adds for the
      unit that holds it (a keyword's also_kinds).
    """
    had = list(case.districts or [])
    spread = [d for d in labels.districts if d not in had]
    if spread:
        case.districts = [*had, *spread]
    labels = replace(labels, districts=tuple(case.districts or []))
    decision = router.route(labels)
    sent: list[Notification] = []
    told: set[str] = set()
    handed_by_person = any(e.action == "reassigned" and e.actor != SYSTEM for e in case.events)
    above = [u.id for u in router.chain(case.unit_id or "")[1:]]
    # Only a spread hands a case up — one seen now, or one noted while the case was answered and not acted on since
    # (a review: a region read as the province alone once sent a city case to the provincial office).
    since = max((e.at for e in case.events if e.action == "reassigned"), default=case.opened_at)
    noted = [e for e in case.events if e.action == "spread" and e.at >= since]
    if (spread or noted) and decision.unit_id in above and not handed_by_person and case.state in UNANSWERED:
        receiver = next((s for s in decision.steps if s["step"] == "receiver"), {})
        where = f"事态蔓延至{'、'.join(spread)}" if spread else f"事态此前已蔓延至{'、'.join(case.districts or [])}"
        sent += reassign(session, case.id, SYSTEM, now, decision.unit_id,
                         f"{where}：{receiver.get('reason', '')}" + (f"；{news}" if news else ""), config,
                         keep_previous=True)
        told = {str(n.payload["recipient_unit"]) for n in sent}
    elif spread and had and decision.unit_id != case.unit_id:
        record(session, case, at=now, actor=SYSTEM, action="spread",
               reason=f"事态蔓延至{'、'.join(spread)}；路由现指向{_unit_name(router.by_id, decision.unit_id)}，"
                      f"案件仍由{_unit_name(router.by_id, case.unit_id)}承办"
                      + ("（已人工转办）" if handed_by_person else "（已回应或已结案，再次扩大时上提）"
                         if case.state not in UNANSWERED and decision.unit_id in above else ""),
               details={"districts": case.districts, "route_unit": decision.unit_id})
    if case.state == CLOSED:
        return sent, told
    wanted = router.rumour_units(labels)
    if decision.unit_id == case.unit_id:
        steps = {s["unit"]: s["reason"] for s in decision.steps if s["step"] == "joint"}
        wanted = [*wanted, *steps.items()]
    new = _add_joint_units(session, case, now, wanted)
    if not new:
        return sent, told
    reasons = "；".join(dict.fromkeys(new.values()))
    joined = _alert(session, case, config, now, reason=f"联动单位加入：{reasons}" + (f"；{news}" if news else ""),
                    units=list(new), baseline=False)
    return [*sent, *joined], told | set(new)


def _add_joint_units(session: Session, case: Case, now: datetime, wanted: list[tuple[str, str]],
                     reason: str | None = None) -> dict[str, str]:
    """Add the (unit, why) of ``wanted`` not yet informed as joint units, each with its step in the route's
    explanation, and record it (``reason``, else the units' own whys); return the units added, with why."""
    why: dict[str, str] = {}
    for unit_id, said in wanted:
        if unit_id != case.unit_id and unit_id not in case.joint_unit_ids:
            why.setdefault(unit_id, said)
    if why:
        case.joint_unit_ids = [*case.joint_unit_ids, *why]
        case.route_explanation = [*case.route_explanation,
                                  *({"step": "joint", "unit": u, "reason": said} for u, said in why.items())]
        record(session, case, at=now, actor=SYSTEM, action="joint_units_added",
               reason=reason or "；".join(dict.fromkeys(why.values())), details={"units": list(why)})
    return why


def _answered_this_round(case: Case) -> bool:
    """Whether the case was answered since it was opened or last reopened (not in an earlier round)."""
    began = case.round_began()
    return any(e.action == "responded" and e.at >= began for e in case.events)


def _now_public_opinion(session: Session, case: Case, config: Config, now: datetime, source_type: str) -> None:
    """A citizen's board message that news or Weibo now carry is public opinion (61号): besides the board reply
    it keeps, it must be answered within the 48 h of other 政务舆情, counted from now. An answered case has
    been answered in public already; its deadlines stay as they are."""
    case.source_type = source_type
    case.updated_at = now
    if case.state in ("responded", CLOSED):
        return
    added = _add_deadlines(session, case, config, now, case.title)
    _record_deadlines(session, case, config, now, added,
                      f"留言已在{SOURCE_TYPE_NAMES.get(source_type, source_type)}传播，按其他政务舆情自此起算回应期限",
                      source_type=source_type)


def _join_units(session: Session, case: Case, config: Config, now: datetime) -> None:
    """A case that became major informs the joint units from now on, and its level's government office."""
    by_id = {u.id: u for u in config.units.units}
    office = Router(config.units).coordinating_office(by_id[case.unit_id]) if case.unit_id in by_id else None
    why = f"等级升至 {case.grade} 级（重大）：通知联动单位"
    wanted = [(u, why) for u in ([office.id] if office is not None else []) + list(config.units.joint_units)]
    _add_joint_units(session, case, now, wanted, reason=f"{case.grade} 级为重大舆情，联动单位加入（国办发〔2018〕23号）")


# ----------------------------------------------------------------------------- what people do


def _load(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise CaseError(f"no case {case_id}; list cases with `{command_here('cases list')}`", f"没有编号为 {case_id} 的案件")
    return case


def is_acknowledged(case: Case) -> bool:
    """Acknowledged in the current episode (a reopened case needs a fresh acknowledgement)."""
    return case.signed_off()


def acknowledge(session: Session, case_id: int, actor: str, at: datetime, reason: str = "", *,
                recorded_at: datetime | None = None) -> Case:
    """A unit says it has seen the case: escalation for silence stops. Repeating it changes nothing.
    ``recorded_at``, when a sign-off given by phone or in Slack is entered later: ``at`` may not be after it, nor
    before the case last alerted its unit; one earlier than the sign-off recorded is the sign-off (签收用时 counted
    the time of data entry)."""
    case = _load(session, case_id)
    if case.state == CLOSED:
        raise CaseError(f"case {case_id} is closed; reopen it (`{command_here(f'cases reopen {case_id}')}`) before acknowledging",
                        f"案件 #{case_id} 已关闭，需先重新打开（{command_here(f'cases reopen {case_id}')}）才能签收")
    if recorded_at is not None:
        _refuse_entry_time(case, at, recorded_at, ("sign-off", "signed off"), ("签收", "签收"),
                           since=case.notified_at or case.round_began())
    if case.acknowledged_at is not None and is_acknowledged(case) and case.acknowledged_at <= at:
        return case
    case.acknowledged_at = at
    # Signing off ends the silence, not a missed deadline: a case past a deadline stays overdue (or escalated) —
    # `cases list --state overdue` lost one signed off 12 h late.
    late = any(d.overdue_at is not None for d in case.pending_deadlines())
    to_state = "acknowledged" if case.state in UNANSWERED and not late else None
    record(session, case, at=at, actor=actor, action="acknowledged", to_state=to_state, reason=reason,
           details={"recorded_at": recorded_at.isoformat()} if recorded_at is not None else None)
    return case


def note_informed(session: Session, case_id: int, unit_id: str, actor: str, at: datetime) -> tuple[CaseEvent, bool]:
    """A joint unit (联动单位) says it has seen the case (知悉): a timeline entry, once per unit in the current round;
    with it, whether it is new. No sign-off — the state, the escalation for silence and ``updated_at`` (which times the
    settling of an answered case) stay as they are: the responsible unit still owes its own."""
    case = _load(session, case_id)
    earlier = session.scalars(select(CaseEvent).where(
        CaseEvent.case_id == case_id, CaseEvent.action == NOTED,
        CaseEvent.at >= (case.notified_at or case.opened_at)).order_by(CaseEvent.id))
    for entry in earlier:
        if (entry.details or {}).get("unit") == unit_id:
            return entry, False
    entry = CaseEvent(case_id=case.id, at=at, actor=actor, action=NOTED, from_state=case.state, to_state=case.state,
                      reason="", details={"unit": unit_id})
    session.add(entry)
    return entry, True


def _refuse_entry_time(case: Case, at: datetime, recorded_at: datetime, what: tuple[str, str],
                       chinese: tuple[str, str], *, since: datetime) -> None:
    """Refuse a time entered after the fact (``--at``) that lies in the future, or before ``since`` — the case's
    current round, or for a sign-off the alert it answers: 2020 for a case opened in 2026 was taken, and met its
    deadlines in 0 h."""
    (noun, done), (cn_noun, cn_done) = what, chinese
    tz = recorded_at.tzinfo
    if at > recorded_at + FUTURE_TOLERANCE:
        raise CaseError(f"case {case.id}: the {noun}'s time {at.astimezone(tz):%Y-%m-%d %H:%M} is in the future "
                        f"(it is {recorded_at:%Y-%m-%d %H:%M} now); give when it was {done}",
                        f"{cn_noun}时间 {at.astimezone(tz):%Y-%m-%d %H:%M} 晚于当前时间（现在是 "
                        f"{recorded_at:%Y-%m-%d %H:%M}），请填写实际{cn_done}时间")
    if at < since:
        handed, reopened = since > case.round_began(), case.reopen_count > 0
        what_then = "handed to its unit" if handed else "reopened" if reopened else "opened"
        raise CaseError(f"case {case.id}: {at.astimezone(tz):%Y-%m-%d %H:%M} is before the case was {what_then} "
                        f"({since.astimezone(tz):%Y-%m-%d %H:%M}); one {done} before then counts as given at "
                        f"that time: give --at {since.astimezone(tz):%Y-%m-%d %H:%M} or later",
                        f"{cn_noun}时间 {at.astimezone(tz):%Y-%m-%d %H:%M} 早于案件"
                        f"{'转办' if handed else '重新打开' if reopened else '立案'}的时间（{since.astimezone(tz):%Y-%m-%d %H:%M}），"
                        f"此前{cn_done}的按该时间计：请填写 {since.astimezone(tz):%Y-%m-%d %H:%M} 或之后的时间")


def record_response(session: Session, case_id: int, actor: str, at: datetime, text: str,
                    channel: str = "", details: dict[str, Any] | None = None, *,
                    recorded_at: datetime | None = None) -> Case:
    """A response was published (or reported upward) at ``at``: the deadlines it fulfils are met, on time or late.
    ``recorded_at``, when the response is entered later than it was published (a release at 20:00 registered the
    next morning): ``at`` may not be after it, nor before the case's current round began."""
    if not text.strip():
        raise CaseError(f"case {case_id}: a response needs its text (what was said, where)",
                        "请填写回应内容（要点：问题成因、解决方案、制约因素）")
    case = _load(session, case_id)
    if case.state == CLOSED:
        raise CaseError(f"case {case_id} is closed; reopen it (`{command_here(f'cases reopen {case_id}')} --actor NAME "
                        "--reason WHY`) before recording a response",
                        f"案件 #{case_id} 已关闭，需先重新打开（{command_here(f'cases reopen {case_id}')}）才能登记回应")
    if recorded_at is not None:
        _refuse_entry_time(case, at, recorded_at, ("response", "published"), ("回应", "发布"),
                           since=case.round_began())
    channel = channel or "release"
    if channel not in RESPONSE_CHANNELS:
        raise CaseError(f"case {case_id}: {channel!r} is no channel a response goes out through; use one of "
                        f"{', '.join(RESPONSE_CHANNELS)}", "请选择回应的发布渠道（权威发布、政务微博、新闻发布会等）")
    text = deidentify(text).text
    met = []
    board_reply = channel == BOARD_SOURCE_TYPE and "reply_post" in (details or {})  # collected with its message
    for deadline in case.open_deadlines():  # not a closed round's: it lapsed or was missed then
        if met_by(deadline.kind, channel, board_reply=board_reply):
            deadline.met_at = at
            met.append({"kind": deadline.kind, "on_time": at <= deadline.due_at})
    details = {"text": text, "channel": channel, "deadlines_met": met, **(details or {})}
    if recorded_at is not None:  # entered later than published: when it was entered, for the audit trail
        details["recorded_at"] = recorded_at.isoformat()
    # Publishing shows the unit took the case: a sign-off is no later than its first response, also when the
    # response is entered with --at after a 签收 recorded later than it (签收用时 678 h for a case answered in 3.8 h).
    signed = case.acknowledged_at if is_acknowledged(case) else None
    if signed is None or case.notified_at is not None and case.notified_at <= at < signed:
        case.acknowledged_at = at
        details["implicit_acknowledgement"] = True
    if channel == REPORT_CHANNEL:
        record(session, case, at=at, actor=actor, action="reported_upward", reason=text, details=details)
        return case
    case.responded_at = at
    record(session, case, at=at, actor=actor, action="responded", to_state="responded", reason=text,
           details=details)
    return case


def assess(session: Session, case_id: int, assessor: str, at: datetime, scores: Mapping[str, Any],
           note: str = "") -> ResponseAssessment:
    """An evaluator scores how the case was handled (yuqing.assessment); scoring again replaces their earlier
    scores, which stay in the audit trail."""
    if not assessor.strip():
        raise CaseError(f"case {case_id}: say who assesses (--assessor)", "请注明评估人")
    try:
        checked = assessment.check_scores(scores)
    except assessment.AssessmentError as exc:
        raise CaseError(f"case {case_id}: {exc}", f"评分未保存：{exc.chinese}") from exc
    if len(note) > assessment.MAX_NOTE_CHARS:
        raise CaseError(f"case {case_id}: the note has {len(note)} characters; keep it within "
                        f"{assessment.MAX_NOTE_CHARS} (the scores' reasons, not the whole file)",
                        f"评分未保存：说明有 {len(note)} 字，请控制在 {assessment.MAX_NOTE_CHARS} 字以内")
    case = _load(session, case_id)
    note = deidentify(note).text
    total = assessment.total(checked)
    row = session.scalars(select(ResponseAssessment).where(ResponseAssessment.case_id == case_id,
                                                           ResponseAssessment.assessor == assessor)).first()
    if row is None:
        row = ResponseAssessment(case_id=case_id, assessor=assessor)
        session.add(row)
    row.at, row.scores, row.total, row.note = at, checked, total, note
    found = assessment.level(total)
    names = {d.key: d.name for d in assessment.DIMENSIONS}
    scored = "，".join(f"{names[k]} {v:g}" for k, v in checked.items())
    last_activity = case.updated_at
    record(session, case, at=at, actor=assessor, action="assessed",
           reason=f"总分 {total:g}（{found.colour}：{found.verdict}）：{scored}" + (f"。{note}" if note else ""),
           details={"scores": checked, "total": total, "level": found.colour})
    # Scoring is a judgement of the handling, not news of the matter: an answered case closes after a week of
    # nothing new, and a scoring put that week off (a review, 2026-11-27).
    case.updated_at = last_activity
    return row


def confirm_late_entry(session: Session, case_id: int, evaluator: str, at: datetime, reason: str) -> list[LateEntry]:
    """An evaluator has checked that the case's 补录 (``evaluation.LateEntry``: answers entered after their deadline,
    stating an earlier publication) were published when stated; from now they count as on time. ``reason`` says
    what was checked (the release's address, the document). Returns the entries confirmed."""
    if not evaluator.strip():
        raise CaseError(f"case {case_id}: say which evaluator confirms (--evaluator)", "请注明核实的评估人")
    if not reason.strip():
        raise CaseError(f"case {case_id}: say what shows the stated publication time (--reason: the release's "
                        "address, the document)", "请说明核实依据（发布网址、文件等）")
    case = _load(session, case_id)
    pending = [e for e in late_entries(case) if e.confirmed_by is None]
    if not pending:
        raise CaseError(f"case {case_id} has no 补录 awaiting confirmation (an answer entered after its deadline, "
                        f"stating an earlier time); `{command_here(f'cases show {case_id}')}` shows its timeline",
                        f"案件 #{case_id} 没有待核实的补录")
    last_activity = case.updated_at
    entry = record(session, case, at=at, actor=evaluator, action=LATE_ENTRY_CONFIRMED, reason=reason,
                   details={"deadlines": [e.kind for e in pending]})
    case.updated_at = last_activity  # a judgement of the record, not news of the matter (as ``assess``)
    return [replace(e, confirmed_by=entry.actor) for e in pending]


def reassign(session: Session, case_id: int, actor: str, at: datetime, unit_id: str, reason: str,
             config: Config, *, keep_previous: bool = False) -> list[Notification]:
    """转办: the case goes to another responsible unit, which is alerted now. The deadlines stay as they are —
    they run from when the public opinion was found, not from when the right unit got it — and so does the
    audit trail; the unit it leaves becomes a joint unit no more than it was, unless ``keep_previous`` (a case
    gone one level up: the district unit still acts in its district, and is told who leads now)."""
    if not reason.strip():
        raise CaseError(f"case {case_id}: say why it goes to another unit (--reason)", "请说明转办理由")
    units = {u.id: u for u in config.units.units}
    if unit_id not in units:
        near = difflib.get_close_matches(unit_id, list(units), n=3, cutoff=0.6)
        raise CaseError(f"case {case_id}: no unit {unit_id!r} in {config_file('units.yaml')}"
                        + (f"; did you mean {' or '.join(near)}?" if near else f"; its units: {', '.join(sorted(units))}"),
                        f"units.yaml 中没有单位 {unit_id}")
    case = _load(session, case_id)
    if case.state == CLOSED:
        raise CaseError(f"case {case_id} is closed; reopen it before handing it to another unit",
                        f"案件 #{case_id} 已关闭，需先重新打开才能转办")
    if case.unit_id == unit_id:
        raise CaseError(f"case {case_id} is already with {unit_id}", f"案件 #{case_id} 已由该单位承办")
    previous = case.unit_id
    informed = [u for u in case.joint_unit_ids if u != unit_id]
    case.unit_id = unit_id
    # The new unit's coordinator joins as routing would have named it (a review: after 转办 to a district unit or to
    # the vertically managed 通信管理局, the office that coordinates it was never told).
    router = Router(config.units)
    office = router.coordinating_office(units[unit_id])
    coordinators = ([office.id] if office is not None and (units[unit_id].vertical or case.grade in MAJOR_GRADES)
                    and office.id not in case.joint_unit_ids else [])
    kept = [previous] if keep_previous and previous is not None and previous not in case.joint_unit_ids else []
    case.joint_unit_ids = [u for u in [*case.joint_unit_ids, *coordinators, *kept] if u != unit_id]
    case.route_explanation = [*case.route_explanation, {"step": "reassigned", "unit": unit_id, "from": previous,
                                                         "at": at.isoformat(), "reason": f"转办（{actor}）：{reason}"}]
    # The new unit signs it off itself: the previous unit's 签收 stopped escalation for silence for a unit that
    # had never seen the case.
    case.notified_at, case.escalation_level, case.escalated_at = at, 0, None
    record(session, case, at=at, actor=actor, action="reassigned", reason=reason,
           to_state="notified" if case.state == "acknowledged" else None, details={"from": previous, "to": unit_id})
    case.alert_seq += 1
    # The growth baseline stays: the units not told now hear of growth from what they were last told.
    sent = _alert(session, case, config, at, reason=f"转办：由{_unit_name(units, previous)}转来，{reason}",
                  units=[unit_id, *coordinators], handed_over=True, baseline=False)
    withdrawn = _withdraw_calls_to_act(session, case, config, previous, at) if previous is not None else []
    if kept:  # the unit the case leaves is told it stays on as a joint unit, not that a case came to it
        sent += _alert(session, case, config, at, baseline=False, units=kept,
                       reason=f"案件已上提至{_unit_name(units, unit_id)}牵头，本单位作为联动单位继续处置本辖区事宜：{reason}")
    elif previous in units:
        sent += _tell_former_unit(session, case, config, at, units[previous], actor, reason)
    if informed:  # the joint units learn whom they now work with (they were told nothing of the 转办)
        sent += _alert(session, case, config, at, baseline=False, units=informed,
                       reason=f"承办单位变更：{at.astimezone(config.settings.tz()):%m-%d %H:%M} 由 {actor_name(actor)} 从"
                              f"{_unit_name(units, previous)}转办至{_unit_name(units, unit_id)}，{reason}")
    record(session, case, at=at, actor=SYSTEM, action="re-alerted",
           reason=f"转办告警已排队发往 {len(sent)} 个接收方"
                  + (f"；撤销尚未发出的 {len(withdrawn)} 条发给{_unit_name(units, previous)}的通知" if withdrawn else ""),
           details={"recipients": [f"{n.channel}:{n.recipient}" for n in sent], "withdrawn": withdrawn})
    return sent


def _withdraw_calls_to_act(session: Session, case: Case, config: Config, former: str, at: datetime) -> list[int]:
    """The former unit's notifications still in the outbox that ask it to act (签收, 登记回应) are cancelled, with the
    转办 as their reason: sent after it, they arrived with live buttons for a case no longer the unit's (a review,
    2026-11-27). The unit hears of the 转办 itself; a message it already has loses its buttons (``retire``)."""
    from alerts.outbox import FAILED, PENDING, RETRYING, cancel

    waiting = session.scalars(select(Notification).where(
        Notification.case_id == case.id, Notification.status.in_((PENDING, RETRYING, FAILED))))
    ids = [n.id for n in waiting if (n.payload or {}).get("recipient_unit") == former
           and (n.payload or {}).get("recipient_role") == RESPONSIBLE_ROLE]
    units = {u.id: u for u in config.units.units}
    reason = (f"案件已于 {at.astimezone(config.settings.tz()):%Y-%m-%d %H:%M} 转办至"
              f"{_unit_name(units, case.unit_id)}，{_unit_name(units, former)}无需再签收或登记回应，未发出")
    return cancel(session, ids, reason=reason)


def _tell_former_unit(session: Session, case: Case, config: Config, at: datetime, former: Unit, actor: str,
                      reason: str) -> list[Notification]:
    """Tell the unit a case left that it need not act any more, once; its Slack copies that carry 签收/登记回应
    (``retire``: their ``channel/ts``) are updated by the notifier to say so — they kept their buttons, and a press
    there was refused as if the unit were only informed (a review, 2026-11-27)."""
    units = {u.id: u for u in config.units.units}
    said = (f"案件 #{case.id} 已于 {at.astimezone(config.settings.tz()):%Y-%m-%d %H:%M} 由 {actor_name(actor)} 转办至"
            f"{_unit_name(units, case.unit_id)}，原因：{reason}；此后无需你单位处理")
    retire = _held_copies(session, case.id, former.id)
    payload = case_payload(case, config, "alert", extra={"reason": said, "alert_seq": case.alert_seq,
                                                        "recipient_unit": former.id, "recipient_role": FORMER_ROLE,
                                                        "retire": retire})
    return queue(session, case=case, kind="alert", recipients=unit_recipients(former), payload=payload,
                 key=f"handed-away:{case.id}:{case.alert_seq}:{former.id}", at=at)


def _held_copies(session: Session, case_id: int, unit_id: str) -> list[str]:
    """The ``channel/ts`` of the case's delivered Slack messages that asked ``unit_id`` to act (签收, 登记回应)."""
    sent = session.scalars(select(Notification).where(
        Notification.case_id == case_id, Notification.channel == "slack", Notification.external_id.is_not(None)))
    return [n.external_id for n in sent if n.external_id and (n.payload or {}).get("recipient_unit") == unit_id
            and (n.payload or {}).get("recipient_role") == RESPONSIBLE_ROLE]


def actor_name(actor: str) -> str:
    """Who did something, as a message names them: the pipeline's own 转办 (a spread case handed up) is not "system"."""
    return "系统（按路由规则）" if actor == SYSTEM else actor


def _unit_name(units: Mapping[str, Unit], unit_id: str | None) -> str:
    unit = units.get(unit_id or "")
    return unit.name if unit is not None else (unit_id or "未分派")


def close(session: Session, case_id: int, actor: str, at: datetime, reason: str = "") -> Case:
    """Close a case; closing one nobody answered needs a reason on the record."""
    case = _load(session, case_id)
    if case.state == CLOSED:
        return case
    if case.state != "responded" and not reason.strip():
        raise CaseError(f"case {case_id} has no response yet; give a reason to close it anyway (--reason)")
    case.closed_at = at
    record(session, case, at=at, actor=actor, action="closed", to_state=CLOSED, reason=reason)
    return case


def reopen(session: Session, case_id: int, actor: str, at: datetime, reason: str, config: Config) -> Case:
    """Reopen an answered or closed case: fresh deadlines from now, and the units are alerted again."""
    if not reason.strip():
        raise CaseError(f"case {case_id}: say why it reopens (--reason)")
    case = _load(session, case_id)
    if case.state not in ("responded", CLOSED):
        raise CaseError(f"case {case_id} is {case.state}, still open; only responded or closed cases reopen")
    case.alert_seq += 1
    _reopen(session, case, config, at, actor, reason)
    sent = _alert(session, case, config, at, reason=f"重新打开：{reason}")
    record(session, case, at=at, actor=SYSTEM, action="re-alerted",
           reason=f"重新打开的告警已排队发往 {len(sent)} 个接收方",
           details={"recipients": [f"{n.channel}:{n.recipient}" for n in sent]})
    return case


def _reopen(session: Session, case: Case, config: Config, at: datetime, actor: str, reason: str,
            cues: Iterable[str] = (), second_wave: bool = False) -> None:
    """Reopen a case; ``second_wave``: its event grew after it was answered (次生舆情), which the evaluation counts
    against the response."""
    case.reopen_count += 1
    case.closed_at = None
    case.notified_at = at
    case.escalation_level = 0
    case.escalated_at = None
    record(session, case, at=at, actor=actor, action="reopened", to_state="reopened", reason=reason,
           details={"second_wave": True} if second_wave else None)
    if case.grade in MAJOR_GRADES:
        _join_units(session, case, config, at)
    added = _add_deadlines(session, case, config, at, case.title, cues=list(cues) or _cues_judged_before(case, config))
    _record_deadlines(session, case, config, at, added, "案件重新打开，期限重新计算")


def _cues_judged_before(case: Case, config: Config) -> list[str]:
    """The sensitive cues an earlier round's report upward was set for (a case reopened by hand has no event at
    hand to read them from; the deadline's basis names them, 敏感舆情（死亡）)."""
    from analysis.severity import CUE_LABELS

    if case.grade in MAJOR_GRADES:
        return []
    bases = " ".join(d.basis or "" for d in case.deadlines if base_kind(d.kind) == "report_upward")
    return [c for c in config.policy.deadlines.sensitive_cues if "敏感舆情" in bases and CUE_LABELS.get(c, c) in bases]


def case_dict(case: Case, config: Config) -> dict[str, Any]:
    """A case as JSON for `yuqing cases list --json` and the replay report."""
    tz = config.settings.tz()
    pending = sorted(case.pending_deadlines(), key=lambda d: d.due_at) if case.state != CLOSED else []
    return {
        "id": case.id,
        "event_id": case.event_id,
        # what the case must meet next (a closed case: nothing; a false alarm showed a deadline to meet)
        "next_deadline": {"kind": pending[0].kind, "due_at": local(pending[0].due_at, tz),
                          "overdue_at": local(pending[0].overdue_at, tz)} if pending else None,
        "title": case.title,
        "topic": case.topic,
        "region": _region_label(case),
        "districts": case.districts,
        "grade": case.grade,
        "risk": case.risk,
        "rule": case.rule,
        "unit": case.unit_id,
        "joint_units": case.joint_unit_ids,
        "state": case.state,
        "escalation_level": case.highest_escalation(),
        "volume": case.volume,
        "opened_at": local(case.opened_at, tz),
        "acknowledged_at": local(case.acknowledged_at, tz),
        "responded_at": local(case.responded_at, tz),
        "closed_at": local(case.closed_at, tz),
        "deadlines": [{"kind": d.kind, "due_at": local(d.due_at, tz), "basis": d.basis,
                       "met_at": local(d.met_at, tz), "overdue_at": local(d.overdue_at, tz),
                       "reminded": d.reminded_fractions, "escalation_level": d.escalation_level}
                      for d in sorted(case.deadlines, key=lambda d: d.due_at)],
        # in the order things happened, as the case page shows it: a response entered later (respond --at) stands
        # where it was published, not where it was typed in; answered_at: when a response was published (a board
        # reply given before the case opened stands at the opening)
        "timeline": [{"at": local(e.at, tz), "actor": e.actor, "action": e.action, "from": e.from_state,
                      "to": e.to_state, "reason": e.reason, "details": e.details,
                      "answered_at": local(e.answered_at(), tz)} for e in sorted(case.events, key=lambda e: e.at)],
        "assessments": [{"assessor": a.assessor, "at": local(a.at, tz), "scores": a.scores, "total": a.total,
                         "level": assessment.level(a.total).colour, "note": a.note} for a in case.assessments],
    }
