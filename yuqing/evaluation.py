"""Judging responses (domain.md §7): response rate, timeliness, time to acknowledge and respond, effect.

回应率 is the share of cases that got a response; 回应及时率 the share whose response deadlines — the
authoritative release, the press conference, the 48 h response, a board reply — were all met on time (each
deadline judged by the response that met it, so a follow-up published days later, which 61号 asks for, does
not make an on-time answer late); time to response is the time to the *first* response. A 补录 — an answer entered
after its deadline had passed, stating that it was published before (``LateEntry``) — is the unit's own word about
its timeliness given once it was overdue and escalated: it counts as late until an evaluator has checked the
publication and confirmed it (`yuqing cases confirm-entry`), and the evaluator's page and workbook list it either way.
Until confirmed it is timed at when it was entered in every figure, as its deadline is: time to first response and
to sign-off, the effect window, the unit credited with the answer.
A release at 20:00 that is entered the next morning is then counted late until someone confirms it. That is the
price of not letting a unit certify its own timeliness.

Effect compares the 24 h before the first response with the 24 h after it, once those 24 h are over: the
negative share should fall, and talk should not grow into secondary public opinion (次生舆情). Volume is
compared as posts per hour: when the event began less than 24 h before the response, the "before" window
starts at its first post, so a fast answer is not judged on a shorter window than a slow one.

After a 转办 each unit answers for its own time holding the case (``Stint``; ``holder_at`` says whose): a deadline is
the unit's that held the case when it fell due, a response — and the effect judged from it, and a red assessment of
the handling — the unit's that held it when the response was given, a sign-off the unit's that gave it.

Accountability follows 国办发〔2018〕23号 to the letter: units whose handling of *major* public opinion (grade
I/II) was 处置不得力 (ineffective: a statutory response deadline missed, or a response after which negative
talk did not fall or grew), 回应不妥当 (inappropriate) or 报告不及时 (the report upward missed) are proposed for
通报批评 (one finding on one case) or 约谈整改 (more: several findings, or several major cases). 回应不妥当 is a
judgement of content that the numbers cannot make: evaluators score the handling by hand (`yuqing cases assess`,
the opinion lab's six indicators in ``yuqing.assessment``), and a red panel total (< 10, 应对严重失当) is the
finding. Late cases of lower grades are listed, not proposed for accountability. ``case_findings`` alone decides
which cases make a finding; every proposal names those cases and their grounds.

Citizen messages on a message board are judged one by one besides (``judge_message``): each is owed a reply by its own
deadline (皖政办〔2015〕12号), and a case that gathered 56 messages is answered, for 回应率, by its first reply. The
messages get figures of their own — due, answered, answered on time (留言答复及时率), unanswered past due — and leave
the case verdict as it was: the case figures weigh each matter once, whatever its volume, and stay comparable with
cases from news and Weibo, while counting messages into them would let one cluster of 56 outweigh every other case
(or hide 55 unanswered messages behind one answered case). An unanswered or late message counts against the unit that
held the case when its reply fell due, as a missed deadline does; it makes no finding of 23号, which concerns the
handling of major public opinion.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from statistics import median
from typing import Any, Literal, overload

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yuqing import assessment
from yuqing.contract import MAJOR_GRADES, base_kind, deadline_kind_name, deadline_status, episode
from yuqing.db.models import BoardMessage, Case, CaseEvent, Deadline

# Deadlines a response to the public meets (the press conference is one: 61号 and 80号 set it beside the 5 h
# release); the report upward is internal and judged apart.
RESPONSE_KINDS = ("authoritative_release", "press_conference", "response", "reply_suggestion", "reply_complaint")
REPORT_KINDS = ("report_upward",)
EFFECT_WINDOW = timedelta(hours=24)
# Talk after the response at more than this many times its rate before is a second wave (次生舆情); equal rates
# are talk going on, which a falling negative share can still show to be working.
SECOND_WAVE_RATE = 1.5
# The "before" window is never counted as shorter than this: one post a minute before the answer is no rate.
MIN_BEFORE_HOURS = 1.0


@overload
def stored_aware(value: datetime) -> datetime: ...
@overload
def stored_aware(value: None) -> None: ...
def stored_aware(value: datetime | None) -> datetime | None:
    """Times from the database are aware; a naive one (an older row) was stored in UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


DAY_ONLY = "（仅日期）"  # after a date its source gave without the time of day


@dataclass(frozen=True)
class MessageVerdict:
    """One citizen message of a case judged on its own reply deadline. ``due``: judged — answered, or its deadline
    passed; ``unit_id``: the unit that held the case when the reply fell due."""

    post_id: str
    title: str
    kind: str
    received_at: datetime
    due_at: datetime
    replied_at: datetime | None
    replier: str | None
    basis: str
    unit_id: str | None
    due: bool
    answered: bool
    on_time: bool
    reply_day_only: bool = False  # the board dated the reply by its day alone: replied_at is that day's end

    def replied_shown(self, tz: tzinfo | None) -> str:
        """The reply's time in ``tz``; one dated by its day alone as that day, marked, not as the 23:59 it counts at."""
        if self.replied_at is None:
            return "—"
        local = self.replied_at.astimezone(tz)
        return f"{local:%Y-%m-%d}{DAY_ONLY}" if self.reply_day_only else f"{local:%Y-%m-%d %H:%M}"

    @property
    def overdue(self) -> bool:
        """Unanswered past its deadline."""
        return self.due and not self.answered

    def state(self, now: datetime) -> str:
        """The message's state in the evaluator's words: 按时答复, 逾期答复（晚 2.4 天）, 超期未答复（已超 13.0 天）,
        待答复（剩 3.5 天）."""
        if self.answered and self.replied_at is not None:
            late = (self.replied_at - self.due_at).total_seconds() / 86400
            return "按时答复" if late <= 0 else f"逾期答复（晚 {late:.1f} 天）"
        left = (self.due_at - now).total_seconds() / 86400
        return f"超期未答复（已超 {-left:.1f} 天）" if self.overdue else f"待答复（剩 {left:.1f} 天）"


