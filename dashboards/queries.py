"""What the dashboards ask Elasticsearch and the workflow database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yuqing.db.models import Case, Deadline, UnitRow
from yuqing.es.indices import IndexLayout

Cutter = Callable[[str], str]
GRADE_ORDER = {"I": 0, "II": 1, "III": 2, "IV": 3}


def _exists(es: Elasticsearch, alias: str) -> bool:
    return bool(es.indices.exists_alias(name=alias))


def overview(es: Elasticsearch, layout: IndexLayout, now: datetime, hours: int = 24) -> dict[str, Any]:
    """The press office's first screen: volume and sentiment per topic, the riskiest and emerging events."""
    since = (now - timedelta(hours=hours)).isoformat()
    result: dict[str, Any] = {"hours": hours, "posts": 0, "negative": 0, "topics": [], "events": [], "emerging": []}
    if _exists(es, layout.posts.alias):
        body = es.search(index=layout.posts.alias, size=0, query={"range": {"ts": {"gte": since}}},
                         aggs={"topics": {"terms": {"field": "topic", "size": 20},
                                          "aggs": {"sentiment": {"terms": {"field": "sentiment", "size": 3}}}},
                               "negative": {"filter": {"term": {"sentiment": "negative"}}}})
        result["posts"] = body["hits"]["total"]["value"]
        result["negative"] = body["aggregations"]["negative"]["doc_count"]
        for bucket in body["aggregations"]["topics"]["buckets"]:
            mix = {b["key"]: b["doc_count"] for b in bucket["sentiment"]["buckets"]}
            result["topics"].append({"topic": bucket["key"], "posts": bucket["doc_count"],
                                     "negative": mix.get("negative", 0),
                                     "negative_share": mix.get("negative", 0) / bucket["doc_count"]})
    if _exists(es, layout.events.alias):
        events = es.search(index=layout.events.alias, size=20, query={"range": {"last_seen": {"gte": since}}},
                           sort=[{"risk": {"order": "desc", "missing": "_last"}}])
        result["events"] = [hit["_source"] for hit in events["hits"]["hits"]]
        result["emerging"] = [e for e in result["events"] if e.get("emerging")]
    return result


def search_posts(es: Elasticsearch, layout: IndexLayout, query: str, cut: Cutter, size: int = 50,
                 topic: str | None = None, sentiment: str | None = None) -> list[dict[str, Any]]:
    """Full-text search: the query is cut by the same tokenizer that cut the indexed text."""
    if not _exists(es, layout.posts.alias):
        return []
    must: list[dict[str, Any]] = []
    if query.strip():
        must.append({"multi_match": {"query": cut(query), "fields": ["title_cut^2", "text_cut"],
                                     "operator": "and"}})
    filters = [{"term": {k: v}} for k, v in (("topic", topic), ("sentiment", sentiment)) if v]
    body = es.search(index=layout.posts.alias, size=size,
                     query={"bool": {"must": must or [{"match_all": {}}], "filter": filters}},
                     sort=["_score", {"ts": "desc"}])
    return [hit["_source"] for hit in body["hits"]["hits"]]


def event_detail(es: Elasticsearch, layout: IndexLayout, event_id: str) -> tuple[dict | None, list[dict]]:
    if not _exists(es, layout.events.alias):
        return None, []
    hits = es.search(index=layout.events.alias, size=1, query={"term": {"id": event_id}})["hits"]["hits"]
    if not hits:
        return None, []
    posts = es.search(index=layout.posts.alias, size=100, query={"term": {"event_id": event_id}},
                      sort=[{"ts": "asc"}])["hits"]["hits"]
    return hits[0]["_source"], [hit["_source"] for hit in posts]


def effect_lookup(es: Elasticsearch, layout: IndexLayout) -> Callable[[str, datetime, datetime], tuple[int, int]]:
    """(posts, negative posts) of an event in a time window: how the evaluator judges a response's effect."""

    def lookup(event_id: str, start: datetime, end: datetime) -> tuple[int, int]:
        if not _exists(es, layout.posts.alias):
            return 0, 0
        body = es.search(index=layout.posts.alias, size=0,
                         query={"bool": {"filter": [{"term": {"event_id": event_id}},
                                                    {"range": {"ts": {"gte": start.isoformat(),
                                                                      "lt": end.isoformat()}}}]}},
                         aggs={"negative": {"filter": {"term": {"sentiment": "negative"}}}})
        return body["hits"]["total"]["value"], body["aggregations"]["negative"]["doc_count"]

    return lookup


