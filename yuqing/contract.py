"""The data contract: what a post, an event and a case are, in one place.

Every stage reads and writes these shapes; Elasticsearch mappings and the SQL schema follow them.
All datetimes are timezone-aware.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from yuqing.keyed import keyed_digest


class MediaTier(StrEnum):
    """How far a source's voice carries; used by grading (domain.md §5: central media or major portals > provincial
    media > local posts). ``unknown``: a source named in an input file that no table knows — it could be anything, so
    it is not called self-media (analysis/media_outlets.py)."""

    CENTRAL = "central"
    PORTAL = "portal"
    PROVINCIAL = "provincial"
    LOCAL = "local"
    SELF_MEDIA = "self-media"
    UNKNOWN = "unknown"


# The tiers that are news media (an outlet, not a person posting, nor a source nobody identified).
NEWS_MEDIA_TIERS = frozenset({MediaTier.CENTRAL, MediaTier.PORTAL, MediaTier.PROVINCIAL, MediaTier.LOCAL})


class Grade(StrEnum):
    """Event level, I highest (突发事件应对法 colours: 红 橙 黄 蓝)."""

    I = "I"  # noqa: E741
    II = "II"
    III = "III"
    IV = "IV"


GRADE_COLOUR = {Grade.I: "红", Grade.II: "橙", Grade.III: "黄", Grade.IV: "蓝"}
# 特别重大、重大: the grades whose handling has the 5 h / 24 h deadlines, joint units, and accountability.
MAJOR_GRADES = frozenset({Grade.I.value, Grade.II.value})

# How a grading floor that was met, and the level a floor lifted the event to, are worded in ``grade_reasons``
# (analysis/grading.py writes them; ``grade_summary`` finds them again in stored events).
_FLOOR_REASON = re.compile(r"→ 至少(I|II|III|IV)级（定级底线）$")
_FINAL_REASON = re.compile(r"^最终 (I|II|III|IV)级 ")


def floor_reason(words: str, grade: Grade) -> str:
    """A met floor: ``伤亡: 2人死亡 → 至少III级（定级底线）``."""
    return f"{words} → 至少{grade.value}级（定级底线）"


def final_reason(grade: Grade) -> str:
    """The level a floor set above the score's: ``最终 III级 (黄)``."""
    return f"最终 {grade.value}级 ({GRADE_COLOUR[grade]})"


def grade_summary(reasons: list[str], first: int = 3) -> list[str]:
    """The first ``first`` reasons (the score and its largest factors) and, when a floor lifted the level above the
    score's, the floors that set it and the final level: "风险分 30.9 → IV级" alone beside a III grade read as a
    contradiction (a review). The reasons keep their order."""
    final = next((m.group(1) for r in reasons if (m := _FINAL_REASON.match(r))), None)
    shown = list(reasons[:first])
    if final is None:
        return shown
    for reason in reasons[first:]:
        floor = _FLOOR_REASON.search(reason)
        if (floor is not None and floor.group(1) == final) or _FINAL_REASON.match(reason):
            shown.append(reason)
    return shown


# A reopened case's deadlines carry the round they belong to: response#reopen1, report_upward#reopen2.
REOPEN_MARK = "#reopen"

# The first character of a post id that is keyed because its key holds personal data (Post.make_id); never a hex digit.
KEYED_ID_MARK = "k"

# A lone surrogate (bytes decoded with surrogateescape, a JSON "\udcc3" escape) cannot be written as UTF-8: files,
# Elasticsearch and the name automaton refuse the whole text, so wherever text enters, each becomes U+FFFD.
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


# What XML 1.0 forbids (C0 controls but tab and line breaks, lone surrogates, U+FFFE and U+FFFF) and the other Unicode
# noncharacters: one such character in a title makes a .docx or .xlsx unwritable, so ingestion and the reports take
# them out.
NOT_XML_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                          + "".join(f"\\U{plane:04X}FFFE\\U{plane:04X}FFFF" for plane in range(1, 17)) + "]")


def xml_text(text: str) -> str:
    """``text`` without the characters an XML document cannot hold (``NOT_XML_TEXT``)."""
    return NOT_XML_TEXT.sub("", text)