def judge_message(case: Case, message: BoardMessage, now: datetime) -> MessageVerdict:
    """A board message's reply against its own deadline. Judged whatever became of the case: closing a case as a
    false alarm or after its first answer does not answer the citizens who wrote (a reply dated after ``now`` is not
    given yet)."""
    due_at, replied = stored_aware(message.due_at), stored_aware(message.replied_at)
    answered = replied is not None and replied <= now
    return MessageVerdict(post_id=message.post_id, title=message.title, kind=message.kind,
                          received_at=stored_aware(message.received_at), due_at=due_at, replied_at=replied,
                          replier=message.replier, basis=message.basis, unit_id=holder_at(case, due_at),
                          due=answered or now > due_at, answered=answered,
                          on_time=answered and replied is not None and replied <= due_at,
                          reply_day_only=message.replied_precision == "day")


# The audit action by which an evaluator confirms a 补录 (alerts.cases.confirm_late_entry).
LATE_ENTRY_CONFIRMED = "late_entry_confirmed"


@dataclass(frozen=True)
class LateEntry:
    """补录: a deadline met by an answer entered after the deadline had passed, stating a publication time before it
    (``cases respond --at``, Slack's 登记回应 with an earlier time). The unit's own word that it was on time, given
    once it was overdue: it counts as late until an evaluator, having checked the publication, confirms it."""

    kind: str
    published: datetime
    recorded: datetime
    confirmed_by: str | None = None  # the evaluator who confirmed it; None: 补录待核实

    def shown(self, tz: tzinfo | None) -> str:
        """In the evaluator's words: "回应 补录待核实（称 03-03 09:00 发布，03-04 11:00 登记，期限 …）"."""
        state = f"补录已核实（{self.confirmed_by}）" if self.confirmed_by else "补录待核实（计为超时）"
        return (f"{deadline_kind_name(self.kind)} {state}：称 {self.published.astimezone(tz):%m-%d %H:%M} 发布，"
                f"{self.recorded.astimezone(tz):%m-%d %H:%M} 登记")


def late_entries(case: Case) -> list[LateEntry]:
    """The case's 补录 (``LateEntry``): each deadline met on time by the stated publication time of an answer that
    was entered after the deadline, with the evaluator who confirmed it if one has since."""
    found = []
    for deadline in case.deadlines:
        met, due = stored_aware(deadline.met_at), stored_aware(deadline.due_at)
        if met is None or met > due:
            continue
        entry = next((e for e in case.events if e.action in ("responded", "reported_upward")
                      and stored_aware(e.at) == met
                      and any(m.get("kind") == deadline.kind for m in (e.details or {}).get("deadlines_met", []))),
                     None)
        stated = (entry.details or {}).get("recorded_at") if entry is not None else None
        recorded = stored_aware(datetime.fromisoformat(stated)) if stated else None
        if recorded is None or recorded <= due:
            continue
        confirmed = next((e.actor for e in case.events if e.action == LATE_ENTRY_CONFIRMED
                          and stored_aware(e.at) >= recorded), None)
        found.append(LateEntry(deadline.kind, met, recorded, confirmed))
    return found


def unconfirmed_entries(case: Case) -> list[LateEntry]:
    """The case's 补录 no evaluator has confirmed yet: timed at when they were entered, not the time they state."""
    return [e for e in late_entries(case) if e.confirmed_by is None]