def open_cases(session: Session) -> list[Case]:
    cases = session.scalars(select(Case).options(selectinload(Case.deadlines))
                            .where(Case.state.not_in(["closed"]))).all()
    return sorted(cases, key=lambda c: (GRADE_ORDER.get(c.grade or "IV", 4), c.opened_at))


def leader_cases(session: Session) -> list[Case]:
    """What a leader must see: escalated or overdue cases, and every open grade I/II case."""
    return [c for c in open_cases(session)
            if c.state in ("escalated", "overdue") or c.escalation_level > 0 or c.grade in ("I", "II")]


@dataclass(frozen=True)
class UnitCase:
    """One case as a responsible unit sees it: whether it leads or joins, and how long it has left."""

    case: Case
    role: str  # 承办 (the lead unit) or 联动 (a joint unit: publicity, cyberspace, police…)
    next_deadline: Deadline | None
    hours_left: float | None  # negative once the deadline has passed

    @property
    def overdue(self) -> bool:
        return self.hours_left is not None and self.hours_left < 0


def _unit_case(case: Case, unit_id: str, now: datetime) -> UnitCase:
    pending = sorted(case.pending_deadlines(), key=lambda d: d.due_at)
    first = pending[0] if pending else None
    hours = (first.due_at - now).total_seconds() / 3600 if first is not None else None
    return UnitCase(case, "承办" if case.unit_id == unit_id else "联动", first, hours)


def unit_cases(session: Session, unit_id: str, now: datetime) -> list[UnitCase]:
    """A unit's open cases, led or joined, the most urgent first (overdue, then by the next deadline)."""
    mine = [_unit_case(c, unit_id, now) for c in open_cases(session)
            if c.unit_id == unit_id or unit_id in (c.joint_unit_ids or [])]
    return sorted(mine, key=lambda u: (u.hours_left is None, u.hours_left if u.hours_left is not None else 0,
                                       GRADE_ORDER.get(u.case.grade or "IV", 4)))


def closed_unit_cases(session: Session, unit_id: str, since: datetime) -> list[tuple[Case, int]]:
    """Cases a unit led that were closed since ``since``, the latest first, each with how many of its deadlines
    were met late or never."""
    rows = session.scalars(select(Case).options(selectinload(Case.deadlines))
                           .where(Case.unit_id == unit_id, Case.state == "closed", Case.closed_at >= since)).all()
    missed = {c.id: sum(1 for d in c.deadlines if d.met_at is None or d.met_at > d.due_at) for c in rows}
    return [(c, missed[c.id]) for c in sorted(rows, key=lambda c: c.closed_at or c.opened_at, reverse=True)]


def unit_workload(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Per unit with open cases: how many it leads and joins, how many wait to be acknowledged, are overdue, or
    fall due within 24 hours — the first thing a unit (and its supervisor) looks at."""
    names = {row.id: row.name for row in session.scalars(select(UnitRow))}
    rows: dict[str, dict[str, Any]] = {}
    for case in open_cases(session):
        for unit_id in [case.unit_id, *(case.joint_unit_ids or [])]:
            if not unit_id:
                continue
            row = rows.setdefault(unit_id, {"unit_id": unit_id, "name": names.get(unit_id, unit_id), "lead": 0,
                                            "joint": 0, "unacknowledged": 0, "overdue": 0, "due_24h": 0})
            seen = _unit_case(case, unit_id, now)
            row["lead" if seen.role == "承办" else "joint"] += 1
            row["unacknowledged"] += seen.role == "承办" and case.acknowledged_at is None
            row["overdue"] += seen.overdue
            row["due_24h"] += seen.hours_left is not None and 0 <= seen.hours_left <= 24
    return sorted(rows.values(), key=lambda r: (-r["overdue"], -r["due_24h"], -r["lead"], r["unit_id"]))


def case_detail(session: Session, case_id: int) -> Case | None:
    return session.scalars(select(Case).options(selectinload(Case.deadlines), selectinload(Case.events))
                           .where(Case.id == case_id)).one_or_none()
