"""The index layer against a real Elasticsearch node: templates, aliases, rollover, bulk, spool."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from yuqing.contract import Post
from yuqing.es.indices import MAPPING_VERSION, IndexLayout, MappingOutdated
from yuqing.es.writer import BulkWriter, post_document


def cut(text: str) -> str:
    return " ".join(text)


def make_post(i: int, text: str = "学校 食堂 出现 食物中毒") -> Post:
    return Post(id=f"p{i}", source="test", fetched_at=datetime(2026, 1, 1, 8, tzinfo=UTC), title=f"标题{i}",
                text=text)


def test_posts_land_behind_the_write_alias_with_whitespace_cut_text(es_client: Elasticsearch,
                                                                   es_layout: IndexLayout, tmp_path: Path) -> None:
    writer = BulkWriter(es_client, es_layout.posts, tmp_path / "spool", refresh=True)
    writer.add_many(post_document(make_post(i), lambda t: t) for i in range(25))
    writer.flush()
    assert writer.indexed == 25
    assert es_client.count(index=es_layout.posts.alias)["count"] == 25
    hits = es_client.search(index=es_layout.posts.alias, query={"match": {"text_cut": "食物中毒"}})
    assert hits["hits"]["total"]["value"] == 25
    # whitespace analysis: a sub-word of a jieba token does not match
    assert es_client.search(index=es_layout.posts.alias, query={"match": {"text_cut": "中毒"}})["hits"]["total"][
        "value"] == 0
    mapping = es_client.indices.get_mapping(index=es_layout.posts.first_index)[es_layout.posts.first_index]
    assert mapping["mappings"]["_meta"]["yuqing_mapping_version"] == MAPPING_VERSION


def test_rollover_moves_writes_to_a_new_index_and_old_posts_stay_searchable(
        es_client: Elasticsearch, es_layout: IndexLayout, tmp_path: Path) -> None:
    writer = BulkWriter(es_client, es_layout.posts, tmp_path / "spool", refresh=True)
    writer.add(post_document(make_post(1), cut))
    writer.flush()
    result = es_layout.rollover(es_client, max_age="30d", max_docs=1, max_primary_shard_size="10gb")
    assert result["posts"]["rolled_over"] is True
    assert es_layout.write_index(es_client, es_layout.posts) == f"{es_layout.posts.alias}-000002"
    writer.add(post_document(make_post(2), cut))
    writer.flush()
    assert es_client.count(index=es_layout.posts.alias)["count"] == 2
    assert es_client.count(index=f"{es_layout.posts.alias}-000002")["count"] == 1


def test_an_older_mapping_is_refused_with_the_command_that_fixes_it(es_client: Elasticsearch,
                                                                    es_layout: IndexLayout) -> None:
    index = es_layout.write_index(es_client, es_layout.posts)
    es_client.indices.put_mapping(index=index, meta={"yuqing_mapping_version": 0})
    with pytest.raises(MappingOutdated, match="yuqing es migrate"):
        es_layout.ensure(es_client)
    moved = es_layout.migrate(es_client)
    assert moved["posts"] == (f"{es_layout.posts.alias}-000002", True)
    assert moved["events"] == (f"{es_layout.events.alias}-000001", False)  # its mapping was current: kept
    es_layout.ensure(es_client)
    again = es_layout.migrate(es_client)  # safe to repeat: no empty index per run
    assert again["posts"] == (f"{es_layout.posts.alias}-000002", False)
    assert es_layout.migrate(es_client, force=True)["posts"] == (f"{es_layout.posts.alias}-000003", True)
    newer = es_layout.write_index(es_client, es_layout.events)
    es_client.indices.put_mapping(index=newer, meta={"yuqing_mapping_version": 99})
    with pytest.raises(MappingOutdated, match="newer than this yuqing"):  # it said "has the current mapping; kept"
        es_layout.migrate(es_client)


def test_unreachable_cluster_spools_then_replays_exactly_once(es_client: Elasticsearch, es_layout: IndexLayout,
                                                              tmp_path: Path) -> None:
    dead = Elasticsearch("http://127.0.0.1:9", request_timeout=1, max_retries=0)
    down = BulkWriter(dead, es_layout.posts, tmp_path / "spool")
    down.add_many(post_document(make_post(i), cut) for i in range(10))
    down.flush()
    assert down.indexed == 0 and down.spooled == 10
    assert down.spool.pending() == 10
    up = BulkWriter(es_client, es_layout.posts, tmp_path / "spool", refresh=True)
    up.add_many(post_document(make_post(i), cut) for i in range(5, 15))  # overlaps the spooled ids 5..9
    up.flush()
    assert up.spool.pending() == 0
    es_client.indices.refresh(index=es_layout.posts.alias)
    assert es_client.count(index=es_layout.posts.alias)["count"] == 15


def test_a_torn_line_in_the_spool_is_kept_aside_and_the_rest_replayed(es_client: Elasticsearch, es_layout: IndexLayout,
                                                                      tmp_path: Path) -> None:
    """A review tore a spooled segment's last line: every later crawl raised on it, indexed nothing, spooled
    nothing of its own batch, and said it had succeeded."""
    dead = Elasticsearch("http://127.0.0.1:9", request_timeout=1, max_retries=0)
    down = BulkWriter(dead, es_layout.posts, tmp_path / "spool")
    down.add_many(post_document(make_post(i), cut) for i in range(3))
    down.flush()
    [segment] = down.spool.segments()
    with open(segment, "a", encoding="utf-8") as handle:
        handle.write('{"_id": "torn", "title": "半')
    up = BulkWriter(es_client, es_layout.posts, tmp_path / "spool", refresh=True)
    up.add_many(post_document(make_post(i), cut) for i in range(3, 6))
    assert up.flush() == 3
    es_client.indices.refresh(index=es_layout.posts.alias)
    assert es_client.count(index=es_layout.posts.alias)["count"] == 6 and up.spool.segments() == []
    assert '"_id": "torn"' in up.spool.damaged.read_text(encoding="utf-8")


def test_a_full_disk_leaves_no_half_segment_and_says_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    from yuqing.es.spool import Spool

    spool = Spool(tmp_path / "spool")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match=r"cannot write 1 documents to the spool .*spool \(No space left on device\)"):
        spool.put([{"_id": "a"}])
    assert list((tmp_path / "spool").iterdir()) == []


def test_a_document_the_mapping_rejects_is_kept_with_its_reason(es_client: Elasticsearch, es_layout: IndexLayout,
                                                                tmp_path: Path) -> None:
    writer = BulkWriter(es_client, es_layout.posts, tmp_path / "spool", refresh=True)
    good = post_document(make_post(1), cut)
    bad = dict(post_document(make_post(2), cut), published_at="not a date")
    writer.add_many([good, bad])
    writer.flush()
    assert writer.indexed == 1 and writer.rejected == 1
    kept = writer.dead_letter.read_text(encoding="utf-8")
    assert "p2" in kept and "published_at" in kept


def test_a_document_without_an_id_or_with_a_damaged_byte_is_kept_aside(tmp_path: Path) -> None:
    """A review: {"_id": null} was taken for a document, and a byte damaged inside a string was indexed as U+FFFD."""
    from yuqing.es.spool import Spool

    spool = Spool(tmp_path / "spool")
    segment = spool.put([{"_id": "good", "text": "停水"}])
    assert segment is not None
    with open(segment, "ab") as handle:
        handle.write(b'{"_id": null, "text": "x"}\n' + '{"_id": "bad", "text": "停水"}\n'.encode()[:-6] + b"\xff\xfe\"}\n")
    assert [d["_id"] for d in spool.read(segment)] == ["good"]
    assert spool.damaged.read_text(encoding="utf-8").count("\n") == 2