@dataclass
class CaseVerdict:
    """How one case was handled."""

    case_id: int
    title: str
    unit_id: str | None
    grade: str | None
    responded: bool | None  # None: not judged — nothing was owed (a false alarm), or the deadline is still ahead
    on_time: bool | None
    hours_to_ack: float | None
    hours_to_response: float | None
    overdue_kinds: list[str]
    negative_before: float | None = None
    negative_after: float | None = None
    volume_before: int | None = None
    volume_after: int | None = None
    hours_before: float = EFFECT_WINDOW.total_seconds() / 3600  # how long the "before" window really was
    effect_window_over: bool = False  # the 24 h after the response have passed: the effect can be judged
    assessed_total: float | None = None  # the evaluators' mean total (yuqing.assessment), when scored
    assessors: int = 0
    handed_from: list[str] = field(default_factory=list)  # the units it was handed over from (转办), in order
    judged_deadlines: list[tuple[str, bool]] = field(default_factory=list)  # (kind, met on time) of those judged
    # (kind, met on time) of its reports upward judged (met, or past due): apart from the public deadlines, which
    # on_time and the 回应及时率 count — a missed 2 h report sat beside 按时 是 and 100 %.
    judged_reports: list[tuple[str, bool]] = field(default_factory=list)
    awaiting: bool = False  # unanswered, its response deadline still ahead: 待回应, not (yet) unanswered
    reopened_after_answer: bool = False  # its event grew again after an answer and the case reopened (次生舆情)
    messages: list[MessageVerdict] = field(default_factory=list)  # its board messages, each by its own deadline
    # When its first answer was published, if before the case (or the round it answers) began: a board reply found
    # with its message. It meets the deadlines, but took no time and signed nothing off (hours_to_* are None).
    answered_before_opening: datetime | None = None
    late_entries: list[LateEntry] = field(default_factory=list)  # its 补录, confirmed or not
    responder: str | None = None  # the unit that gave its first response (held the case then): its effect is that unit's
    owed_by: list[str | None] = field(default_factory=list)  # the units that owed a response (回应率 per unit)
    answered_by: list[str | None] = field(default_factory=list)  # the units that published its responses, in order
    stints: list[Stint] = field(default_factory=list)  # each unit's time holding it, with its own sign-off

    @property
    def assessed_units(self) -> list[str | None]:
        """The units a panel's score of the handling is charged to: those that published the responses it judged;
        with none published, those that owed one — a red score is no finding on a unit that got the case after."""
        return self.answered_by or self.owed_by or [self.unit_id]

    @property
    def unconfirmed_entries(self) -> list[LateEntry]:
        """Its 补录 not yet confirmed by an evaluator: counted late."""
        return [e for e in self.late_entries if e.confirmed_by is None]

    @property
    def assessed_level(self) -> assessment.Level | None:
        return None if self.assessed_total is None else assessment.level(self.assessed_total)

    @property
    def inappropriate(self) -> bool:
        """回应不妥当: the evaluators' panel scored the handling red (应对严重失当)."""
        return self.assessed_level is not None and self.assessed_level.colour == assessment.INAPPROPRIATE

    @property
    def second_wave(self) -> bool:
        """次生舆情: posts per hour in the 24 h after the response well above the rate before it."""
        before_rate = (self.volume_before or 0) / max(self.hours_before, MIN_BEFORE_HOURS)
        after_rate = (self.volume_after or 0) / (EFFECT_WINDOW.total_seconds() / 3600)
        return after_rate > SECOND_WAVE_RATE * before_rate

    @property
    def effective(self) -> bool | None:
        """A response worked when no second wave followed and the negative share fell — or the talk died down
        (no posts after it), or there was no negative talk before and none after. None until the 24 h after the
        response are over (the shares are shown as they stand meanwhile). A case reopened because its event grew
        again after the answer (次生舆情, found days later as well as within the 24 h) did not work, whatever the
        shares."""
        if self.reopened_after_answer:
            return False
        if not self.effect_window_over or self.negative_before is None:
            return None
        if self.second_wave:
            return False
        if not self.volume_after or self.negative_after is None:
            return True
        if self.negative_before == 0:
            return self.negative_after == 0
        return self.negative_after < self.negative_before

    @property
    def ineffective_because(self) -> str | None:
        """Why the response did not work, in the evaluator's words; None when it worked or is not judged."""
        if self.effective is not False:
            return None
        if self.reopened_after_answer and not (self.effect_window_over and self.second_wave):
            return "回应后事态再次扩大（次生舆情），案件重新打开"
        return "回应后出现次生舆情" if self.second_wave else "回应后负面占比未下降"


# The findings of the 2018 key points (国办发〔2018〕23号), in their order.
FINDINGS = ("处置不得力", "回应不妥当", "报告不及时")


