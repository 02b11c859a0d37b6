"""Turn a notification payload into what each channel shows: Slack Block Kit, e-mail, WeCom/DingTalk markdown.

Titles and summaries come from the web, so every renderer escapes them for its own syntax: Slack
mrkdwn (``& < >``), HTML in e-mail, and for the robot markdowns of WeCom and DingTalk, which have no
escape syntax, markdown control characters are replaced by their full-width forms (natural in
Chinese text, and they can no longer open a link, an image or a heading).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from alerts.deadlines import RESPONSE_CHANNELS
from yuqing.contract import CASE_STATE_NAMES, deadline_kind_name, deadline_status, grade_summary, region_label

# Slack interaction identifiers shared with alerts/slack_actions.py.
ACK_ACTION = "yuqing_acknowledge"
RESPOND_ACTION = "yuqing_record_response"
OPEN_ACTION = "yuqing_open_case"
# A case notification's ``recipient_role`` when it goes to the case's responsible unit, to a joint unit (联动单位,
# informed only), else "leader".
RESPONSIBLE_ROLE = "responsible"
JOINT_ROLE = "joint"
# The unit a case was handed away from (转办): told once that it need not act, its earlier copies lose their buttons.
FORMER_ROLE = "former"
# The 知悉 button on a joint unit's copy: it saw the case (a timeline entry, no sign-off).
NOTED_ACTION = "yuqing_noted"
ACTIONS_BLOCK = "yuqing_case_actions"
RESPONSE_MODAL = "yuqing_record_response_modal"
RESPONSE_INPUT_BLOCK = "response_text"
RESPONSE_INPUT_ACTION = "text"
RESPONSE_CHANNEL_BLOCK = "response_channel"
RESPONSE_CHANNEL_ACTION = "channel"
RESPONSE_TIME_BLOCK = "response_time"
RESPONSE_TIME_ACTION = "published_at"

# Warning colours of 突发事件 grades (red highest); see docs/domain.md §5.
_GRADES = {
    "I": ("红", "🔴", "#d0021b"),
    "II": ("橙", "🟠", "#f5a623"),
    "III": ("黄", "🟡", "#e6c700"),
    "IV": ("蓝", "🔵", "#4a90e2"),
}
_COLOUR_NAMES = {"red": "红", "orange": "橙", "yellow": "黄", "blue": "蓝"}
_KIND_HEADINGS = {"alert": "新舆情", "reminder": "时限提醒", "escalation": "升级", "digest": "舆情摘要"}
# Control characters (C0 but tab and newlines, DEL, C1), direction overrides and isolates that make text read
# backwards (标题\u202egnp.exe shows as 标题exe.png), and lone surrogates left by mis-decoded bytes.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                      "\ud800-\udfff]")
_FULL_WIDTH = str.maketrans({
    "<": "＜", ">": "＞", "[": "［", "]": "］", "(": "（", ")": "）", "*": "＊", "_": "＿", "`": "｀",
    "#": "＃", "!": "！", "~": "～", "|": "｜", "\\": "＼", "&": "＆",
})


# ----------------------------------------------------------------------------- escaping


def clean(text: Any) -> str:
    """Text without control characters (they break terminals, mail headers and JSON consumers)."""
    return _CONTROL.sub("", "" if text is None else str(text))


def one_line(text: Any, limit: int = 300) -> str:
    value = " ".join(clean(text).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def shorten(text: Any, limit: int) -> str:
    value = clean(text).strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


# Slack mrkdwn: ``& < >`` form links, mentions and @channel (escaped as entities); ``* _ ~ ` `` make bold, italics,
# strikethrough and code, which mrkdwn cannot escape: a web title's *紧急* read bold in the alert, so they become their
# full-width forms, as robot_escape does for WeCom and DingTalk.
_SLACK_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "*": "＊", "_": "＿", "~": "～", "`": "｀"}
_SLACK_TRANSLATION = str.maketrans(_SLACK_ENTITIES)


def slack_escape(text: Any) -> str:
    """Untrusted text for Slack mrkdwn: no link, mention or formatting of its own."""
    return clean(text).translate(_SLACK_TRANSLATION)


def slack_text(text: Any, limit: int) -> str:
    """Untrusted text escaped for mrkdwn and at most ``limit`` characters long — cut before escaping, so a cut
    never leaves half an entity ("&am…")."""
    escaped = slack_escape(clean(text).strip())
    if len(escaped) <= limit:
        return escaped
    out, size = [], 0
    for char in clean(text).strip():
        piece = _SLACK_ENTITIES.get(char, char)
        if size + len(piece) > limit - 1:
            break
        out.append(piece)
        size += len(piece)
    return "".join(out) + "…"


def _verbatim(node: Any) -> Any:
    """Every mrkdwn text object marked verbatim: Slack then turns no bare URL, channel name or @here/@channel in
    a post's text into a link or a mention (explicit <@U…> mentions the code writes still work)."""
    if isinstance(node, list):
        return [_verbatim(n) for n in node]
    if isinstance(node, dict):
        out = {k: _verbatim(v) for k, v in node.items()}
        if out.get("type") == "mrkdwn":
            out["verbatim"] = True
        return out
    return node


