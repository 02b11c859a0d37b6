"""Index templates, aliases and rollover for posts and events.

Each kind of document lives in time-based indices (``yuqing-posts-000001``, ``-000002`` …) behind a
write alias (``yuqing-posts``), so old indices can age out by deleting them. Chinese text is cut by
jieba on the Python side and stored in whitespace-analyzed ``*_cut`` fields; queries are cut the same
way. The mapping carries a version in ``_meta``; at start-up ``ensure_indices`` refuses to write into
an index with an older mapping and says how to move on (``yuqing es migrate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

MAPPING_VERSION = 1

_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date"}
_CUT_TEXT = {"type": "text", "analyzer": "whitespace", "search_analyzer": "whitespace"}
# region.country (a place abroad) is kept in _source, not indexed: nothing searches by it, and a new field would make
# every deployment migrate its indices.
_REGION = {"properties": {"province": _KEYWORD, "city": _KEYWORD, "district": _KEYWORD, "code": _KEYWORD}}

POST_PROPERTIES: dict[str, Any] = {
    "id": _KEYWORD,
    "source": _KEYWORD,
    "source_type": _KEYWORD,
    "url": _KEYWORD,
    "author": _KEYWORD,
    "published_at": _DATE,
    "fetched_at": _DATE,
    "ts": _DATE,
    "title": {"type": "text", "index": False},
    "text": {"type": "text", "index": False},
    "title_cut": _CUT_TEXT,
    "text_cut": _CUT_TEXT,
    "region": _REGION,
    "media_tier": _KEYWORD,
    "engagement": {"properties": {k: {"type": "integer"} for k in ("reposts", "comments", "likes", "dislikes",
                                                                   "views")}},
    "reply": {"properties": {"text": {"type": "text", "index": False}, "replied_at": _DATE, "replier": _KEYWORD}},
    "status": _KEYWORD,
    "lang": _KEYWORD,
    "content_hash": _KEYWORD,
    "tokens": _KEYWORD,
    "topic": _KEYWORD,
    "topic_score": {"type": "float"},
    "topics": {"type": "object", "enabled": False},
    "sentiment": _KEYWORD,
    "sentiment_score": {"type": "float"},
    "dup_of": _KEYWORD,
    "event_id": _KEYWORD,
    "severity_cues": _KEYWORD,
    "deidentified": {"type": "boolean"},
    "analyzed_at": _DATE,
}

EVENT_PROPERTIES: dict[str, Any] = {
    "id": _KEYWORD,
    "title": {"type": "text", "index": False},
    "title_cut": _CUT_TEXT,
    "keywords": _KEYWORD,
    "first_seen": _DATE,
    "last_seen": _DATE,
    "region": _REGION,
    "topic": _KEYWORD,
    "sentiment_mix": {"type": "object", "enabled": False},
    "volume": {"type": "integer"},
    "unique_stories": {"type": "integer"},
    "velocity": {"type": "float"},
    "sources": _KEYWORD,
    "media_tiers": {"type": "object", "enabled": False},
    "timeline": {"type": "object", "enabled": False},
    "severity_cues": _KEYWORD,
    "grade": _KEYWORD,
    "risk": {"type": "float"},
    "grade_reasons": {"type": "text", "index": False},
    "emerging": {"type": "boolean"},
    "emerging_reasons": {"type": "text", "index": False},
    "post_ids": _KEYWORD,
}


class MappingOutdated(RuntimeError):
    """The cluster holds an index written with an older mapping than this code expects."""


@dataclass(frozen=True)
class IndexKind:
    """One kind of document: its alias, its index pattern and its mapping."""

    prefix: str
    kind: str
    properties: dict[str, Any]

    @property
    def alias(self) -> str:
        return f"{self.prefix}-{self.kind}"

    @property
    def pattern(self) -> str:
        return f"{self.alias}-*"

    @property
    def first_index(self) -> str:
        return f"{self.alias}-000001"

    @property
    def template(self) -> str:
        return self.alias


class IndexLayout:
    """The posts and events indices of one deployment (``index_prefix`` in settings)."""

    def __init__(self, prefix: str = "yuqing"):
        self.prefix = prefix
        self.posts = IndexKind(prefix, "posts", POST_PROPERTIES)
        self.events = IndexKind(prefix, "events", EVENT_PROPERTIES)

    def kinds(self) -> list[IndexKind]:
        return [self.posts, self.events]

    def put_templates(self, es: Elasticsearch) -> None:
        """Composable templates: shared settings as one component, each mapping as another."""
        es.cluster.put_component_template(
            name=f"{self.prefix}-settings",
            template={"settings": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"}},
            meta={"managed_by": "yuqing"},
        )
        for kind in self.kinds():
            es.cluster.put_component_template(
                name=f"{kind.alias}-mappings",
                template={"mappings": {"dynamic": False, "_meta": {"yuqing_mapping_version": MAPPING_VERSION},
                                       "properties": kind.properties}},
                meta={"managed_by": "yuqing", "mapping_version": MAPPING_VERSION},
            )
            es.indices.put_index_template(
                name=kind.template,
                index_patterns=[kind.pattern],
                composed_of=[f"{self.prefix}-settings", f"{kind.alias}-mappings"],
                priority=200,
                meta={"managed_by": "yuqing", "mapping_version": MAPPING_VERSION},
            )

    def write_index(self, es: Elasticsearch, kind: IndexKind) -> str | None:
        try:
            aliases = es.indices.get_alias(name=kind.alias)
        except NotFoundError:
            return None
        for index, body in aliases.body.items():
            if body["aliases"].get(kind.alias, {}).get("is_write_index"):
                return index
        return sorted(aliases.body)[-1] if aliases.body else None

    def mapping_version(self, es: Elasticsearch, index: str) -> int:
        mapping = es.indices.get_mapping(index=index).body[index]["mappings"]
        return int(mapping.get("_meta", {}).get("yuqing_mapping_version", 0))

    def ensure(self, es: Elasticsearch) -> None:
        """Create templates and the first index of each kind; refuse an outdated mapping."""
        self.put_templates(es)
        for kind in self.kinds():
            index = self.write_index(es, kind)
            if index is None:
                try:
                    es.indices.create(index=kind.first_index, aliases={kind.alias: {"is_write_index": True}})
                except Exception as exc:  # a concurrent process may have created it first
                    if "resource_already_exists_exception" not in str(exc):
                        raise
                continue
            version = self.mapping_version(es, index)
            if version < MAPPING_VERSION:
                raise MappingOutdated(
                    f"the {kind.kind} write index {index} has mapping version {version}, this yuqing needs "
                    f"{MAPPING_VERSION}; run `yuqing es migrate` to roll over into a new index with the new "
                    "mapping (old documents stay searchable through the alias)")
            if version > MAPPING_VERSION:
                raise MappingOutdated(
                    f"the {kind.kind} write index {index} has mapping version {version}, newer than this "
                    f"yuqing ({MAPPING_VERSION}); upgrade yuqing before writing to this cluster")

    def migrate(self, es: Elasticsearch, force: bool = False) -> dict[str, tuple[str, bool]]:
        """Put the current templates and roll over every alias whose write index has an older mapping, so new
        writes get the new one: kind → (write index, whether it is new). Safe to run again: a write index with
        the current mapping stays (each run made an empty index before); ``force`` rolls over anyway. A write
        index from a newer yuqing is refused before anything is written."""
        for kind in self.kinds():
            index = self.write_index(es, kind)
            if index is not None and (version := self.mapping_version(es, index)) > MAPPING_VERSION:
                raise MappingOutdated(
                    f"the {kind.kind} write index {index} has mapping version {version}, newer than this yuqing "
                    f"({MAPPING_VERSION}); upgrade yuqing before migrating this cluster")
        self.put_templates(es)
        moved = {}
        for kind in self.kinds():
            index = self.write_index(es, kind)
            if index is None:
                es.indices.create(index=kind.first_index, aliases={kind.alias: {"is_write_index": True}})
                moved[kind.kind] = (kind.first_index, True)
            elif force or self.mapping_version(es, index) < MAPPING_VERSION:
                moved[kind.kind] = (es.indices.rollover(alias=kind.alias)["new_index"], True)
            else:
                moved[kind.kind] = (index, False)
        return moved

    def rollover(self, es: Elasticsearch, max_age: str, max_docs: int, max_primary_shard_size: str,
                 dry_run: bool = False) -> dict[str, Any]:
        """Roll each alias over when its write index meets a condition (run periodically)."""
        conditions = {"max_age": max_age, "max_docs": max_docs, "max_primary_shard_size": max_primary_shard_size}
        return {kind.kind: es.indices.rollover(alias=kind.alias, conditions=conditions, dry_run=dry_run).body
                for kind in self.kinds()}

    def delete_all(self, es: Elasticsearch) -> None:
        """Remove every index and template of this layout (tests, and starting a demo afresh)."""
        quiet = es.options(ignore_status=404)
        for kind in self.kinds():
            quiet.indices.delete(index=kind.pattern, ignore_unavailable=True, allow_no_indices=True)
            quiet.indices.delete_index_template(name=kind.template)
            quiet.cluster.delete_component_template(name=f"{kind.alias}-mappings")
        quiet.cluster.delete_component_template(name=f"{self.prefix}-settings")