@dataclass
class UnitScore:
    unit_id: str
    cases: int = 0
    owed: int = 0  # cases judged for a response: answered, or a response deadline passed unanswered
    responded: int = 0
    on_time: int = 0
    judged: int = 0
    late: list[int] = field(default_factory=list)  # every case with a deadline missed, any grade
    # Board messages whose reply fell due while this unit held their case (judge_message): apart from the case figures.
    messages_due: int = 0
    messages_answered: int = 0
    messages_on_time: int = 0
    messages_overdue: int = 0  # unanswered past their deadline
    # Reports upward (向上报告) that fell due while this unit held their case, and those made on time.
    reports_due: int = 0
    reports_on_time: int = 0
    # Sign-off (签收) per unit, each of its stints holding a case (``Stint``): hours to its sign-off, and the cases it
    # held without one (handed on unsigned, or holding them unsigned now) → hours silent.
    sign_off_hours: list[float] = field(default_factory=list)
    unsigned: dict[int, float] = field(default_factory=dict)
    # The findings on grade I/II cases (``case_findings``): finding → case → its grounds, in words. The proposal,
    # the workbook's columns and its per-case findings all read this one record.
    findings: dict[str, dict[int, list[str]]] = field(default_factory=dict)

    def find(self, finding: str, case_id: int, ground: str) -> None:
        """Record a finding on a major case, on the ground given."""
        if finding not in FINDINGS:
            raise ValueError(f"{finding!r} is not one of the findings of the 2018 key points: {FINDINGS}")
        said = self.findings.setdefault(finding, {}).setdefault(case_id, [])
        if ground not in said:
            said.append(ground)

    def found(self, finding: str) -> list[int]:
        """The cases behind a finding, in the order they were opened."""
        return list(self.findings.get(finding, {}))

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.owed if self.owed else None

    @property
    def timely_rate(self) -> float | None:
        return self.on_time / self.judged if self.judged else None

    @property
    def message_timely_rate(self) -> float | None:
        """留言答复及时率: the share of the board messages due that were answered by their deadline."""
        return self.messages_on_time / self.messages_due if self.messages_due else None

    @property
    def report_timely_rate(self) -> float | None:
        """报告及时率: the share of the reports upward due that were made by their deadline."""
        return self.reports_on_time / self.reports_due if self.reports_due else None

    def count_sign_off(self, case_id: int, stint: Stint) -> None:
        """One time this unit held a case: signed off (and how fast), or not."""
        if stint.hours_to_sign_off is not None:
            self.sign_off_hours.append(stint.hours_to_sign_off)
        elif stint.unsigned:
            self.unsigned[case_id] = self.unsigned.get(case_id, 0.0) + stint.silent_hours

    @property
    def median_hours_to_ack(self) -> float | None:
        """签收用时（中位） of this unit's own sign-offs, each from the alert it answered (the 转办 to it, for one)."""
        return median(self.sign_off_hours) if self.sign_off_hours else None

    def count_message(self, message: MessageVerdict) -> None:
        """One board message whose reply fell due while this unit held its case."""
        self.messages_due += 1
        self.messages_answered += message.answered
        self.messages_on_time += message.on_time
        self.messages_overdue += message.overdue

    @property
    def accountability(self) -> str | None:
        """What the 2018 key points propose for this unit's handling of major public opinion, in their words, with
        the case numbers and grounds behind each finding, so that an evaluator can check it case by case."""
        found = [f for f in FINDINGS if self.findings.get(f)]
        if not found:
            return None
        parts = [f"{finding}：" + "，".join(f"#{case_id} {'、'.join(grounds)}"
                                            for case_id, grounds in self.findings[finding].items())
                 for finding in found]
        # One finding on one major case is 通报批评; more — several findings, or the same on several cases — is
        # 约谈整改. Counted by case, not by how the grounds are worded (two deadlines missed in one case are one).
        serious = sum(len(cases) for cases in self.findings.values()) > 1
        return f"{'约谈整改' if serious else '通报批评'}（{'；'.join(parts)}）"


@dataclass
class Evaluation:
    verdicts: list[CaseVerdict]
    units: list[UnitScore]
    now: datetime

    def _share(self, flags: list[bool]) -> float | None:
        return sum(flags) / len(flags) if flags else None

    @property
    def response_rate(self) -> float | None:
        return self._share([v.responded for v in self.verdicts if v.responded is not None])

    @property
    def timely_rate(self) -> float | None:
        return self._share([v.on_time for v in self.verdicts if v.on_time is not None])

    @property
    def message_timely_rate(self) -> float | None:
        """留言答复及时率 over every board message due (``judge_message``)."""
        return self._share([m.on_time for v in self.verdicts for m in v.messages if m.due])

    @property
    def report_timely_rate(self) -> float | None:
        """报告及时率 over every report upward due (met, or past its deadline)."""
        return self._share([in_time for v in self.verdicts for _, in_time in v.judged_reports])

    @property
    def median_hours_to_response(self) -> float | None:
        values = [v.hours_to_response for v in self.verdicts if v.hours_to_response is not None]
        return median(values) if values else None

    @property
    def median_hours_to_ack(self) -> float | None:
        values = [v.hours_to_ack for v in self.verdicts if v.hours_to_ack is not None]
        return median(values) if values else None

    @property
    def late_entered(self) -> list[CaseVerdict]:
        """The cases with a 补录: the evaluator page and the workbook list them, the unconfirmed counted late."""
        return [v for v in self.verdicts if v.late_entries]

    @property
    def answered_before_opening(self) -> list[CaseVerdict]:
        """The cases answered before they were opened, which the medians leave out: the pages name them, so that a
        median of fewer cases (or none, "—") is not read as every case's."""
        return [v for v in self.verdicts if v.answered_before_opening is not None]

    def findings_on(self, case_id: int) -> list[tuple[str, str, list[str]]]:
        """(the unit charged, the finding, its grounds) of one case, read from the units' findings: a case's row
        says what the units' columns and proposals count it for."""
        return [(u.unit_id, finding, cases[case_id]) for u in self.units for finding in FINDINGS
                if case_id in (cases := u.findings.get(finding, {}))]

    def as_dict(self, tz: tzinfo) -> dict[str, Any]:
        """The figures as /api/evaluation gives them, times in ``tz`` (the configured zone) as the pages show them:
        the database gives a 补录's publication time in UTC, its entry time in the zone it was entered in."""
        return {
            "cases": len(self.verdicts),
            "response_rate": self.response_rate,
            "timely_rate": self.timely_rate,
            "message_timely_rate": self.message_timely_rate,
            "report_timely_rate": self.report_timely_rate,
            "median_hours_to_response": self.median_hours_to_response,
            "median_hours_to_ack": self.median_hours_to_ack,
            "late_entries": [{"case": v.case_id, "deadline": e.kind, "published_at": e.published.astimezone(tz).isoformat(),
                              "recorded_at": e.recorded.astimezone(tz).isoformat(), "confirmed_by": e.confirmed_by,
                              "counted_on_time": e.confirmed_by is not None}
                             for v in self.late_entered for e in v.late_entries],
            "units": [{"unit": u.unit_id, "cases": u.cases, "response_rate": u.response_rate,
                       "timely_rate": u.timely_rate, "late_cases": u.late,
                       "board_messages": {"due": u.messages_due, "answered": u.messages_answered,
                                          "on_time": u.messages_on_time, "overdue": u.messages_overdue,
                                          "timely_rate": u.message_timely_rate},
                       "reports_upward": {"due": u.reports_due, "on_time": u.reports_on_time,
                                          "timely_rate": u.report_timely_rate},
                       "median_hours_to_ack": u.median_hours_to_ack,
                       "unsigned": [{"case": case_id, "hours_silent": hours} for case_id, hours in u.unsigned.items()],
                       "findings": {finding: [{"case": case_id, "grounds": grounds}
                                              for case_id, grounds in u.findings.get(finding, {}).items()]
                                    for finding in FINDINGS},
                       "accountability": u.accountability}
                      for u in self.units],
        }