def slack_unescape(text: str) -> str:
    """Text as Slack hands it back (a message's ``text`` in an interaction payload keeps ``&amp; &lt; &gt;``)
    turned back into plain text, so escaping it again for a new block does not show "&amp;lt;"."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def html_escape(text: Any) -> str:
    return html.escape(clean(text), quote=True)


def robot_escape(text: Any) -> str:
    """WeCom/DingTalk markdown has no escapes: replace its control characters with full-width forms."""
    return clean(text).translate(_FULL_WIDTH)


# ----------------------------------------------------------------------------- the payload, read once


@dataclass(frozen=True)
class DeadlineView:
    kind: str
    due: datetime | None
    due_text: str
    countdown: str
    basis: str
    overdue: bool
    met: bool = False
    lapsed: bool = False  # unmet, its case closed by its due time: no longer a duty (已关闭，不再考核)


@dataclass(frozen=True)
class CaseView:
    """A payload read leniently: missing keys become empty strings, so a partial payload still renders."""

    kind: str
    title: str
    summary: str
    grade: str
    colour: str
    emoji: str
    risk: str
    topic: str
    region: str
    unit_name: str
    joint_units: list[str]
    deadlines: list[DeadlineView]
    factors: list[str]
    case_id: int | None
    state: str
    case_url: str | None
    escalation_level: int
    reason: str = ""  # why this alert went out: the rule, a graver grade, growth, a reopening
    again: bool = False  # an alert about a case alerted before (it grew, or reopened)
    handed_over: bool = False  # a case handed to this unit from another (转办): new to it
    handed_away: bool = False  # a case handed from this unit to another (转办): it need not act any more
    operational: bool = False  # about the system itself (a source down, search unreachable): no case, no grade
    acts: bool = False  # sent to the case's responsible unit, which alone signs it off and answers it in Slack
    informed: bool = False  # sent to a joint unit (联动单位), which says it has seen it (知悉)
    recovered: bool = False  # an operational all-clear: the fault told before is over
    cases: list[CaseView] = field(default_factory=list)
    cases_total: int = 0  # a digest's cases, listed or not (it lists the most urgent 50)

    @property
    def unlisted(self) -> str:
        """A digest's closing line when it lists fewer cases than there are, else ""."""
        more = self.cases_total - len(self.cases)
        return f"……另有 {more} 件未列出，请在看板查看" if more > 0 else ""

    @property
    def heading(self) -> str:
        """The kind of message in words: 新舆情, 运行告警, 时限提醒, 升级（第2级）, 舆情摘要."""
        if self.operational:
            return "运行恢复" if self.recovered else "运行告警"  # not 新舆情: nothing was said by the public
        if self.kind == "alert" and self.handed_over:
            return "转办"
        if self.kind == "alert" and self.handed_away:
            return "已转办"
        if self.kind == "alert" and self.again:
            return "舆情更新"  # a grade raised or a reopened case is no new incident
        base = _KIND_HEADINGS.get(self.kind, self.kind or "通知")
        return f"{base}（第{self.escalation_level}级）" if self.kind == "escalation" else base

    @property
    def grade_text(self) -> str:
        """The grade in words; "" for an operational alert (未定级 there read as an incident not yet graded)."""
        if self.operational:
            return ""
        if not self.grade:
            return "未定级"
        return f"{self.grade}级（{self.colour}）" if self.colour else f"{self.grade}级"

    @property
    def grade_tag(self) -> str:
        """``[III级（黄）] `` before a title; nothing for an operational alert."""
        return f"[{self.grade_text}] " if self.grade_text else ""


