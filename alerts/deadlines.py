"""Statutory response deadlines (domain.md §2), each with the document it comes from.

Grade I/II cases get the major set (report upward 2 h, authoritative information 5 h, press conference
24 h); message-board posts get working-day deadlines from the holiday calendar; everything else must be
answered within 48 h. The numbers live in ``policy.yaml``; this module only applies them, and says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from alerts.calendar import WorkCalendar
from analysis.letters import calls_itself_a_suggestion, complaint_words
from yuqing.contract import BOARD_SOURCE_TYPE, MAJOR_GRADES, base_kind
from yuqing.settings import BOARD_REPLY_PREFIX, DeadlineSpec, Policy

# What a response through a channel fulfils: a press conference is also an authoritative release, an
# internal report upward fulfils only the reporting deadline, and any public answer fulfils the rest.
REPORT_CHANNEL = "report_upward"
PRESS_CHANNEL = "press_conference"
# The channels a response to the public goes out through (domain.md §3: authoritative release, press conference
# or briefing, media interview, government Weibo / WeChat / apps, website; a message board's reply).
PUBLIC_CHANNELS = {
    "release": "权威发布", PRESS_CHANNEL: "新闻发布会", "briefing": "情况通报会", "interview": "媒体采访",
    "weibo": "政务微博", "wechat": "政务微信", "app": "政务客户端", "website": "政府网站",
    BOARD_SOURCE_TYPE: "留言板答复",
}
# ... and every channel a response is recorded through: the internal report upward too.
RESPONSE_CHANNELS = {**PUBLIC_CHANNELS, REPORT_CHANNEL: "向上报告"}


@dataclass(frozen=True)
class DueDate:
    """One deadline as computed: what must happen, by when, counted from when, and on what basis."""

    kind: str
    due_at: datetime
    starts_at: datetime
    basis: str


def deadline_class(grade: str | None, source_type: str | None) -> str:
    """Which set of deadlines applies: ``major``, ``message_board`` or ``other``."""
    if grade in MAJOR_GRADES:
        return "major"
    if source_type == BOARD_SOURCE_TYPE:
        return BOARD_SOURCE_TYPE
    return "other"


def _message_board_specs(specs: list[DeadlineSpec], text: str) -> tuple[list[DeadlineSpec], str]:
    """Pick the complaint or the suggestion deadline when policy distinguishes them."""
    complaint = [s for s in specs if "complaint" in s.kind]
    suggestion = [s for s in specs if "suggestion" in s.kind]
    if not complaint or not suggestion:
        return specs, ""
    # The writer's own word decides, and the suggestion's 7 working days are the shorter deadline, so a doubtful case
    # errs on time (analysis.letters: the words grading counts a complaint by too).
    if calls_itself_a_suggestion(text):
        return suggestion, "建议咨询类（留言自称建议）"
    cues = complaint_words(text)
    if cues:
        return complaint, f"投诉类（含“{'、'.join(cues)}”）"
    return suggestion, "建议咨询类（无投诉、举报等用语）"


class DeadlinePolicyError(ValueError):
    """policy.yaml names a sensitive cue the analysis does not find."""


def check_deadline_policy(policy: Policy) -> None:
    """Fail early, naming the key, when deadlines.sensitive_cues holds a cue analysis/severity.py never sets."""
    from analysis.severity import CUE_LABELS

    unknown = [c for c in policy.deadlines.sensitive_cues if c not in CUE_LABELS]
    if unknown:
        raise DeadlinePolicyError(f"policy.yaml deadlines.sensitive_cues: unknown cue(s) {', '.join(unknown)}; use "
                                  f"{', '.join(CUE_LABELS)}")


def deadline_for(*, grade: str | None, source_type: str | None, detected_at: datetime, policy: Policy,
                 tz: tzinfo, text: str = "", received_at: datetime | None = None,
                 cues: Iterable[str] = ()) -> list[DueDate]:
    """Every deadline a case gets when detected at ``detected_at``, with its basis spelled out.

    Hour deadlines run from detection (when the government learnt of it); working-day deadlines from
    ``received_at`` when given — a message board's clock starts when the citizen's message arrived, however
    long the crawl and the clustering took to turn it into a case.
    """
    if detected_at.tzinfo is None:
        raise ValueError("deadline_for needs a timezone-aware detection time")
    which = deadline_class(grade, source_type)
    specs: list[DeadlineSpec]
    note = ""
    if which == "major":
        specs, why = policy.deadlines.major, f"{grade} 级（特别重大/重大）"
    elif which == BOARD_SOURCE_TYPE and policy.deadlines.message_board:
        specs, note = _message_board_specs(policy.deadlines.message_board, text)
        why = "网民留言" + (f"，{note}" if note else "")
    else:
        specs, why = policy.deadlines.other, f"{grade + ' 级' if grade else '未定级'}，其他政务舆情"
    out = [] if which == "major" else _sensitive(policy, cues, detected_at)
    calendar = WorkCalendar(policy.calendar)
    for spec in specs:
        if spec.hours is not None:
            out.append(_in_hours(spec, spec.hours, detected_at, why))
            continue
        assert spec.working_days is not None
        source = spec.source or "policy.yaml"
        received = min(received_at, detected_at) if received_at is not None else detected_at
        due = calendar.add_working_days(received, spec.working_days, tz)
        basis = f"{source}：收到之日起 {spec.working_days} 个工作日内，自次日起算（{why}）"
        if received < detected_at:
            basis += f"；收到于 {received.astimezone(tz):%Y-%m-%d %H:%M}"
        skipped = calendar.skipped(received, due, tz)
        if skipped:
            basis += "；跳过节假日 " + "、".join(d.isoformat() for d in skipped)
        years = sorted({received.astimezone(tz).year, due.astimezone(tz).year})
        unknown = [y for y in years if not calendar.covers(y)]
        if unknown:
            basis += (f"；policy.yaml 的日历未列 {'、'.join(map(str, unknown))} 年的节假日，"
                      "只跳过了周末")
        out.append(DueDate(kind=spec.kind, due_at=due, starts_at=received, basis=basis))
    return out


def message_reply_deadline(*, policy: Policy, tz: tzinfo, text: str, received_at: datetime) -> DueDate | None:
    """When one citizen message on a board must be answered (皖政办〔2015〕12号): a complaint's or a suggestion's
    working days from its arrival, chosen by its own words (``text``, its title), as a board-only case's are. None
    when policy.yaml sets no message-board deadlines: then no message is owed a reply of its own."""
    if not policy.deadlines.message_board:
        return None
    dues = deadline_for(grade=None, source_type=BOARD_SOURCE_TYPE, detected_at=received_at, policy=policy, tz=tz,
                        text=text, received_at=received_at)
    return min(dues, key=lambda d: d.due_at, default=None)


def _in_hours(spec: DeadlineSpec, hours: float, detected_at: datetime, why: str) -> DueDate:
    """A deadline in wall-clock hours from detection, with its basis in words."""
    return DueDate(kind=spec.kind, due_at=detected_at + timedelta(hours=hours), starts_at=detected_at,
                   basis=f"{spec.source or 'policy.yaml'}：发现后 {hours:g} 小时内（{why}）")


def sensitive_cues(policy: Policy, cues: Iterable[str]) -> list[str]:
    """Which of an event's severity cues make its case sensitive (policy.yaml deadlines.sensitive_cues)."""
    names = {str(cue).split(":", 1)[0] for cue in cues}  # an event's cues carry their counts: deaths:2
    return [c for c in policy.deadlines.sensitive_cues if c in names]