def holders(case: Case) -> list[tuple[datetime, str | None]]:
    """Which unit held the case from when: the first, then each unit it was handed to (转办)."""
    handed = [e for e in case.events if e.action == "reassigned"]
    first = (handed[0].details or {}).get("from") if handed else case.unit_id
    return [(stored_aware(case.opened_at), first), *((stored_aware(e.at), (e.details or {}).get("to")) for e in handed)]


def holder_at(case: Case, at: datetime) -> str | None:
    """The unit that held the case at ``at``: the one place that says whose a deadline, a response, a sign-off or an
    effect is. A deadline missed before a 转办 is the previous unit's, and so is a response it gave (and the effect
    judged from it); the unit a case was handed to was charged with both (a review, session 24)."""
    held = holders(case)
    return max(((t, u) for t, u in held if t <= stored_aware(at)), key=lambda h: h[0], default=held[0])[1]


@dataclass(frozen=True)
class Stint:
    """承办期: one unit's time holding a case — from the opening, or the 转办 to it, until the 转办 onwards (``ended``;
    None: it holds the case still) — with its own first sign-off (签收, or the first response, which signs off too).
    Each unit answers for its own: a unit that held a case 46 days unsigned was hidden behind the 5 s in which the
    unit it was handed to answered, and a sign-off in 30 min vanished with the 转办 (a review, session 24)."""

    unit_id: str | None
    began: datetime
    ended: datetime | None
    signed_at: datetime | None  # when the unit first signed off while it held the case; None: it never did
    hours_to_sign_off: float | None  # from the alert it answered; None unsigned, or signed by a reply before opening
    silent_until: datetime  # an unsigned unit's silence lasted until the 转办, the closing, or now
    closed_in_its_hands: bool = False  # the case was closed while this unit held it

    @property
    def unsigned(self) -> bool:
        """Held without a sign-off: handed on unsigned, or holding the open case unsigned still. A case closed in its
        unit's hands unsigned (a false alarm closed by the office) is not counted: closing it was handling it."""
        return self.signed_at is None and not self.closed_in_its_hands

    @property
    def silent_hours(self) -> float:
        return (self.silent_until - self.began).total_seconds() / 3600

    @property
    def sign_off_state(self) -> Literal["signed", "answered_before_opening", "unsigned", "closed_unsigned"]:
        """What the unit did about signing off while it held the case, in the order the views word it: signed off
        (``hours_to_sign_off``), answered by a reply published before the case opened (signed nothing off), held it
        unsigned (``unsigned``: handed on, or holding it still), or had it closed in its hands unsigned."""
        if self.hours_to_sign_off is not None:
            return "signed"
        if self.signed_at is not None:
            return "answered_before_opening"
        return "unsigned" if self.unsigned else "closed_unsigned"


@dataclass(frozen=True)
class SignOff:
    """A sign-off as the evaluation counts it: when it was given (an unconfirmed 补录 at when it was entered), when
    what signed off was published (a board reply given before the case opened: before it)."""

    at: datetime
    published: datetime


def _sign_offs(case: Case, unconfirmed: list[LateEntry]) -> list[SignOff]:
    """Every sign-off of the case, in time order: each 签收, and each response (which signs off implicitly; README:
    a sign-off is no later than the unit's first response). An unconfirmed 补录 signs off when it was entered, as it
    meets its deadline then: its stated time is the unit's own word (签收用时 1.5 h on a case nobody signed off,
    from a report upward entered 54 days later)."""
    found = []
    for e in case.events:
        if e.action != "acknowledged" and not (e.details or {}).get("implicit_acknowledgement"):
            continue
        counted = _counted_at(e, unconfirmed)
        found.append(SignOff(counted, stored_aware(e.answered_at()) if counted == stored_aware(e.at) else counted))
    if not found and not any(e.action == "reassigned" for e in case.events) and case.acknowledged_at is not None:
        at = stored_aware(case.acknowledged_at)  # a case whose timeline holds no sign-off
        found = [SignOff(at, at)]
    return sorted(found, key=lambda s: (s.at, s.published))


def _counted_at(entry: CaseEvent, unconfirmed: list[LateEntry]) -> datetime:
    """When a response or sign-off counts: its time, or, for the answer behind an unconfirmed 补录, when it was
    entered — until an evaluator confirms it, the unit's claim is no evidence of when it answered."""
    at = stored_aware(entry.at)
    kinds = {m.get("kind") for m in (entry.details or {}).get("deadlines_met", [])}
    behind = next((e for e in unconfirmed if e.published == at and e.kind in kinds), None)
    return behind.recorded if behind is not None else at