def read_payload(payload: dict[str, Any], now: datetime) -> CaseView:
    """Read a case (or digest) payload from the case side; ``now`` sets the deadline countdowns."""
    grade = str(payload.get("grade") or "").strip()
    operational = payload.get("operational") is True
    recovered = operational and payload.get("recovered") is True
    colour_name, emoji, _ = _GRADES.get(grade, ("", ("✅" if recovered else "⚠️") if operational else "⚪", ""))
    colour = str(payload.get("grade_colour") or "").strip()
    colour = _COLOUR_NAMES.get(colour.lower(), colour) or colour_name
    risk = payload.get("risk")
    case_id = payload.get("case_id")
    links = payload.get("links") or {}
    case_url = links.get("case") if isinstance(links, dict) else None
    return CaseView(
        kind=str(payload.get("kind") or "alert"),
        title=one_line(payload.get("title") or "（无标题）", 300),
        summary=shorten(payload.get("summary") or "", 2500),
        grade=grade,
        colour=colour,
        emoji=emoji,
        risk=f"{round(float(risk), 2):g}" if isinstance(risk, int | float) else one_line(risk or "", 20),
        topic=one_line(payload.get("topic") or "", 40),
        region=_region_text(payload.get("region")),
        unit_name=one_line(payload.get("unit_name") or payload.get("unit") or "", 100),
        joint_units=[_name_of(u) for u in payload.get("joint_units") or []],
        deadlines=[_deadline(d, now) for d in payload.get("deadlines") or [] if isinstance(d, dict)],
        factors=[_factor_text(f) for f in payload.get("factors") or []],
        case_id=int(case_id) if isinstance(case_id, int | str) and str(case_id).isdigit() else None,
        state=CASE_STATE_NAMES.get(str(payload.get("state") or ""), one_line(payload.get("state") or "", 30)),
        case_url=case_url if isinstance(case_url, str) and case_url.startswith(("http://", "https://")) else None,
        escalation_level=int(payload.get("escalation_level") or 0),
        reason=one_line(payload.get("reason") or "", 300),
        again=_count(payload.get("alert_seq")) > 0,
        handed_over=payload.get("handed_over") is True,
        handed_away=payload.get("recipient_role") == FORMER_ROLE,
        operational=operational,
        acts=payload.get("recipient_role") == RESPONSIBLE_ROLE,
        informed=payload.get("recipient_role") == JOINT_ROLE,
        recovered=recovered,
        cases=(cases := [read_payload(c, now) for c in payload.get("cases") or [] if isinstance(c, dict)]),
        cases_total=max(len(cases), _count(payload.get("cases_total"))),
    )


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else 0


def _region_text(region: Any) -> str:
    if isinstance(region, dict):
        return one_line(region_label(region) if any(region.values()) else "", 60)
    return one_line(region or "", 60)


def _name_of(unit: Any) -> str:
    if isinstance(unit, dict):
        return one_line(unit.get("name") or unit.get("unit_name") or unit.get("id") or "", 100)
    return one_line(unit, 100)


def _factor_text(factor: Any) -> str:
    """Factors are strings or dicts such as {"name", "value", "contribution", "why"}; keep what is there."""
    if not isinstance(factor, dict):
        return one_line(factor, 200)
    name = factor.get("label") or factor.get("name") or factor.get("factor") or ""
    value = factor.get("value")
    parts = [str(name)]
    if value is not None:
        parts.append(f"= {value:.2f}" if isinstance(value, float) else f"= {value}")
    weight = factor.get("contribution", factor.get("weight"))
    if isinstance(weight, int | float):
        parts.append(f"（贡献 {weight:.2f}）")
    why = factor.get("why") or factor.get("explanation") or factor.get("reason")
    if why:
        parts.append(f"— {why}")
    text = " ".join(p for p in parts if p)
    return one_line(text or json.dumps(factor, ensure_ascii=False), 200)