def json_default(value: Any) -> Any:
    """``json.dumps``'s ``default``: times become ISO 8601 text, sets and tuples lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def base_kind(kind: str) -> str:
    """The statutory kind of a deadline, without the mark a reopened case adds."""
    return kind.split(REOPEN_MARK, 1)[0]


def episode(kind: str) -> int:
    """Which round of a case a deadline belongs to: 0 before any reopening, n for the n-th reopening."""
    _, _, n = kind.partition(REOPEN_MARK)
    return int(n) if n.isdigit() else 0


# The workflow's identifiers in the words people read (alerts, dashboards, reports); an unknown one is shown
# as it is.
DEADLINE_KIND_NAMES = {
    "report_upward": "向上报告", "authoritative_release": "发布权威信息", "press_conference": "新闻发布会",
    "response": "回应", "reply_suggestion": "答复建议", "reply_complaint": "答复投诉",
}
CASE_STATE_NAMES = {
    "new": "新建", "notified": "已通知", "acknowledged": "已签收", "responded": "已回应", "closed": "已关闭",
    "overdue": "已超时", "escalated": "已升级", "reopened": "重新打开",
}
CASE_ACTION_NAMES = {
    "opened": "立案", "deadlines_set": "设定期限", "notified": "通知", "acknowledged": "签收", "noted": "联动单位知悉",
    "responded": "回应", "reported_upward": "向上报告", "reminded": "期限提醒", "reminder_skipped": "提醒略过",
    "deadline_overdue": "期限已过", "messages_overdue": "留言答复超期",
    "messages_handed_over": "转办告知留言超期",
    "escalated": "升级", "re-alerted": "再次通知", "grew": "事态扩大", "joint_units_added": "增加联动单位",
    "closed": "关闭", "reopened": "重新打开", "assessed": "应对评估", "reassigned": "转办",
    "slack_request_rejected": "拒绝的 Slack 请求", "simulated_run_ended": "模拟运行结束",
    "late_entry_confirmed": "补录核实",
}
# The audit entry a simulated run (yuqing demo, yuqing replay) writes where its clock stopped (yuqing.sandbox_clock).
SIMULATED_RUN_ENDED = "simulated_run_ended"
# The source type (config/sources.yaml ``type``, Post.source_type) of citizens' messages on a government message board
# (留言板): each is owed a reply of its own (alerts/board.py), by working-day deadlines (policy.yaml
# deadlines.message_board), and a reply through the board itself is the response channel of that name.
BOARD_SOURCE_TYPE = "message_board"
# Where posts come from (config/sources.yaml ``type``), as a press officer says it.
SOURCE_TYPE_NAMES = {"news": "新闻网站", "rss": "新闻网站", "sitemap": "新闻网站", BOARD_SOURCE_TYPE: "留言板",
                     "weibo": "微博", "social_json": "社交媒体"}
# A source's health (crawler/health.py), as the dashboards and the operational alerts say it.
SOURCE_STATUS_NAMES = {"failing": "抓取失败", "silent": "解析不到信息", "overdue": "逾期未采集", "never_run": "尚未采集",
                       "ok": "正常", "disabled": "已停用"}
SENTIMENT_NAMES = {"negative": "负面", "neutral": "中性", "positive": "正面"}
# What the fields that rules group by and routes match on are called where a press officer reads them.
FIELD_NAMES = {"topic": "主题", "grade": "等级", "sentiment": "情感", "province": "省份", "city": "城市",
               "district": "区县", "region": "地区", "source": "来源", "source_type": "来源类型", "rule": "规则",
               "region.province": "省份", "region.city": "城市", "region.district": "区县", "keywords": "关键词"}


def duration_text(seconds: float) -> str:
    """A span in words (``2天3小时``, ``1小时5分``, ``40分钟``): countdowns in messages and on the dashboards, and how
    long an outage lasted — one format, so a leader compares the dashboard with a message without converting."""
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时"
    return f"{hours}小时{mins}分" if hours else f"{mins}分钟"


def time_left_text(seconds: float) -> str:
    """Time to a deadline still open: 还剩 3小时30分, or 已超时 32天21小时 once it has passed."""
    return f"还剩 {duration_text(seconds)}" if seconds >= 0 else f"已超时 {duration_text(-seconds)}"


def deadline_status(due: datetime, now: datetime, *, met: datetime | None = None,
                    closed: datetime | None = None) -> tuple[str, bool]:
    """(a deadline's state in words, whether it was missed): 按时完成, 逾期完成（晚 3小时30分）, 已关闭，不再考核 (its round
    closed by its due time, unmet), 已超时 8小时0分（至关闭）, 已超时 12小时0分, 还剩 3小时30分. ``closed``: when the case
    first closed in the deadline's round. The one wording of the evaluation, the dashboards and the messages — a
    message said 已完成（超时 …） of what the dashboard called 逾期完成（晚 …）."""
    if met is not None:
        late = (met - due).total_seconds()
        return ("按时完成", False) if late <= 0 else (f"逾期完成（晚 {duration_text(late)}）", True)
    if closed is not None:
        if closed <= due:
            return "已关闭，不再考核", False
        return f"已超时 {duration_text((closed - due).total_seconds())}（至关闭）", True
    left = (due - now).total_seconds()
    return time_left_text(left), left < 0


def deadline_kind_name(kind: str) -> str:
    """发布权威信息, or 发布权威信息（第 1 次重新打开） for a reopened case's deadline."""
    name = DEADLINE_KIND_NAMES.get(base_kind(kind), base_kind(kind))
    n = episode(kind)
    return f"{name}（第 {n} 次重新打开）" if n else name