def _alert_before(case: Case, since: datetime, at: datetime) -> datetime:
    """The alert a sign-off at ``at`` answered: the latest of ``since`` (the opening, or the 转办 to the unit) and
    the case's reopenings after it."""
    reopened = [stored_aware(e.at) for e in case.events if e.action == "reopened"]
    return max((r for r in reopened if since <= r <= at), default=since)


def stints(case: Case, now: datetime, signed: list[SignOff] | None = None) -> list[Stint]:
    """Each unit's time holding the case (``Stint``) with its first sign-off, timed from the alert it answered;
    ``signed``: the case's sign-offs (``_sign_offs``) when the caller has them already."""
    if signed is None:
        signed = _sign_offs(case, unconfirmed_entries(case))
    held = holders(case)
    closed = stored_aware(case.closed_at) if case.state == "closed" else None
    found = []
    for n, (began, unit_id) in enumerate(held):
        ended = held[n + 1][0] if n + 1 < len(held) else None
        first = next((s for s in signed if (n == 0 or s.at >= began) and (ended is None or s.at < ended)), None)
        hours = None
        if first is not None:
            came = _alert_before(case, began, first.at)
            hours = _hours(came, first.published)
        until = ended or closed or now
        found.append(Stint(unit_id, began, ended, first.at if first is not None else None, hours, max(until, began),
                           closed_in_its_hands=ended is None and closed is not None))
    return found


def _hours_to_sign_off(case: Case, signed: list[SignOff]) -> float | None:
    """Hours from the alert to the case's first sign-off, by whichever unit held it then: a case held 46 days
    unsigned and then handed on waited 46 days, not the 5 s its new unit took. From the opening, or the reopening
    it answered (a half-hour sign-off counted as 74 h after a reopening three days on). None when the first
    "sign-off" is an answer published before the case was opened (a board reply found with its message): nobody
    signed anything off, and 0 h made the median 0.0 h from one such case."""
    if not signed:
        return None
    first = signed[0]
    return _hours(_alert_before(case, stored_aware(case.opened_at), first.at), first.published)


def _round_starts(case: Case) -> dict[int, datetime]:
    """When each round of a case began (0: opened; n: the n-th reopening)."""
    reopened = [stored_aware(e.at) for e in case.events if e.action == "reopened"]
    return {0: stored_aware(case.opened_at), **{n: at for n, at in enumerate(reopened, start=1)}}


def _lapsed(deadline: Deadline, case: Case) -> bool:
    """A deadline the case was closed by (at or before its due time), unmet: no longer a duty (a false alarm
    closed in 20 minutes was judged late two days on, and its unit proposed for 约谈整改). Closing after the due
    time erases nothing."""
    at = stored_aware(case.closed_after(episode(deadline.kind)))
    if at is None or at > stored_aware(deadline.due_at):
        return False
    met = stored_aware(deadline.met_at)
    return met is None or met > at


def deadline_state(case: Case, deadline: Deadline, now: datetime) -> tuple[str, bool]:
    """(what a deadline's state is, whether it was missed), as the evaluation judges it, in the words of
    ``deadline_status`` that the messages use too. The case page and the unit page called a false alarm's deadlines
    missed, growing by the hour, where the evaluator did not. A 补录 reads as the evaluation counts it: missed until an
    evaluator confirms it (the case page said 按时完成 where the evaluator page counted it late)."""
    entry = next((e for e in late_entries(case) if e.kind == deadline.kind), None)
    if entry is not None:
        if entry.confirmed_by is None:
            return "补录待核实（期限过后登记，计为超时）", True
        return f"按时完成（补录已核实：{entry.confirmed_by}）", False
    return deadline_status(stored_aware(deadline.due_at), now, met=stored_aware(deadline.met_at),
                           closed=stored_aware(case.closed_after(episode(deadline.kind))))


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    """Hours from opening to an answer; None for an answer published before the case was opened (a board reply
    found with its message): 0 h pulled the median time to first response down for an answer given before the case
    existed, as it did the time to sign-off."""
    start, end = stored_aware(start), stored_aware(end)
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 3600


def _unconfirmed_met(unconfirmed: list[LateEntry]) -> Callable[[Deadline], datetime | None]:
    """When a deadline counts as met: an unconfirmed 补录's when it was entered, not the time it states."""
    entered = {e.kind: e.recorded for e in unconfirmed}
    return lambda deadline: entered.get(deadline.kind) or stored_aware(deadline.met_at)


def first_response(case: Case, unconfirmed: list[LateEntry] | None = None) -> datetime | None:
    """When the case was first answered, as the evaluation counts it: the earliest response that met a response
    deadline (``responded_at`` holds the latest response, follow-ups included), an unconfirmed 补录 at when it was
    entered — as its deadline counts it met then, so do the time to first response, the effect window and the unit
    the answer is credited to (the median said 5 h from a release "at 14:10" entered the next afternoon)."""
    if unconfirmed is None:
        unconfirmed = unconfirmed_entries(case)
    met_at = _unconfirmed_met(unconfirmed)
    met = [t for d in case.deadlines if base_kind(d.kind) in RESPONSE_KINDS and (t := met_at(d)) is not None]
    return min(met) if met else stored_aware(case.responded_at)