def _deadline(raw: dict[str, Any], now: datetime) -> DeadlineView:
    value = raw.get("due_at")
    due = _parse_time(value, now)
    if due is None:
        return DeadlineView(_deadline_kind(raw.get("kind")), None, one_line(value or "未知", 40), "",
                            one_line(raw.get("basis") or "", 200), False)
    # Shown in the zone the payload wrote it in (the configured one, e.g. Asia/Shanghai), not the notifier
    # clock's: a replay or a worker on UTC time showed 01:00 beside a summary saying 09:00.
    local = due
    met = _parse_time(raw.get("met_at"), now)
    closed = _parse_time(raw.get("closed_at"), now)
    countdown, missed = deadline_status(due, now, met=met, closed=closed)
    return DeadlineView(
        kind=_deadline_kind(raw.get("kind")),
        due=due,
        due_text=local.strftime("%Y-%m-%d %H:%M"),
        countdown=countdown,
        basis=one_line(raw.get("basis") or "", 200),
        overdue=met is None and missed,
        met=met is not None,
        lapsed=met is None and closed is not None and not missed,
    )


def _deadline_kind(kind: Any) -> str:
    return one_line(deadline_kind_name(str(kind or "")), 60)


def _parse_time(value: Any, now: datetime) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=now.tzinfo)


# ----------------------------------------------------------------------------- plain text


def plain_text(payload: dict[str, Any], now: datetime) -> str:
    """The message as plain text: the e-mail text part, webhook ``text`` and the record file."""
    view = read_payload(payload, now)
    if view.kind == "digest":
        lines = [f"{view.heading}：{view.cases_total} 件"] + ([view.summary] if view.summary else [])
        lines += [f"- {_case_line(c)}" for c in view.cases] + ([view.unlisted] if view.unlisted else [])
        return "\n".join(lines)
    lines = [f"【{view.heading}】{view.grade_tag}{view.title}"]
    if view.summary:
        lines += ["", view.summary, ""]
    lines += [f"{label}：{value}" for label, value in _facts(view)]
    for d in view.deadlines:
        lines.append(f"时限 {d.kind}：{d.due_text}（{d.countdown}）{('依据：' + d.basis) if d.basis else ''}")
    if view.factors:
        lines.append("研判依据：")
        lines += [f"  - {f}" for f in view.factors]
    if view.case_url:
        lines.append(f"链接：{view.case_url}")
    return "\n".join(lines)


def _facts(view: CaseView) -> list[tuple[str, str]]:
    facts = [("告警原因", view.reason), ("等级", view.grade_text), ("风险", view.risk), ("主题", view.topic),
             ("地区", view.region), ("接收单位" if view.operational else "责任单位", view.unit_name), ("联动单位", "、".join(view.joint_units)),
             ("案件", f"#{view.case_id}" if view.case_id is not None else ""), ("状态", view.state)]
    return [(label, value) for label, value in facts if value]


def _case_line(view: CaseView) -> str:
    """A digest's line for a case: every deadline already missed and the next one still ahead, with its time. Only
    the earliest unmet one was shown, usually a missed one: "向上报告 已超时 21小时" stood where the press conference
    due within the hour should have been (a review, 2026-11-27)."""
    open_ = sorted((d for d in view.deadlines if d.due and not d.met and not d.lapsed),
                   key=lambda d: d.due or datetime.max)
    missed = [f"{d.kind} {d.countdown}" for d in open_ if d.overdue]
    ahead = next((d for d in open_ if not d.overdue), None)
    due = missed + ([f"{ahead.kind} {ahead.due_text[5:]}（{ahead.countdown}）"] if ahead else [])
    parts = [f"#{view.case_id}" if view.case_id is not None else "", view.grade_tag.strip(), view.title,
             view.unit_name, view.state, "；".join(due)]
    return " · ".join(p for p in parts if p)