def _sensitive(policy: Policy, cues: Iterable[str], detected_at: datetime) -> list[DueDate]:
    """The deadlines of a sensitive case below grade II (its event carries one of deadlines.sensitive_cues)."""
    from analysis.severity import CUE_LABELS

    found = sensitive_cues(policy, cues)
    if not found:
        return []
    why = f"敏感舆情（{'、'.join(CUE_LABELS.get(c, c) for c in found)}）"
    return [_in_hours(spec, spec.hours, detected_at, why) for spec in policy.deadlines.sensitive
            if spec.hours is not None]


def met_by(kind: str, channel: str, *, board_reply: bool = False) -> bool:
    """Whether a response through ``channel`` fulfils a deadline of ``kind``: the report upward only that deadline,
    a public channel the public ones (a press conference also its own), anything else — an internal note — none.
    A message's reply deadline (reply_…) is met only by the board's own reply collected with a message of the case
    (``board_reply``): a board reply entered by hand names no message and shows none answered, so it counts as a
    public response only — the case and its messages keep one verdict (the messages stay owed their replies)."""
    kind = base_kind(kind)
    if kind.startswith(BOARD_REPLY_PREFIX):  # a citizen's message is answered by its reply, not by a Weibo post
        return board_reply and channel == BOARD_SOURCE_TYPE
    if channel == REPORT_CHANNEL:
        return kind == "report_upward"
    if channel not in PUBLIC_CHANNELS:
        return False
    if kind == "report_upward":
        return False
    if kind == "press_conference":
        return channel == PRESS_CHANNEL
    return True


def reminder_times(starts_at: datetime, due_at: datetime, fractions: list[float]) -> list[tuple[float, datetime]]:
    """When to remind: at each fraction of the time from start to due (50 % and 80 % by default)."""
    span = due_at - starts_at
    return [(fraction, starts_at + span * fraction) for fraction in fractions]