def first_published(case: Case, unconfirmed: list[LateEntry] | None = None) -> datetime | None:
    """When the case's first response was published (``CaseEvent.answered_at``): a board reply given before the case
    opened is recorded at the opening, but its effect is measured from when the public could read it — split at the
    opening, the talk that followed the reply counted as before it. An unconfirmed 补录: when it was entered."""
    first = first_response(case, unconfirmed)
    if first is None:
        return None
    return min((stored_aware(e.answered_at()) for e in case.events
                if e.action == "responded" and stored_aware(e.at) == first), default=first)


def responders(case: Case, unconfirmed: list[LateEntry]) -> list[str | None]:
    """The units that published the case's responses, each once, in order: each response is the unit's that held the
    case when it was given (``holder_at``; an unconfirmed 补录 when it was entered). A case whose rows hold no
    response entries (older data) is the first response's."""
    first = first_response(case, unconfirmed)
    given = sorted(_counted_at(e, unconfirmed) for e in case.events if e.action == "responded")
    if first is not None and first not in given:
        given = sorted([first, *given])
    return list(dict.fromkeys(holder_at(case, at) for at in given))


def judge_case(case: Case, now: datetime) -> CaseVerdict:
    """Timeliness of one case from its deadlines: each response deadline met by its due time, or not. A deadline
    the case was closed before (a false alarm, or a round closed before it fell due) is not judged."""
    entries = late_entries(case)
    unconfirmed = [e for e in entries if e.confirmed_by is None]
    signed = _sign_offs(case, unconfirmed)
    first, published = first_response(case, unconfirmed), first_published(case, unconfirmed)
    starts = _round_starts(case)
    met_at = _unconfirmed_met(unconfirmed)

    duties = [d for d in case.deadlines if not _lapsed(d, case)]
    # Judged: the response deadlines already met, or already past without a response.
    judged = [d for d in duties
              if base_kind(d.kind) in RESPONSE_KINDS and (d.met_at is not None or now > stored_aware(d.due_at))]
    reports = [d for d in duties
               if base_kind(d.kind) in REPORT_KINDS and (d.met_at is not None or now > stored_aware(d.due_at))]
    # Unanswered counts against the response rate once a response deadline has passed: not for a false alarm closed
    # before any fell due (it counted as unanswered), nor for a case 30 minutes old (the rate fell from 100 % to 88 %
    # the moment a case opened; a board message with 15 working days left counted unanswered for three weeks).
    missed = any(d.met_at is None for d in judged)
    awaiting = first is None and not missed and any(base_kind(d.kind) in RESPONSE_KINDS for d in duties)
    on_time = None if not judged else all((met := met_at(d)) is not None and met <= stored_aware(d.due_at)
                                          for d in judged)
    overdue = [d.kind for d in duties if (met_at(d) or now) > stored_aware(d.due_at)]
    # Time to response from the opening of the round it answered: a case closed as a false alarm and reopened
    # days later was answered in 2 h, not in 50. An answer published before that round began took no time: it is left
    # out of the median rather than counted as 0 h, which would say the unit answered the moment it was alerted (it
    # was never alerted to it) and pulled the median to 0.0 h; the pages name such cases instead.
    answered_round = max((n for n, at in starts.items() if first is not None and at <= first), default=0)
    early = published if published is not None and published < starts[answered_round] else None
    totals = [a.total for a in case.assessments]
    # Who owed the answer: each unit that held the case when a response deadline fell due unanswered, and the unit
    # that gave it — the unit a case was handed to was credited with its predecessor's answer (100 % beside 案件 0).
    responder = holder_at(case, first) if first is not None else None
    owed_by = list(dict.fromkeys([*(holder_at(case, stored_aware(d.due_at)) for d in judged
                                    if first is None or first > stored_aware(d.due_at)),
                                  *([responder] if first is not None else [])]))
    answered_by = responders(case, unconfirmed)
    return CaseVerdict(case_id=case.id, title=case.title, unit_id=case.unit_id, grade=case.grade,
                       responded=True if first is not None else (False if missed else None), on_time=on_time,
                       hours_to_ack=_hours_to_sign_off(case, signed), responder=responder,
                       owed_by=owed_by, answered_by=answered_by, stints=stints(case, now, signed),
                       hours_to_response=_hours(starts[answered_round], published), overdue_kinds=overdue,
                       assessed_total=assessment.panel_total(totals), assessors=len(totals),
                       handed_from=[str((e.details or {}).get("from") or "") for e in case.events
                                    if e.action == "reassigned"],
                       judged_deadlines=[(d.kind, (met := met_at(d)) is not None and met <= stored_aware(d.due_at))
                                         for d in judged], awaiting=awaiting,
                       judged_reports=[(d.kind, (met := met_at(d)) is not None and met <= stored_aware(d.due_at))
                                       for d in reports],
                       reopened_after_answer=any(e.action == "reopened" and (e.details or {}).get("second_wave")
                                                 for e in case.events),
                       messages=[judge_message(case, m, now) for m in case.board_messages],
                       answered_before_opening=early, late_entries=entries)


@dataclass(frozen=True)
class WindowTalk:
    """An event's posts in a time window (how many, how many negative) and when the event's first post came."""

    posts: int
    negative: int
    first_at: datetime | None = None


EffectLookup = Callable[[str, datetime, datetime], WindowTalk]