# ----------------------------------------------------------------------------- Slack


def slack_message(payload: dict[str, Any], now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """Notification text (shown in push notifications) and Block Kit blocks for chat.postMessage."""
    view = read_payload(payload, now)
    if view.kind == "digest":
        return _slack_digest(view)
    text = f"{view.emoji} {view.heading}：{slack_escape(view.grade_tag)}{slack_text(view.title, 2900)}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": shorten(" · ".join(p for p in (f"{view.emoji} {view.heading}",
                                                                                   view.grade_text, view.title) if p),
                                                    150)}},
    ]
    if view.summary:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": slack_text(view.summary, 2900)}})
    facts = _facts(view)
    if facts:
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{label}*\n{slack_text(value, 1900 - len(label))}"} for label, value in facts[:10]
        ]})
    if view.deadlines:
        lines = []
        for d in view.deadlines:
            when = (f"<!date^{int(d.due.timestamp())}^{{date_short_pretty}} {{time}}|{d.due_text}>"
                    if d.due else slack_escape(d.due_text))
            mark = "⛔" if d.overdue else "⏳"
            basis = f"\n    _依据：{slack_text(d.basis, 400)}_" if d.basis else ""
            lines.append(f"{mark} *{slack_escape(d.kind)}*：{when}（*{d.countdown}*）{basis}")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": shorten("*时限*\n" + "\n".join(lines), 2900)}})
    if view.factors:
        factor_text = "\n".join(f"• {slack_text(f, 230)}" for f in grade_summary(view.factors, 12))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": shorten("*研判依据*\n" + factor_text, 2900)}})
    actions = slack_case_buttons(view.case_id, view.case_url, acts=view.acts, informed=view.informed,
                                 link_text=_link_text(view, "打开案件"))
    if actions:
        blocks.append({"type": "actions", "block_id": ACTIONS_BLOCK, "elements": actions})
    return shorten(text, 3000), _verbatim(blocks)


def _link_text(view: CaseView, case_text: str) -> str:
    """What the link opens: the case, or for an operational message the sources' page or the system's state."""
    if not view.operational:
        return case_text
    return "查看数据源状态" if (view.case_url or "").rstrip("/").endswith("/sources") else "查看系统状态"


def slack_case_buttons(case_id: int | None, case_url: str | None, *, acts: bool, informed: bool = False,
                       link_text: str = "打开案件") -> list[dict[str, Any]]:
    """Acknowledge / record response buttons carry the case id as their value; the link opens the case.

    Only the responsible unit's copy (``acts``) has the first two: a joint unit or a leader who pressed 签收 signed
    the case off for the unit that must answer (a review, 2026-11-27). A joint unit's copy (``informed``) has 知悉
    instead, so that there is a record that it saw the case.
    """
    buttons: list[dict[str, Any]] = []
    if case_id is not None and acts:
        buttons += [
            {"type": "button", "action_id": ACK_ACTION, "style": "primary", "value": str(case_id),
             "text": {"type": "plain_text", "text": "签收"}},
            {"type": "button", "action_id": RESPOND_ACTION, "value": str(case_id),
             "text": {"type": "plain_text", "text": "登记回应"}},
        ]
    elif case_id is not None and informed:
        buttons.append({"type": "button", "action_id": NOTED_ACTION, "value": str(case_id),
                        "text": {"type": "plain_text", "text": "知悉"}})
    if case_url:
        buttons.append({"type": "button", "action_id": OPEN_ACTION, "url": case_url,
                        "text": {"type": "plain_text", "text": link_text}})
    return buttons


