"""Alert rules over Elasticsearch in ElastAlert's vocabulary, plus the analysis grade.

``grade``: an event graded at least ``min_grade``. ``frequency``: at least ``num_events`` matching posts in
``timeframe_minutes`` (per ``group_by`` value). ``spike``: the current window holds ``spike_height`` times
the previous window's posts (and at least ``threshold_cur``; an empty previous window never spikes, as
ElastAlert's ``alert_on_new_data: false``). ``new_term``: a term of ``field`` in ``threshold`` posts of the
last window that no post of the preceding ``terms_window_days`` had. ``flatline``: a source that yields
posts at this time of day (on FLATLINE_USUAL_DAYS of the FLATLINE_DAYS before, at a rate that makes so few
posts a less than FLATLINE_SURPRISE chance) has yielded fewer than ``threshold`` in the window. ``sentiment_shift``: a group's negative
share rose by ``min_negative_share_increase`` against the previous window.

Every rule is evaluated *as of* a time, so the same code serves the live scheduler, the replay and
``yuqing rules test RULE --since 7d`` over history. A match names the events behind it; the pipeline opens
a case on the main one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from alerts.routing import rumour_cues_in
from analysis.deidentify import may_identify
from analysis.severity import CUE_LABELS
from analysis.tokenizer import written_forms
from yuqing.contract import BOARD_SOURCE_TYPE, FIELD_NAMES, Event
from yuqing.es.indices import EVENT_PROPERTIES, POST_PROPERTIES, IndexLayout
from yuqing.settings import Policy, RuleSpec

_GRADES_AT_LEAST = {"I": ["I"], "II": ["I", "II"], "III": ["I", "II", "III"], "IV": ["I", "II", "III", "IV"]}
_ALIASES = {"province": "region.province", "city": "region.city", "district": "region.district",
            "region": "region.district"}
# A flatline compares the same window on each of these days before; a source is usual when it yielded posts
# in that window on at least FLATLINE_USUAL_DAYS of them.
FLATLINE_DAYS = 7
FLATLINE_USUAL_DAYS = 4
# …and only when so few posts in the window would be this unlikely at the source's usual rate (Poisson).
FLATLINE_SURPRISE = 0.01
DEFAULT_NEW_TERM_WINDOW = timedelta(minutes=60)
TOP_EVENTS = 3
# Posts read to see how a new term is written.
WRITTEN_SAMPLE = 5
MAX_GROUPS = 200
# The latest posts of an event read for rumour cues (event_profile).
RUMOUR_POSTS_READ = 100


class RuleError(ValueError):
    """A rule in policy.yaml cannot be evaluated; the message names it and the fix."""


@dataclass(frozen=True)
class EventProfile:
    """What an event's posts say about where its case goes and which deadlines it gets (see event_profile)."""

    districts: list[str]
    source_type: str | None
    rumour_cues: tuple[str, ...] = ()
    board_messages: int = 0  # how many of its posts are citizen messages on a board (each owed its own reply)


@dataclass
class RuleMatch:
    """One time a rule fired: for what (the group value), in which window, how much, and why."""

    rule: str
    type: str
    at: datetime
    key: str | None
    window_start: datetime
    window_end: datetime
    count: int
    reason: str
    event_ids: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "type": self.type, "at": self.at.isoformat(), "key": self.key,
                "window_start": self.window_start.isoformat(), "window_end": self.window_end.isoformat(),
                "count": self.count, "reason": self.reason, "event_ids": self.event_ids, "details": self.details}