def evaluate(session: Session, now: datetime, since: datetime | None = None,
             effect: EffectLookup | None = None) -> Evaluation:
    """Judge every case opened since ``since``; with ``effect``, also judge whether responses worked."""
    query = (select(Case).options(selectinload(Case.deadlines), selectinload(Case.assessments),
                                  selectinload(Case.events), selectinload(Case.board_messages))
             .order_by(Case.opened_at))
    if since is not None:
        query = query.where(Case.opened_at >= since)
    verdicts = []
    units: dict[str, UnitScore] = {}
    for case in session.scalars(query):
        verdict = judge_case(case, now)
        responded_at = first_published(case, verdict.unconfirmed_entries)
        if effect is not None and responded_at is not None:
            verdict.effect_window_over = now >= responded_at + EFFECT_WINDOW
            before = effect(case.event_id, responded_at - EFFECT_WINDOW, responded_at)
            after = effect(case.event_id, responded_at, responded_at + EFFECT_WINDOW)
            verdict.volume_before, verdict.volume_after = before.posts, after.posts
            if before.first_at is not None:
                verdict.hours_before = min(verdict.hours_before, (responded_at - before.first_at).total_seconds() / 3600)
            verdict.negative_before = before.negative / before.posts if before.posts else None
            # no posts after: no share to show ("— → 0 %" read as all talk turned positive)
            verdict.negative_after = after.negative / after.posts if after.posts else None
        verdicts.append(verdict)

        def unit_score(unit_id: str | None) -> UnitScore:
            key = unit_id or "（未分派）"
            return units.setdefault(key, UnitScore(key))

        for unit_id in dict.fromkeys(stint.unit_id for stint in verdict.stints):
            unit_score(unit_id).cases += 1  # every unit that held it
        if verdict.responded is not None:
            for unit_id in verdict.owed_by:
                unit_score(unit_id).owed += 1
                unit_score(unit_id).responded += unit_id == verdict.responder
        for stint in verdict.stints:
            unit_score(stint.unit_id).count_sign_off(case.id, stint)
        # A deadline is the unit's that held the case when it fell due: after a 转办, the new unit was proposed for
        # 通报批评 over a release missed two hours before it got the case, and shown 0 % on time for it.
        due = {d.kind: d.due_at for d in case.deadlines}
        judged_by: dict[str | None, list[bool]] = {}
        for kind, in_time in verdict.judged_deadlines:
            judged_by.setdefault(holder_at(case, due[kind]), []).append(in_time)
        for unit_id, times in judged_by.items():
            unit_score(unit_id).judged += 1
            unit_score(unit_id).on_time += all(times)
        for kind, in_time in verdict.judged_reports:
            reporter = unit_score(holder_at(case, due[kind]))
            reporter.reports_due += 1
            reporter.reports_on_time += in_time
        for unit_id in _missed_by(case, verdict):
            unit_score(unit_id).late.append(case.id)
        for message in verdict.messages:
            if message.due:
                unit_score(message.unit_id).count_message(message)
        for unit_id, finding, ground in case_findings(case, verdict):
            unit_score(unit_id).find(finding, case.id, ground)
    return Evaluation(verdicts, sorted(units.values(), key=lambda u: u.unit_id), now)


def _missed_by(case: Case, verdict: CaseVerdict) -> dict[str | None, list[str]]:
    """The deadlines a case missed (their statutory kinds), by the unit that held the case when each fell due."""
    due = {d.kind: d.due_at for d in case.deadlines}
    missed_by: dict[str | None, list[str]] = {}
    for kind in verdict.overdue_kinds:
        missed = missed_by.setdefault(holder_at(case, due[kind]), [])
        if kind not in missed:
            missed.append(kind)
    return missed_by


def case_findings(case: Case, verdict: CaseVerdict) -> list[tuple[str | None, str, str]]:
    """The findings of the 2018 key points a case makes, as (the unit charged, the finding, its ground). The one
    place that says which cases make a unit 处置不得力, 回应不妥当 or 报告不及时: the workbook's column of 处置不得力
    listed every case whose response did not work, of any grade, while the proposal beside it counted missed
    deadlines of major cases — the two disagreed. Only grade I/II cases make findings (23号: 重大舆情)."""
    if case.grade not in MAJOR_GRADES:
        return []
    found: list[tuple[str | None, str, str]] = []
    for unit_id, missed in _missed_by(case, verdict).items():
        late = [k for k in missed if base_kind(k) in RESPONSE_KINDS]
        if late:
            found.append((unit_id, "处置不得力", "、".join(_named_once(late)) + "超时"))
        report = [k for k in missed if base_kind(k) in REPORT_KINDS]
        if report:
            found.append((unit_id, "报告不及时", "、".join(_named_once(report)) + "超时"))
    # The effect is the first response's, judged in the 24 h after it: the unit that gave it answers for it, not one
    # the case was handed to after that window closed (proposed for 通报批评 over a response it did not give).
    if verdict.ineffective_because:
        found.append((verdict.responder, "处置不得力", verdict.ineffective_because))
    if verdict.inappropriate and verdict.assessed_total is not None:
        for unit_id in verdict.assessed_units:
            found.append((unit_id, "回应不妥当", f"应对评估 {verdict.assessed_total:g} 分（红）"))
    return found


def _named_once(kinds: list[str]) -> list[str]:
    """Deadline kinds in words, in statutory order, each once (a reopened round's deadline names its round)."""
    order = {k: n for n, k in enumerate(RESPONSE_KINDS + REPORT_KINDS)}
    return list(dict.fromkeys(deadline_kind_name(k) for k in sorted(kinds, key=lambda k: (episode(k), order.get(base_kind(k), 99)))))