def _slack_digest(view: CaseView) -> tuple[str, list[dict[str, Any]]]:
    text = f"📋 {view.heading}：{view.cases_total} 件"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}]
    if view.summary:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_text(view.summary, 2900)}]})
    shown = view.cases[:44]
    for case in shown:
        section: dict[str, Any] = {"type": "section",
                                   "text": {"type": "mrkdwn", "text": f"{case.emoji} {slack_text(_case_line(case), 2800)}"}}
        if case.case_url:
            section["accessory"] = {"type": "button", "action_id": f"{OPEN_ACTION}_{case.case_id}", "url": case.case_url,
                                    "text": {"type": "plain_text", "text": "打开"}}
        blocks.append(section)
    if view.cases_total > len(shown):
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"……另有 {view.cases_total - len(shown)} 件未列出，请在看板查看"}]})
    return text, _verbatim(blocks)


def slack_updated_blocks(blocks: list[dict[str, Any]], note: str, *, drop_actions: set[str]) -> list[dict[str, Any]]:
    """The original message after a button was used: those buttons removed, a context line saying who did what.

    ``note`` is mrkdwn that the caller has already escaped.
    """
    updated: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") == "actions" and block.get("block_id") == ACTIONS_BLOCK:
            kept = [e for e in block.get("elements", []) if e.get("action_id") not in drop_actions]
            if kept:
                updated.append({**block, "elements": kept})
            continue
        updated.append(block)
    updated.append({"type": "context", "elements": [{"type": "mrkdwn", "text": shorten(note, 2900)}]})
    return _verbatim(updated[:50])


def slack_response_modal(case_id: int, channel_id: str, message_ts: str, title: str) -> dict[str, Any]:
    """The modal that collects a response text; where it came from travels in private_metadata."""
    return {
        "type": "modal",
        "callback_id": RESPONSE_MODAL,
        "private_metadata": json.dumps({"case_id": case_id, "channel": channel_id, "ts": message_ts}),
        "title": {"type": "plain_text", "text": f"登记回应 #{case_id}"[:24]},
        "submit": {"type": "plain_text", "text": "提交"},
        "close": {"type": "plain_text", "text": "取消"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": slack_text(title, 2900) or " ", "verbatim": True}},
            # Where it went out decides which deadlines it meets (alerts.deadlines.met_by): a response registered
            # in Slack is published somewhere public; Slack itself is only where it is registered.
            {"type": "input", "block_id": RESPONSE_CHANNEL_BLOCK,
             "label": {"type": "plain_text", "text": "发布渠道"},
             "element": {"type": "static_select", "action_id": RESPONSE_CHANNEL_ACTION,
                         "initial_option": _channel_option("release"),
                         # 向上报告 too: a unit working in Slack reports upward here, or it is judged 报告不及时.
                         "options": [_channel_option(key) for key in RESPONSE_CHANNELS]}},
            # Registered later than published (a release at 20:00 entered the next morning): its own time judges it.
            {"type": "input", "block_id": RESPONSE_TIME_BLOCK, "optional": True,
             "label": {"type": "plain_text", "text": "发布时间（不填即为现在）"},
             "element": {"type": "datetimepicker", "action_id": RESPONSE_TIME_ACTION}},
            {"type": "input", "block_id": RESPONSE_INPUT_BLOCK,
             "label": {"type": "plain_text", "text": "回应内容（要点：问题成因、解决方案、制约因素）"},
             "element": {"type": "plain_text_input", "action_id": RESPONSE_INPUT_ACTION, "multiline": True,
                         "max_length": 3000}},
        ],
    }