class Engagement(BaseModel):
    """Interaction counts as the source reports them."""

    model_config = ConfigDict(extra="forbid")

    reposts: int = 0
    comments: int = 0
    likes: int = 0
    dislikes: int = 0
    views: int = 0


class Region(BaseModel):
    """Administrative place a post is about: province / city / district (any may be unknown), or a country abroad
    (``country``; None for China)."""

    model_config = ConfigDict(extra="forbid")

    province: str | None = None
    city: str | None = None
    district: str | None = None
    code: str | None = None
    country: str | None = None

    def label(self) -> str:
        """Province, city and district as one name; a municipality (city == province) is named once."""
        if self.country:
            return f"境外·{self.country}"
        parts: list[str] = []
        for part in (self.province, self.city, self.district):
            if part and part not in parts:
                parts.append(part)
        return "".join(parts) or "未知"


def region_label(region: Mapping[str, Any] | None) -> str:
    """``Region.label`` of a region stored as a dict (an Elasticsearch document, a case row); 未知 for none."""
    if not region:
        return "未知"
    return Region(**{k: region.get(k) for k in Region.model_fields}).label()


class Reply(BaseModel):
    """An official reply to a message-board post; its time is what timeliness is judged on."""

    model_config = ConfigDict(extra="forbid")

    text: str
    replied_at: AwareDatetime | None = None
    # "day" when the board dated the reply by its day alone: ``replied_at`` is then that day's end (no later than the
    # fetch), the latest it can have been given, not a time of day; None when it is as written.
    replied_precision: Literal["day"] | None = None
    replier: str | None = None


