"""Emerging issues (苗头性舆情): bursts, new terms and grave first posts, said in words.

国办发〔2018〕23号 asks press offices to 密切监测收集苗头性舆情 — to catch an issue while it is small. Three signals:

- **Bursts** per topic and region: this hour's count against the same hour of day over the last four weeks
  (the same weekday once three weeks are known, else weekdays against weekdays and weekends against weekends
  when there are enough of them), scored with a robust
  z-score (median and MAD, so one past spike does not hide the next). Keywords are scored per rolling 24 h
  against the previous days' 24 h counts (hourly keyword series would be too sparse to score).
- **New terms**: a term seen in several posts in the last 24 h and (almost) never in the week before
  (ElastAlert's ``new_term``; the defaults follow the ``new_term`` rule of policy.yaml).
- **Sustained accumulation** (持续集中反映): an event gathering ``accumulation_min_posts`` independent posts (no reposts
  or near-duplicates; distinct authors where known) within ``accumulation_days`` — and at least as many as its topic
  (else its region) usually gets in ``accumulation_topic_days`` days, so a busy feed needs more. A message board's
  苗头 is 1-4 complaints a day about one estate for weeks, which never makes a 24 h burst.
- **Early warnings**: an event whose first few posts already carry incident cues (deaths, fire, 聚集…). Who or where is
  involved (children, a school, a hospital, an official named) warns only with a grave cue, or from a second
  independent post when the posts are mostly negative: on its own one letter naming a school or 书记 is no 苗头
  (on 4,326 real board messages that rule flagged 485 events, almost all single letters).

Counts are kept per hour over a sliding window and pruned as time moves on; the state is a plain dict,
saved with the event tracker, so a restart keeps the baseline.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from analysis.deidentify import may_identify
from analysis.grading import raises_a_grievance
from analysis.severity import CUE_LABELS, EARLY_WARNING_CUES, SENSITIVE_SETTING_CUES, SeverityCues
from yuqing.clock import DEFAULT_TZ
from yuqing.contract import EMERGING_SIGNALS, NEWS_MEDIA_TIERS, Event
from yuqing.settings import EmergingPolicy

STATE_VERSION = 1
# check_event's keys by the signal they stand for (term:<word> is a keyword's burst).
_SIGNAL_OF = {"early": "early", "accumulation": "accumulation", "topic": "burst", "region": "burst",
              "new_terms": "new_terms"}
_COUNTED_CUES = frozenset({"deaths", "injured", "admitted", "missing", "trapped", "casualties"})


def hour_index(at: datetime) -> int:
    """Hours since the epoch: the bucket a time falls in."""
    return math.floor(at.timestamp() / 3600)


def robust_z(value: float, samples: list[float]) -> tuple[float, float, float]:
    """(z, median, scale): how unusual ``value`` is against ``samples``.

    The scale is 1.4826·MAD (a robust standard deviation) but never below √median or 1, the spread a Poisson
    count would have anyway: without that floor a flat series (MAD 0) would call any change a burst.
    """
    median = statistics.median(samples) if samples else 0.0
    mad = statistics.median([abs(s - median) for s in samples]) if samples else 0.0
    scale = max(1.4826 * mad, math.sqrt(median), 1.0)
    return (value - median) / scale, median, scale


@dataclass(frozen=True)
class Burst:
    """A series whose current count stands far above its baseline."""

    kind: str  # topic, region or term
    key: str
    count: int
    median: float
    z: float
    window: str  # "小时" or "24小时"

    def describe(self) -> str:
        what = {"topic": "话题", "region": "地区", "term": "关键词"}[self.kind]
        return (
            f"{what}「{self.key}」突增: 近{self.window} {self.count} 条, 同期基线中位数 {self.median:g} "
            f"(稳健 z={self.z:.1f})"
        )


@dataclass(frozen=True)
class NewTerm:
    term: str
    recent: int
    baseline: int
    days: float

    def describe(self) -> str:
        return f"新词「{self.term}」: 近24小时 {self.recent} 条, 此前{self.days:g}天 {self.baseline} 条"


class EmergingDetector:
    """Hourly counts per topic, region and term, and the tests that call something emerging."""

    def __init__(
        self,
        tz: ZoneInfo = DEFAULT_TZ,
        *,
        baseline_days: int = 28,
        z_threshold: float = 4.0,
        min_count: int = 5,
        spike_height: float = 3.0,
        min_history_hours: int = 72,
        term_window_days: float = 7,
        new_term_min_posts: int = 5,
        new_term_max_baseline: int = 0,
        early_posts: int = 5,
        setting_min_posts: int = 2,
        accumulation_days: float = 7,
        accumulation_min_posts: int = 4,
        accumulation_topic_days: float = 1.0,
    ):
        self.tz = tz
        self.baseline_days = baseline_days
        self.z_threshold = z_threshold
        self.min_count = min_count
        self.spike_height = spike_height
        self.min_history_hours = min_history_hours
        self.term_window_days = term_window_days
        self.new_term_min_posts = new_term_min_posts
        self.new_term_max_baseline = new_term_max_baseline
        self.early_posts = early_posts
        self.setting_min_posts = setting_min_posts
        self.accumulation_days = accumulation_days
        self.accumulation_min_posts = accumulation_min_posts
        self.accumulation_topic_days = accumulation_topic_days
        self.first_hour: int | None = None
        self.last_hour: int | None = None
        # kind → key → hour → count
        self.series: dict[str, dict[str, dict[int, int]]] = {"topic": {}, "region": {}, "term": {}}
        # term → how posts wrote it (A3 for the token a3), for the terms lower-casing changed
        self.forms: dict[str, Counter[str]] = {}

    @classmethod
    def from_policy(cls, policy: EmergingPolicy, tz: ZoneInfo = DEFAULT_TZ) -> EmergingDetector:
        """A detector with policy.yaml's ``emerging`` thresholds (bursts and new terms keep their defaults)."""
        return cls(tz, **policy.model_dump())

    # ------------------------------------------------------------------ counting

    def observe(
        self, at: datetime, *, topic: str | None = None, region: str | None = None, terms: Iterable[str] = (),
        written: Mapping[str, str] | None = None,
    ) -> None:
        """Count one post at its time under its topic, its region and each distinct term; ``written``: how the post
        wrote the terms lower-casing changed (``analysis.tokenizer.written_forms``), so reasons show them so."""
        hour = hour_index(at)
        if self.first_hour is None or hour < self.first_hour:
            self.first_hour = hour
        if self.last_hour is None or hour > self.last_hour:
            if self.last_hour is not None and hour // 24 != self.last_hour // 24:
                self._prune(hour)
            self.last_hour = hour
        if topic:
            self._add("topic", topic, hour)
        if region:
            self._add("region", region, hour)
        for term in set(terms):
            self._add("term", term, hour)
        for term, form in (written or {}).items():
            self.forms.setdefault(term, Counter())[form] += 1

    def _add(self, kind: str, key: str, hour: int) -> None:
        buckets = self.series[kind].setdefault(key, {})
        buckets[hour] = buckets.get(hour, 0) + 1

    def _retention_hours(self, kind: str) -> int:
        days = self.term_window_days + 2 if kind == "term" else self.baseline_days + 1
        return int(days * 24)

    def _prune(self, now_hour: int) -> None:
        """Drop buckets older than each kind's window (called once a day of data time)."""
        for kind, keys in self.series.items():
            oldest = now_hour - self._retention_hours(kind)
            for key in list(keys):
                buckets = keys[key]
                for hour in [h for h in buckets if h < oldest]:
                    del buckets[hour]
                if not buckets:
                    del keys[key]
                    if kind == "term":
                        self.forms.pop(key, None)

    def written(self, term: str) -> str:
        """A term as posts most often write it: 「A3」, not the lower-cased token 「a3」."""
        forms = self.forms.get(term)
        return forms.most_common(1)[0][0] if forms else term

    def history_hours(self, at: datetime) -> int:
        return 0 if self.first_hour is None else hour_index(at) - self.first_hour

    # ------------------------------------------------------------------ bursts

    def _hourly_samples(self, buckets: dict[int, int], hour: int) -> list[float]:
        """Counts at the same hour of day on earlier days: the same weekday when ≥ 3 weeks are known (a Monday
        8 o'clock rush is learnt), else the same day type (weekday/weekend) when ≥ 4 such days are, else all."""
        first = self.first_hour if self.first_hour is not None else hour
        hours = [hour - 24 * k for k in range(1, self.baseline_days + 1) if hour - 24 * k >= first]
        same_weekday = [h for h in hours if (hour - h) % (24 * 7) == 0]
        weekend = self._is_weekend(hour)
        same_type = [h for h in hours if self._is_weekend(h) == weekend]
        chosen = same_weekday if len(same_weekday) >= 3 else same_type if len(same_type) >= 4 else hours
        return [float(buckets.get(h, 0)) for h in chosen]

    def _is_weekend(self, hour: int) -> bool:
        return datetime.fromtimestamp(hour * 3600, UTC).astimezone(self.tz).weekday() >= 5

    def burst(self, kind: str, key: str, at: datetime) -> Burst | None:
        """The burst of one series at ``at``, or None when it is within its usual range."""
        if self.history_hours(at) < self.min_history_hours:
            return None
        buckets = self.series.get(kind, {}).get(key)
        if not buckets:
            return None
        hour = hour_index(at)
        if kind == "term":
            count = self._window_sum(buckets, hour - 23, hour)
            first = self.first_hour if self.first_hour is not None else hour
            samples = [
                float(self._window_sum(buckets, hour - 24 * k - 23, hour - 24 * k))
                for k in range(1, int(self.term_window_days) + 1)
                if hour - 24 * k - 23 >= first
            ]
            window = "24小时"
        else:
            count = buckets.get(hour, 0)
            samples = self._hourly_samples(buckets, hour)
            window = "1小时"
        if count < self.min_count or not samples:
            return None
        z, median, _ = robust_z(count, samples)
        if z >= self.z_threshold and count >= self.spike_height * max(median, 1.0):
            return Burst(kind, key, count, median, round(z, 1), window)
        return None

    def bursts(self, at: datetime, kinds: Iterable[str] = ("topic", "region", "term")) -> list[Burst]:
        """Every series bursting at ``at``, strongest first: a view over all series (tests, a notebook). The pipeline
        asks per event instead (``check_event``: the event's topic, region and keywords), as its posts arrive."""
        found = [
            b
            for kind in kinds
            for key in list(self.series.get(kind, {}))
            if (b := self.burst(kind, key, at)) is not None
        ]
        return sorted(found, key=lambda b: -b.z)

    # ------------------------------------------------------------------ new terms

    @staticmethod
    def _window_sum(buckets: dict[int, int], start: int, end: int) -> int:
        if end - start + 1 > len(buckets):
            return sum(n for h, n in buckets.items() if start <= h <= end)
        return sum(buckets.get(h, 0) for h in range(start, end + 1))

    def new_term(self, term: str, at: datetime) -> NewTerm | None:
        """A term in ≥ new_term_min_posts posts in the last 24 h and ≤ new_term_max_baseline in the window before."""
        buckets = self.series["term"].get(term)
        if not buckets or may_identify(term):  # an account masking missed (wangfang88) is no new term to show
            return None
        hour = hour_index(at)
        recent = self._window_sum(buckets, hour - 23, hour)
        if recent < self.new_term_min_posts:
            return None
        # The baseline must really have been watched: at least one day of history before the recent window.
        if self.history_hours(at) < 48:
            return None
        start = max(hour - 24 - int(self.term_window_days * 24) + 1, self.first_hour or hour)
        baseline = self._window_sum(buckets, start, hour - 24)
        if baseline > self.new_term_max_baseline:
            return None
        days = round((hour - 24 - start + 1) / 24, 1)
        return NewTerm(term, recent, baseline, days)

    def new_terms(self, at: datetime) -> list[NewTerm]:
        """Every new term at ``at``, commonest first: a view over all terms, as ``bursts`` is."""
        found = [n for term in list(self.series["term"]) if (n := self.new_term(term, at)) is not None]
        return sorted(found, key=lambda n: -n.recent)

    # ------------------------------------------------------------------ sustained accumulation

    def usual_daily(self, kind: str, key: str, at: datetime) -> float:
        """The median posts a day of one topic or region over the baseline days before ``at`` (quiet days count as 0)."""
        buckets = self.series.get(kind, {}).get(key)
        if not buckets or self.first_hour is None:
            return 0.0
        day_end = hour_index(at) - 24  # the last full day before the current one
        days = [day_end - 24 * k for k in range(self.baseline_days) if day_end - 24 * k - 23 >= self.first_hour]
        if not days:
            return 0.0
        return float(statistics.median(self._window_sum(buckets, end - 23, end) for end in days))

    def accumulation(
        self, event: Event, at: datetime, stories: Sequence[tuple[float, str]], region_key: str | None = None,
    ) -> str | None:
        """Why the event's independent posts of the last ``accumulation_days`` are a 苗头, or None. ``stories``:
        (time, who) of each independent post — who is its author where known, so one writer counts once."""
        since = at.timestamp() - self.accumulation_days * 86400
        who = {person for ts, person in stories if since < ts <= at.timestamp()}
        if len(who) < self.accumulation_min_posts:
            return None
        # 反映 is raising a problem, as for grading's 集中反映 floor — a replay's six reposted notices of a library
        # reading club accumulated into a case.
        if not raises_a_grievance(event):
            return None
        kind, key = ("topic", event.topic) if event.topic and event.topic in self.series["topic"] else ("region", region_key)
        usual = self.usual_daily(kind, key, at) if key else 0.0
        needed = max(self.accumulation_min_posts, math.ceil(usual * self.accumulation_topic_days))
        if len(who) < needed:
            return None
        said = f"近{self.accumulation_days:g}天 {len(who)} 条独立信息集中反映同一问题"
        if not key:
            return said
        what = {"topic": "话题", "region": "地区"}[kind]
        usually = f"约 {usual:g} 条" if usual >= 1 else "不到 1 条"
        return f"{said} (同{what}「{key}」平日每天{usually})"

    # ------------------------------------------------------------------ events

    def check_event(
        self, event: Event, at: datetime, region_key: str | None = None, stories: Sequence[tuple[float, str]] = (),
    ) -> dict[str, str]:
        """Why this event is emerging now, in words, keyed by signal (``early``, ``accumulation``, ``topic``,
        ``region``, ``new_terms``, ``term:<word>``) so a caller can keep the latest wording of each; empty when
        nothing stands out. The early warning is given once, on the first posts. ``stories``: (time, who) of the
        event's independent posts, for the sustained-accumulation signal."""
        reasons: dict[str, str] = {}
        cues = SeverityCues.from_list(event.severity_cues)
        grave = sorted(cues.names() & EARLY_WARNING_CUES)
        setting = sorted(cues.names() & SENSITIVE_SETTING_CUES, key=list(CUE_LABELS).index)
        labels = "、".join(CUE_LABELS[c].removeprefix("涉及") for c in setting)
        already = any(r.startswith("首批 ") for r in event.emerging_reasons)
        if grave and event.volume <= self.early_posts and not already:
            detail = "、".join([cues.describe_casualties(), *(CUE_LABELS[c] for c in grave if c not in _COUNTED_CUES)])
            reasons["early"] = f"首批 {event.volume} 条即出现严重线索: {detail.strip('、')}" + \
                (f" (涉及{labels})" if labels else "")
        elif setting and event.volume <= self.early_posts and not already:
            # Children, a school, a hospital, an official named (issue 4 §7), in posts mostly negative — without a
            # grave cue only once a second independent post says so, or a news outlet reports it: one citizen's letter
            # to 尊敬的胡书记 or naming a school in passing is no warning, a paper's 「婴儿…遭卡车碾压受重伤」 is
            # (of 1,000 real 社会 headlines, 38 were flagged so; severity cues miss most of their violence).
            negative = event.sentiment_mix.get("negative", 0)
            independent, reported = event.unique_stories, sum(
                n for tier, n in event.media_tiers.items() if tier in NEWS_MEDIA_TIERS)
            if negative * 2 > max(event.volume, 1) and (independent >= self.setting_min_posts or reported):
                why = f"{independent} 条独立信息" if independent >= self.setting_min_posts else f"新闻媒体报道 {reported} 条"
                reasons["early"] = f"首批 {event.volume} 条即涉及{labels}，且以负面为主 ({negative}/{event.volume}; {why})"
        accumulated = self.accumulation(event, at, stories, region_key)
        if accumulated:
            reasons["accumulation"] = accumulated
        if event.topic:
            burst = self.burst("topic", event.topic, at)
            if burst:
                reasons["topic"] = burst.describe()
        if region_key:
            burst = self.burst("region", region_key, at)
            if burst:
                reasons["region"] = burst.describe()
        new_terms = []
        for term in event.keywords[:5]:
            new = self.new_term(term, at)
            if new:
                new_terms.append(new)
                continue
            burst = self.burst("term", term, at)
            if burst:
                reasons[f"term:{term}"] = replace(burst, key=self.written(term)).describe()
        if new_terms:
            reasons["new_terms"] = "新词" + "、".join(f"「{self.written(n.term)}」({n.recent})" for n in new_terms) + \
                f": 近24小时多条出现, 此前{new_terms[0].days:g}天未见"
        return reasons

    # ------------------------------------------------------------------ state

    def to_state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "first_hour": self.first_hour,
            "last_hour": self.last_hour,
            "series": {
                kind: {key: [[h, n] for h, n in sorted(b.items())] for key, b in keys.items()}
                for kind, keys in self.series.items()
            },
            "forms": {term: dict(forms) for term, forms in self.forms.items()},
        }

    def load_state(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"emerging-detector state version {state.get('version')} is not {STATE_VERSION}")
        self.first_hour = state["first_hour"]
        self.last_hour = state["last_hour"]
        self.series = {
            kind: {key: {int(h): int(n) for h, n in pairs} for key, pairs in keys.items()}
            for kind, keys in state["series"].items()
        }
        for kind in ("topic", "region", "term"):
            self.series.setdefault(kind, {})
        self.forms = {term: Counter(forms) for term, forms in state.get("forms", {}).items()}  # (none saved before)


def emerging_signals(reasons: Mapping[str, str]) -> list[str]:
    """The signals (EMERGING_SIGNALS, in their order) behind ``check_event``'s reasons, kept on the event."""
    found = {_SIGNAL_OF.get(key, "burst" if key.startswith("term:") else key) for key in reasons}
    return [signal for signal in EMERGING_SIGNALS if signal in found]