def _channel_option(key: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": RESPONSE_CHANNELS[key]}, "value": key}


# ----------------------------------------------------------------------------- e-mail


def email_message(payload: dict[str, Any], now: datetime) -> tuple[str, str, str]:
    """Subject, text part and HTML part; every payload value in the HTML is escaped."""
    view = read_payload(payload, now)
    text = plain_text(payload, now)
    if view.kind == "digest":
        subject = f"[舆情] {view.heading}：{view.cases_total} 件"
        rows = "".join(
            f"<li>{html_escape(_case_line(c))}"
            + (f' <a href="{html_escape(c.case_url)}">打开</a>' if c.case_url else "") + "</li>"
            for c in view.cases
        )
        summary = f"<p>{html_escape(view.summary)}</p>" if view.summary else ""
        unlisted = f"<p>{html_escape(view.unlisted)}</p>" if view.unlisted else ""
        body = f"<h2>{html_escape(subject)}</h2>{summary}<ul>{rows}</ul>{unlisted}"
        return one_line(subject, 200), text, _html_page(subject, body)
    subject = f"[舆情{' ' + view.grade_text if view.grade_text else ''}] {view.heading}：{view.title}"
    if view.case_id is not None:
        subject += f"（案件 #{view.case_id}）"
    _, _, hex_colour = _GRADES.get(view.grade, ("", "", "#888888"))
    parts = [f'<h2 style="border-left:6px solid {hex_colour};padding-left:8px">'
             + " · ".join(html_escape(p) for p in (view.heading, view.grade_text, view.title) if p) + "</h2>"]
    if view.summary:
        parts.append(f"<p>{html_escape(view.summary).replace(chr(10), '<br>')}</p>")
    facts = "".join(f"<tr><th align=left>{html_escape(k)}</th><td>{html_escape(v)}</td></tr>" for k, v in _facts(view))
    parts.append(f"<table>{facts}</table>")
    if view.deadlines:
        items = "".join(
            f"<li><b>{html_escape(d.kind)}</b>：{html_escape(d.due_text)}（<b>{html_escape(d.countdown)}</b>）"
            + (f"<br><small>依据：{html_escape(d.basis)}</small>" if d.basis else "") + "</li>"
            for d in view.deadlines)
        parts.append(f"<h3>时限</h3><ul>{items}</ul>")
    if view.factors:
        parts.append("<h3>研判依据</h3><ul>" + "".join(f"<li>{html_escape(f)}</li>" for f in view.factors) + "</ul>")
    if view.case_url:
        parts.append(f'<p><a href="{html_escape(view.case_url)}">{_link_text(view, "打开案件，签收或登记回应")}</a></p>')
    return one_line(subject, 200), text, _html_page(subject, "".join(parts))


def _html_page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html_escape(title)}</title>'
            f"</head><body>{body}</body></html>")


# ----------------------------------------------------------------------------- WeCom and DingTalk robots


def robot_markdown(payload: dict[str, Any], now: datetime, *, wecom: bool) -> tuple[str, str]:
    """Title and markdown text for a WeCom or DingTalk group robot (WeCom adds its colour tags)."""
    view = read_payload(payload, now)
    if view.kind == "digest":
        title = f"{view.heading}：{view.cases_total} 件"
        lines = [f"### {title}"] + ([f"> {robot_escape(view.summary)}"] if view.summary else [])
        for case in view.cases:
            link = f" [打开]({case.case_url})" if case.case_url else ""
            lines.append(f"- {case.emoji} {robot_escape(_case_line(case))}{link}")
        return title, "\n".join(lines + ([view.unlisted] if view.unlisted else []))
    title = robot_escape(f"{view.heading}：{view.title}")
    grade = robot_escape(view.grade_text)
    if wecom:
        grade = f'<font color="{"warning" if view.grade in ("I", "II") else "comment"}">{grade}</font>'
    lines = [f"### {view.emoji} {robot_escape(view.heading)} · {robot_escape(view.title)}"]
    lines += [f"> 等级：{grade}"] if view.grade_text else []
    lines += [f"> {label}：{robot_escape(value)}" for label, value in _facts(view) if label != "等级"]
    if view.summary:
        lines += ["", robot_escape(shorten(view.summary, 600))]
    if view.deadlines:
        lines += ["", "**时限**"]
        lines += [f"- {robot_escape(d.kind)}：{robot_escape(d.due_text)}（**{robot_escape(d.countdown)}**）"
                  for d in view.deadlines]
    if view.factors:
        lines += ["", "**研判依据**"]
        lines += [f"- {robot_escape(f)}" for f in grade_summary(view.factors, 8)]
    if view.case_url:
        lines += ["", f"[{_link_text(view, '打开案件，签收或登记回应')}]({view.case_url})"]
    return title, "\n".join(lines)


def truncate_utf8(text: str, max_bytes: int) -> str:
    """WeCom limits markdown content to 4096 bytes of UTF-8; cut on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode("utf-8", errors="ignore") + "…"