def _poisson_below(threshold: int, rate: float) -> float:
    """P(N < threshold) for N ~ Poisson(rate): how likely fewer than ``threshold`` posts are by chance."""
    if threshold < 1:
        return 0.0
    if rate <= 0:
        return 1.0
    # In log space: e^-rate underflows to 0 beyond a rate of about 745.
    logs = [k * math.log(rate) - rate - math.lgamma(k + 1) for k in range(threshold)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


def graded_reason(grade: str, min_grade: str, risk: float | None) -> str:
    """Why a grade rule matched an event."""
    return f"事件定为 {grade} 级（≥ {min_grade}），风险分 {risk or 0:.0f}"


def _iso(value: datetime) -> str:
    return value.isoformat()


def event_from_source(source: dict[str, Any]) -> Event:
    """The contract's Event from an events-index document (index-only fields dropped)."""
    known = set(Event.model_fields)
    return Event.model_validate({k: v for k, v in source.items() if k in known})


def rule_field(rule: RuleSpec, name: str, what: str) -> str:
    """The index field a rule's filter, group_by or field names (``district`` → ``region.district``)."""
    on_events = rule.type == "grade"
    props = EVENT_PROPERTIES if on_events else POST_PROPERTIES
    if on_events and name == "source":
        name = "sources"
    path = _ALIASES.get(name, name)
    top = path.split(".", 1)[0]
    prop = props.get(top)
    ok = prop is not None and (prop.get("type") in ("keyword", "date", "integer", "float", "boolean")
                               or ("." in path and path.split(".", 1)[1] in prop.get("properties", {})))
    if not ok:
        usable = sorted(k for k, v in props.items() if v.get("type") == "keyword") + sorted(_ALIASES)
        raise RuleError(f"policy.yaml rule {rule.name!r}: cannot {what} {name!r} in the "
                        f"{'events' if on_events else 'posts'} index; "
                        f"use one of {', '.join(usable)}")
    return path


def check_rule(rule: RuleSpec) -> None:
    """Refuse at start-up a rule that names fields the indices do not have."""
    if rule.type != "grade" and rule.index == "events":
        raise RuleError(f"policy.yaml rule {rule.name!r}: a {rule.type} rule counts posts; set index: posts "
                        "(only grade rules read events, whatever index says)")
    for name in rule.filter:
        rule_field(rule, name, "filter on")
    if rule.group_by:
        rule_field(rule, rule.group_by, "group by")
    if rule.field:
        rule_field(rule, rule.field, "look for new terms in")


class RuleEngine:
    """Evaluates the rules of ``policy.yaml`` against the posts and events indices of one layout."""

    def __init__(self, es: Elasticsearch, layout: IndexLayout, policy: Policy,
                 source_labels: Mapping[str, str] | None = None):
        self.es = es
        self.layout = layout
        self.policy = policy
        self.source_labels = dict(source_labels or {})  # each source's id → its name in reasons (SourcesFile.labels)
        for rule in policy.rules:
            check_rule(rule)

    def _where(self, rule: RuleSpec, key: Any, default_group: str | None = None) -> str:
        """The group a match is about, as the reason's opening words ("主题 就医：", "来源 A市市长信箱："), or nothing;
        a source by its label in sources.yaml (the match's key stays its id)."""
        group = rule.group_by or default_group
        if key is None or group is None:
            return ""
        shown = self.source_labels.get(key, key) if group == "source" else key
        return f"{FIELD_NAMES.get(group, group)} {shown}："

    def _filters(self, rule: RuleSpec) -> list[dict[str, Any]]:
        out = []
        for name, value in rule.filter.items():
            path = rule_field(rule, name, "filter on")
            values = [value] if isinstance(value, str) else list(value)
            if path == "severity_cues":  # counted cues are stored with their count: deaths:3, missing:2
                out.append({"bool": {"should": [{"terms": {path: values}},
                                                *({"prefix": {path: f"{v}:"}} for v in values)],
                                     "minimum_should_match": 1}})
            elif name == "region":
                out.append({"bool": {"should": [{"terms": {f"region.{lvl}": values}}
                                                for lvl in ("province", "city", "district")],
                                     "minimum_should_match": 1}})
            else:
                out.append({"terms": {path: values}})
        return out

    def _posts(self, rule: RuleSpec, start: datetime, end: datetime, time_field: str = "ts",
               extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        return {"bool": {"filter": [*self._filters(rule), *(extra or []),
                                    {"range": {time_field: {"gte": _iso(start), "lt": _iso(end)}}}]}}

    def _counts(self, rule: RuleSpec, start: datetime, end: datetime, time_field: str = "ts",
                extra: list[dict[str, Any]] | None = None, min_count: int = 1) -> dict[str | None, tuple[int, list[str]]]:
        """Posts per group value in a window, with the events most of them belong to."""
        query = self._posts(rule, start, end, time_field, extra)
        events_agg = {"terms": {"field": "event_id", "size": TOP_EVENTS}}
        if rule.group_by:
            group = rule_field(rule, rule.group_by, "group by")
            body = self.es.search(index=self.layout.posts.alias, query=query, size=0, aggs={
                "g": {"terms": {"field": group, "size": MAX_GROUPS, "min_doc_count": min_count},
                      "aggs": {"e": events_agg}}})
            return {b["key"]: (b["doc_count"], [e["key"] for e in b["e"]["buckets"]])
                    for b in body["aggregations"]["g"]["buckets"]}
        body = self.es.search(index=self.layout.posts.alias, query=query, size=0, track_total_hits=True,
                              aggs={"e": events_agg})
        total = body["hits"]["total"]["value"]
        return {None: (total, [e["key"] for e in body["aggregations"]["e"]["buckets"]])} if total >= min_count else {}

    # ----------------------------------------------------------------------------- evaluation

    def evaluate(self, rule: RuleSpec, now: datetime, since: datetime | None = None) -> list[RuleMatch]:
        """What the rule raises as of ``now`` (``since`` bounds the grade rule's look-back)."""
        if not rule.enabled:
            return []
        handler = {"grade": self._grade, "frequency": self._frequency, "spike": self._spike,
                   "new_term": self._new_term, "flatline": self._flatline,
                   "sentiment_shift": self._sentiment_shift}[rule.type]
        return handler(rule, now, since)

    def _grade(self, rule: RuleSpec, now: datetime, since: datetime | None,
               event_ids: list[str] | None = None) -> list[RuleMatch]:
        """Events graded at least ``min_grade`` (and passing the rule's filter) seen in the window — or, given
        ``event_ids``, among those events whatever their time (the ones a run changed)."""
        assert rule.min_grade is not None
        grades = _GRADES_AT_LEAST[rule.min_grade.value]
        start = since or now - timedelta(minutes=rule.timeframe_minutes or 24 * 60)
        which = ({"ids": {"values": event_ids}} if event_ids is not None
                 else {"range": {"last_seen": {"gt": _iso(start), "lte": _iso(now)}}})
        emerging = [{"term": {"emerging": True}}] if rule.signals else []
        query = {"bool": {"filter": [*self._filters(rule), *emerging, {"terms": {"grade": grades}}, which]}}
        body = self.es.search(index=self.layout.events.alias, query=query, size=1000,
                              sort=[{"last_seen": "asc"}], source_excludes=["title_cut", "timeline"])
        cues = rule.filter.get("severity_cues")
        wanted = set([cues] if isinstance(cues, str) else cues or [])
        out = []
        for hit in body["hits"]["hits"]:
            src = hit["_source"]
            if rule.signals and not set(rule.signals) & set(src.get("emerging_signals") or []):
                continue  # flagged by another signal (signals are stored, not indexed: picked here)
            reason = graded_reason(src["grade"], rule.min_grade.value, src.get("risk"))
            found = [c.split(":", 1)[0] for c in src.get("severity_cues") or [] if c.split(":", 1)[0] in wanted]
            if found:  # a rule on severity cues says which (食物中毒 in a grade IV event)
                reason += "；敏感线索：" + "、".join(CUE_LABELS.get(c, c) for c in dict.fromkeys(found))
            if rule.signals:  # a rule on emerging events says why the event is 苗头
                reason += "；苗头：" + "；".join(src.get("emerging_reasons") or [])
            out.append(RuleMatch(
                rule.name, rule.type, now, src["id"], start, now, int(src.get("volume", 0)), reason,
                [src["id"]], {"grade": src["grade"], "risk": src.get("risk"), "title": src.get("title"),
                              "graded_at": src.get("graded_at") or src.get("last_seen")}))
        return out

    def graded_among(self, rule: RuleSpec, event_ids: list[str], now: datetime) -> list[RuleMatch]:
        """What a grade rule matches among these events (changed by a run; the window query may miss a late
        post's event): the same grade and filter test as the window's."""
        return self._grade(rule, now, None, event_ids) if event_ids else []

    def _frequency(self, rule: RuleSpec, now: datetime, since: datetime | None) -> list[RuleMatch]:
        assert rule.num_events is not None and rule.timeframe_minutes is not None
        start = now - timedelta(minutes=rule.timeframe_minutes)
        out = []
        for key, (count, events) in self._counts(rule, start, now, min_count=rule.num_events).items():
            out.append(RuleMatch(rule.name, rule.type, now, key, start, now, count,
                                 f"{self._where(rule, key)}{rule.timeframe_minutes:g} 分钟内 {count} 条"
                                 f"（≥ {rule.num_events}{self._filter_text(rule)}）", events))
        return out

    def _spike(self, rule: RuleSpec, now: datetime, since: datetime | None) -> list[RuleMatch]:
        assert rule.spike_height is not None and rule.timeframe_minutes is not None
        tf = timedelta(minutes=rule.timeframe_minutes)
        cur = self._counts(rule, now - tf, now, min_count=max(rule.threshold_cur or 1, 1))
        ref = self._counts(rule, now - 2 * tf, now - tf)
        out = []
        for key, (count, events) in cur.items():
            before = ref.get(key, (0, []))[0]
            if before == 0 or count < rule.spike_height * before:
                continue
            out.append(RuleMatch(rule.name, rule.type, now, key, now - tf, now, count,
                                 f"{self._where(rule, key)}最近 {rule.timeframe_minutes:g} 分钟 {count} 条，前一时段 {before} 条"
                                 f"（×{count / before:.1f} ≥ ×{rule.spike_height:g}）", events,
                                 {"reference": before}))
        return out

    def _new_term(self, rule: RuleSpec, now: datetime, since: datetime | None) -> list[RuleMatch]:
        assert rule.field and rule.terms_window_days is not None and rule.threshold is not None
        field_path = rule_field(rule, rule.field, "look for new terms in")
        window = timedelta(minutes=rule.timeframe_minutes) if rule.timeframe_minutes else DEFAULT_NEW_TERM_WINDOW
        start = now - window
        history_start = start - timedelta(days=rule.terms_window_days)
        oldest = self.es.search(index=self.layout.posts.alias, size=0,
                                query=self._posts(rule, history_start - timedelta(days=3650), start),
                                aggs={"min": {"min": {"field": "ts"}}})["aggregations"]["min"]
        if oldest.get("value") is None or oldest["value"] / 1000 > history_start.timestamp():
            # Without a full history window "never seen before" cannot be told; stay quiet.
            return []
        body = self.es.search(index=self.layout.posts.alias, size=0, query=self._posts(rule, start, now), aggs={
            "t": {"terms": {"field": field_path, "size": MAX_GROUPS, "min_doc_count": max(rule.threshold, 1)},
                  "aggs": {"e": {"terms": {"field": "event_id", "size": TOP_EVENTS}}}}})
        # (an account or plate that masking missed — wangfang88, d12345 — is not shown as a new term)
        candidates = {b["key"]: b for b in body["aggregations"]["t"]["buckets"]
                      if len(str(b["key"])) >= 2 and not may_identify(str(b["key"]))}
        if not candidates:
            return []
        seen_body = self.es.search(
            index=self.layout.posts.alias, size=0,
            query=self._posts(rule, history_start, start, extra=[{"terms": {field_path: list(candidates)}}]),
            aggs={"t": {"terms": {"field": field_path, "size": len(candidates), "include": list(candidates)}}})
        seen = {b["key"] for b in seen_body["aggregations"]["t"]["buckets"]}
        out = []
        for term, bucket in candidates.items():
            if term in seen:
                continue
            out.append(RuleMatch(rule.name, rule.type, now, term, start, now, bucket["doc_count"],
                                 f"新词“{self._as_written(rule, field_path, term, start, now)}”：最近 {window.total_seconds() / 60:g} 分钟出现在 {bucket['doc_count']} 条中，"
                                 f"此前 {rule.terms_window_days:g} 天未出现", [e["key"] for e in bucket["e"]["buckets"]]))
        return out

    def _as_written(self, rule: RuleSpec, field_path: str, term: str, start: datetime, end: datetime) -> str:
        """A new term as most of the window's posts write it: the tokens are lower-cased, and the reason said
        “a3” of posts that all wrote A3区 (a review). Looked up only for a term lower-casing changed."""
        if term == term.upper():
            return term
        hits = self.es.search(index=self.layout.posts.alias, size=WRITTEN_SAMPLE, source_includes=["title", "text"],
                              query=self._posts(rule, start, end, extra=[{"term": {field_path: term}}]))["hits"]["hits"]
        forms = Counter(form for hit in hits if (form := written_forms(
            f"{hit['_source'].get('title') or ''}\n{hit['_source'].get('text') or ''}", [term]).get(term)))
        return forms.most_common(1)[0][0] if forms else term

    def _flatline(self, rule: RuleSpec, now: datetime, since: datetime | None) -> list[RuleMatch]:
        """A source that usually yields posts at this time of day has gone quiet. "Usually": in the same window
        on at least FLATLINE_USUAL_DAYS of the FLATLINE_DAYS days before — so a board quiet every night, or one
        that has a message every few hours, is not "silent" each time it pauses (a year of real board messages
        raised 1,588 alerts when one post in the last 24 h was enough)."""
        assert rule.threshold is not None and rule.timeframe_minutes is not None
        tf = timedelta(minutes=rule.timeframe_minutes)
        minimum = max(rule.threshold, 1)
        group = rule_field(rule, rule.group_by or "source", "group by")
        windows = {str(day): {"range": {"fetched_at": {"gte": _iso(now - timedelta(days=day) - tf),
                                                        "lt": _iso(now - timedelta(days=day))}}}
                   for day in range(1, FLATLINE_DAYS + 1)}
        body = self.es.search(index=self.layout.posts.alias, size=0,  # one query for the seven windows
                              query=self._posts(rule, now - timedelta(days=FLATLINE_DAYS) - tf, now, "fetched_at"),
                              aggs={"g": {"terms": {"field": group, "size": MAX_GROUPS},
                                          "aggs": {"days": {"filters": {"filters": windows}}}}})
        days_with_posts = {b["key"]: sum(1 for w in b["days"]["buckets"].values() if w["doc_count"] >= minimum)
                           for b in body["aggregations"]["g"]["buckets"]}
        # Posts in this window on an average day before: a board with a dozen messages a day has three-hour gaps
        # all the time (a year of real board messages: 638 "silent" alerts for a board that never stopped).
        rate = {b["key"]: sum(w["doc_count"] for w in b["days"]["buckets"].values()) / FLATLINE_DAYS
                for b in body["aggregations"]["g"]["buckets"]}
        usual = [key for key, days in days_with_posts.items() if days >= FLATLINE_USUAL_DAYS
                 and _poisson_below(rule.threshold, rate[key]) < FLATLINE_SURPRISE]
        if not usual:
            return []
        current = self._counts(rule, now - tf, now, time_field="fetched_at")
        out = []
        for key in usual:
            count = current.get(key, (0, []))[0]
            if count >= rule.threshold:
                continue
            last = self.es.search(index=self.layout.posts.alias, size=0,
                                  query=self._posts(rule, now - timedelta(days=FLATLINE_DAYS), now, "fetched_at",
                                                    extra=[{"term": {rule_field(rule, rule.group_by or "source",
                                                                                 "group by"): key}}]),
                                  aggs={"m": {"max": {"field": "fetched_at"}}})["aggregations"]["m"]
            last_at = last.get("value_as_string")
            shown = (datetime.fromisoformat(last_at.replace("Z", "+00:00")).astimezone(now.tzinfo)
                     .strftime("%Y-%m-%d %H:%M") if last_at else None)
            out.append(RuleMatch(rule.name, rule.type, now, key, now - tf, now, count,
                                 f"{self._where(rule, key, 'source')}最近 {rule.timeframe_minutes:g} 分钟采到 {count} 条"
                                 f"（< {rule.threshold}）；此前 {FLATLINE_DAYS} 天中有 {days_with_posts[key]} 天"
                                 f"在这一时段有信息，平均 {rate[key]:.1f} 条" + (f"；最后一条采于 {shown}" if shown else ""),
                                 [], {"usual_days": days_with_posts[key], "usual_rate": rate[key],
                                      "last_fetched_at": last_at}))
        return out

    def _sentiment_shift(self, rule: RuleSpec, now: datetime, since: datetime | None) -> list[RuleMatch]:
        assert rule.timeframe_minutes is not None and rule.min_negative_share_increase is not None
        tf = timedelta(minutes=rule.timeframe_minutes)
        minimum = rule.min_posts or 1
        negative = [{"term": {"sentiment": "negative"}}]
        cur_all = self._counts(rule, now - tf, now, min_count=minimum)
        if not cur_all:
            return []
        cur_neg = self._counts(rule, now - tf, now, extra=negative)
        prev_all = self._counts(rule, now - 2 * tf, now - tf, min_count=minimum)
        prev_neg = self._counts(rule, now - 2 * tf, now - tf, extra=negative)
        out = []
        for key, (total, _) in cur_all.items():
            if key not in prev_all:
                continue
            before_total = prev_all[key][0]
            neg, events = cur_neg.get(key, (0, []))
            before_neg = prev_neg.get(key, (0, []))[0]
            share, before_share = neg / total, before_neg / before_total
            rise = share - before_share
            if rise < rule.min_negative_share_increase:
                continue
            out.append(RuleMatch(rule.name, rule.type, now, key, now - tf, now, total,
                                 f"{self._where(rule, key)}负面占比 {share:.0%}（{neg}/{total}），前一时段 {before_share:.0%}"
                                 f"（{before_neg}/{before_total}）（上升 {rise * 100:.0f} 个百分点 ≥ "
                                 f"{rule.min_negative_share_increase * 100:.0f}）", events,
                                 {"share": share, "previous_share": before_share}))
        return out

    @staticmethod
    def _filter_text(rule: RuleSpec) -> str:
        if not rule.filter:
            return ""
        return "，" + "，".join(f"{k}={v if isinstance(v, str) else '|'.join(v)}" for k, v in rule.filter.items())

    # ----------------------------------------------------------------------------- history

    def step_for(self, rule: RuleSpec) -> timedelta:
        """How often the rule is evaluated: a quarter of its window, at least a minute."""
        minutes = rule.timeframe_minutes or 60
        return timedelta(minutes=max(1.0, minutes / 4))

    def history(self, rule: RuleSpec, start: datetime, end: datetime) -> list[RuleMatch]:
        """What the rule would have raised between two times, each run of matches for one key merged."""
        if rule.type == "grade":
            graded = self._grade(rule, end, start)
            for match in graded:  # shown at the time the event was graded, not at the end of the history
                if match.details.get("graded_at"):
                    match.details["first_at"] = match.details["last_at"] = match.details["graded_at"]
            return graded
        step = self.step_for(rule)
        episodes: dict[str | None, RuleMatch] = {}
        finished: list[RuleMatch] = []
        at = start + step
        while at <= end:
            matches = {m.key: m for m in self.evaluate(rule, at)}
            for key, open_match in list(episodes.items()):
                if key not in matches:
                    finished.append(open_match)
                    del episodes[key]
            for key, match in matches.items():
                current = episodes.get(key)
                if current is None:
                    episodes[key] = match
                    match.details["first_at"] = at.isoformat()
                    match.details["last_at"] = at.isoformat()
                else:
                    current.details["last_at"] = at.isoformat()
                    current.window_end = match.window_end
                    if match.count > current.count:
                        current.count, current.reason, current.event_ids = match.count, match.reason, match.event_ids
            at += step
        finished += episodes.values()
        return sorted(finished, key=lambda m: (m.window_start, str(m.key)))

    def load_event(self, event_id: str) -> Event | None:
        body = self.es.search(index=self.layout.events.alias, query={"ids": {"values": [event_id]}}, size=1,
                              source_excludes=["title_cut"])
        hits = body["hits"]["hits"]
        return event_from_source(hits[0]["_source"]) if hits else None

    def event_profile(self, event_id: str, rumour_cues: list[str] | None = None) -> EventProfile:
        """What an event's posts say about routing and deadlines.

        - districts: the districts the posts name (most named first; mentions under 10 % left out);
        - source_type, which decides the deadlines: ``message_board`` only when every post is a board message (those
          get the board's working days); once news or Weibo carry it, it is public opinion with the 48 h response
          deadline (61号), so the commonest other type is given — a tie of one post each, broken alphabetically,
          gave a news-covered wage protest the board's 15 working days;
        - rumour_cues: the ``rumour_cues`` the latest posts use (not in a denial), when at least two posts, or every
          post of a smaller event, use one: "经核实，该信息系谣言" stands in a report's body, not in its headline;
        - board_messages: how many posts are board messages, each owed a reply of its own (alerts/board.py).
        """
        body = self.es.search(index=self.layout.posts.alias, size=RUMOUR_POSTS_READ if rumour_cues else 0,
                              query={"term": {"event_id": event_id}}, sort=[{"ts": "desc"}],
                              source_includes=["title", "text"],
                              aggs={"d": {"terms": {"field": "region.district", "size": 20}},
                                    "s": {"terms": {"field": "source_type", "size": 10}}})
        buckets = body["aggregations"]["d"]["buckets"]
        total = sum(b["doc_count"] for b in buckets)
        districts = [b["key"] for b in buckets if b["doc_count"] >= max(1, 0.1 * total)]
        counts = {b["key"]: b["doc_count"] for b in body["aggregations"]["s"]["buckets"]}
        types = list(counts)
        beyond_board = [t for t in types if t != BOARD_SOURCE_TYPE]
        hits = body["hits"]["hits"]
        said = [rumour_cues_in(f"{h['_source'].get('title') or ''} {h['_source'].get('text') or ''}", rumour_cues or [])
                for h in hits]
        saying = [cues for cues in said if cues]
        rumour = (tuple(dict.fromkeys(c for cues in saying for c in cues))
                  if saying and len(saying) >= min(2, len(hits)) else ())
        return EventProfile(districts, beyond_board[0] if beyond_board else (types[0] if types else None), rumour,
                            board_messages=counts.get(BOARD_SOURCE_TYPE, 0))