class Post(BaseModel):
    """One public post or news article as collected, plus what analysis adds.

    ``author`` is always de-identified before a Post is indexed or shown.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    source: str
    source_type: str = "news"
    url: str | None = None
    author: str | None = None
    published_at: AwareDatetime | None = None
    # "day" when the source gave the date alone (Weibo's "11-25"): ``published_at`` is then the latest the post can
    # have appeared (that day's end, or the fetch time if earlier), not a time of day; None when it is as written.
    published_precision: Literal["day"] | None = None
    fetched_at: AwareDatetime
    title: str | None = None
    text: str = ""
    region: Region | None = None
    media_tier: MediaTier = MediaTier.SELF_MEDIA
    engagement: Engagement = Field(default_factory=Engagement)
    reply: Reply | None = None
    status: str | None = None
    lang: str = "zh"
    content_hash: str | None = None
    # Added by analysis.
    tokens: list[str] | None = None
    topic: str | None = None
    topic_score: float | None = None
    topics: dict[str, float] | None = None
    sentiment: str | None = None
    sentiment_score: float | None = None
    # Why the sentiment is negative where the model alone read neutral (analysis.sentiment.GrievanceRule: 报道伤亡: 2人死亡,
    # 投诉用语: 扰民). Kept in _source, not indexed: nothing searches by it, and a new field would make every deployment
    # migrate its indices.
    sentiment_reason: str | None = None
    dup_of: str | None = None
    event_id: str | None = None
    severity_cues: list[str] | None = None
    deidentified: bool = False
    analyzed_at: AwareDatetime | None = None

    @staticmethod
    def make_id(source: str, key: str, personal: bool = False) -> str:
        """A stable id from the source name and its own key (URL or native id). Not keyed, unlike the content hash:
        an id must stay the same when the pseudonym key is set or changed, or every post still listed is crawled and
        indexed again as new (a review found 22 posts indexed 58 times).

        Except when the key holds personal data (``personal``: ?tel=139…, an e-mail address in the path — the caller
        decides, by de-identification, which the core does not import): a plain digest of such a key is given back
        by hashing the candidates (10^8 mobile numbers), so its id is an HMAC under the pseudonym key, ``k`` and 19
        hex digits (a plain id is 20 hex digits). Those posts alone are collected again once when the key is set or
        changed; every other id stays as it was."""
        if personal:
            return KEYED_ID_MARK + keyed_digest(f"{source}\x1f{key}", "sha1")[:19]
        return hashlib.sha1(f"{source}\x1f{key}".encode()).hexdigest()[:20]

    def full_text(self) -> str:
        return "\n".join(p for p in (self.title, self.text) if p)

    def timestamp(self) -> datetime:
        """The time the post entered the public sphere (published, else fetched)."""
        return self.published_at or self.fetched_at

    def hour_known(self) -> bool:
        """Whether ``timestamp`` says the hour: hourly counts (velocity, bursts, an event's timeline) leave out a
        post known only by its day, which has no hour to be counted in."""
        return self.published_at is None or self.published_precision != "day"

    def to_document(self) -> dict[str, Any]:
        """The Elasticsearch document (JSON-ready)."""
        return self.model_dump(mode="json", exclude_none=True)


# Why an event is 苗头 (analysis.emerging): its first posts carry a grave cue (early), independent posts accumulate over
# days (accumulation), its topic, region or a keyword bursts (burst), new terms appear (new_terms).
EmergingSignal = Literal["early", "accumulation", "burst", "new_terms"]
EMERGING_SIGNALS: tuple[EmergingSignal, ...] = get_args(EmergingSignal)


class Event(BaseModel):
    """A cluster of posts about one incident: what grading and alerting work on."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    keywords: list[str] = Field(default_factory=list)
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    region: Region | None = None
    topic: str | None = None
    sentiment_mix: dict[str, int] = Field(default_factory=dict)
    # Posts grading counts as negative: read negative, or a message-board letter plainly a complaint (投诉…), which
    # the sentiment model reads as neutral (analysis.grading.reads_as_complaint). Stored, not indexed.
    complaints: int = 0
    volume: int = 0
    unique_stories: int = 0
    velocity: float = 0.0
    sources: list[str] = Field(default_factory=list)
    media_tiers: dict[str, int] = Field(default_factory=dict)  # posts per tier
    source_tiers: dict[str, str] = Field(default_factory=dict)  # each source with its tier (the highest seen)
    timeline: list[dict[str, Any]] = Field(default_factory=list)
    severity_cues: list[str] = Field(default_factory=list)
    grade: Grade | None = None
    risk: float | None = None
    grade_reasons: list[str] = Field(default_factory=list)
    emerging: bool = False
    emerging_reasons: list[str] = Field(default_factory=list)
    # Which of EMERGING_SIGNALS flagged it, so a rule can act on some and leave others to the dashboards. Stored,
    # not indexed.
    emerging_signals: list[str] = Field(default_factory=list)
    post_ids: list[str] = Field(default_factory=list)

    def to_document(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
