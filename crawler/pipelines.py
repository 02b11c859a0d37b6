"""The item pipeline: Post → never twice → ``analysis.entry`` enrichment → buffered bulk writes to Elasticsearch.

Posts are enriched in batches (``enrich_many``) and written through ``yuqing.es.writer.BulkWriter``
in a worker thread, so the crawl keeps fetching meanwhile. If analysis cannot run (a model not
trained yet), posts are still de-identified and indexed, without ``analyzed_at``, for analysis to
pick up later; a post that cannot even be de-identified is kept aside on disk and not marked seen. When Elasticsearch is unreachable, batches go to the durable spool and are replayed,
oldest first, as soon as it answers. An item is marked seen only after it was indexed or spooled,
so nothing is lost between the two; a repeat after a crash overwrites the same ``_id``. The near-duplicate
index journals each batch's posts as they are enriched, before they are indexed, and is saved whole when the
crawl ends: a crawl killed midway leaves no indexed post out of it (a story's later copies still link to it).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task, threads
from twisted.internet.defer import Deferred

from analysis.enrich import configure_default_enricher
from analysis.entry import deidentify_only, enrich_many, warm_up
from crawler.logs import shown
from crawler.spiders.base import DUPLICATES, SEEN_BEFORE
from crawler.state import SeenEntry, url_fingerprint
from yuqing import paths
from yuqing.contract import BOARD_SOURCE_TYPE, Post
from yuqing.es.client import es_url
from yuqing.es.indices import IndexLayout
from yuqing.es.writer import BulkWriter, post_document

log = logging.getLogger(__name__)

NEW = "yuqing/posts_new"
INDEXED = "yuqing/posts_indexed"
SPOOLED = "yuqing/posts_spooled"
REPLAYED = "yuqing/spool_replayed"
# Articles whose document URL another source collected first (the site's feed and its list pages): not indexed again.
OTHER_SOURCE = "yuqing/collected_by_other_source"
# Message-board messages collected before without a reply, fetched and indexed again to look for it (not new).
REVISITED = "yuqing/awaiting_reply_revisited"
ENRICH_FAILED = "yuqing/enrich_failed"
NOT_STORED = "yuqing/posts_not_stored"
NOT_STORED_WHY = "yuqing/posts_not_stored_why"
ENRICH_DEGRADED = "yuqing/enrich_degraded"


def index_cutter() -> Callable[[str], str]:
    """The analysis tokenizer's cut for index fields, or whitespace normalisation until it exists."""
    try:
        from analysis.tokenizer import cut_for_index
    except ImportError:
        log.info("analysis.tokenizer is not available; indexing text cut on whitespace only")
        return lambda text: " ".join(text.split())
    return cut_for_index



# A government message board's message without a reply yet is fetched again on later crawls (not remembered as
# seen) until its reply appears — the reply's time is what timeliness is judged on — for this many days after
# it was posted (a complaint's 15 working days, with room to spare).
REVISIT_UNANSWERED_DAYS = 45
# Sources whose items are articles: the same story at another URL (a copy, a tracking parameter) is the same item.
# On Weibo, forums and message boards each item is one person's post with its own id: eight people posting the same
# words are eight posts (a copy-paste campaign is what 集中反映 counts), so there only the id decides.
# Their items are also known by their document URL across sources (``crawler.state.document_url``): the page a site's
# list and its feed both link to is one post, collected by whichever source came first. A copy of the story at another
# URL (another outlet) stays a post of its own: it is the story's spread, which analysis links as a near-duplicate.
CONTENT_DEDUP_TYPES = frozenset({"news", "rss", "sitemap"})


# The articles every crawl of this process holds in a batch, not yet marked seen (``yuqing run`` crawls its sources side
# by side in one reactor, so a site's list and its feed meet the same article together): fingerprint → source.
_collecting: dict[str, str] = {}
_collecting_lock = threading.Lock()


def document_fingerprint(post: Post) -> str | None:
    """The fingerprint of an article's document URL (``url_fingerprint``); None for items that are not articles."""
    if post.source_type in CONTENT_DEDUP_TYPES and post.url:
        return url_fingerprint(post.url)
    return None


def awaits_reply(post: Post, now: datetime) -> bool:
    """Whether a collected message-board post has no reply yet and is recent enough to be looked at again."""
    if post.source_type != BOARD_SOURCE_TYPE or post.reply is not None:
        return False
    posted = post.published_at or post.fetched_at
    return now - posted < timedelta(days=REVISIT_UNANSWERED_DAYS)

class PostPipeline:
    """Deduplicate, enrich and index the Posts a spider yields."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.flush_interval_s = crawler.settings.getfloat("YUQING_FLUSH_INTERVAL_S", 2.0)
        self.drain_wait_s = crawler.settings.getfloat("YUQING_SPOOL_DRAIN_WAIT_S", 0.0)
        self._batch: list[Post] = []
        self._warned_degraded = False
        self._pending_ids: set[str] = set()
        self._pending_hashes: set[str] = set()
        self._met_ids: set[str] = set()  # every item (and story) this run met: a repeat is no item of earlier runs
        self._met_hashes: set[str] = set()
        self._revisits: set[str] = set()  # ids in the batch that are messages looked at again for their reply
        self._write_lock = threading.Lock()
        self._ensured = False
        self._timer: task.LoopingCall | None = None
        self._last_tick: Deferred[None] | None = None
        self.cut = index_cutter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    # ------------------------------------------------------------------ lifecycle

    async def open_spider(self) -> None:
        spider = self.crawler.spider
        self.source = spider.spec.name  # type: ignore[union-attr]
        self.state = spider.crawl_state  # type: ignore[union-attr]
        es_settings = spider.config.settings.elasticsearch  # type: ignore[union-attr]
        prefix = self.crawler.settings.get("YUQING_INDEX_PREFIX") or es_settings.index_prefix
        self.layout = IndexLayout(prefix)
        self.es = Elasticsearch(
            es_url(es_settings),
            basic_auth=es_settings.credentials(),
            request_timeout=15,
            max_retries=1,
            retry_on_timeout=False,
        )
        self.writer = BulkWriter(
            self.es,
            self.layout.posts,
            paths.state_dir() / "spool" / prefix,
            chunk_size=es_settings.bulk_chunk_size,
            flush_interval_s=float("inf"),
        )
        self.chunk_size = es_settings.bulk_chunk_size
        self._timer = task.LoopingCall(self._tick)
        self._timer.start(self.flush_interval_s, now=False)
        configure_default_enricher(spider.config.settings.analysis.sentiment_model)  # type: ignore[union-attr]
        # Load the analysis models before the first request (once per process), not when the first batch waits.
        await maybe_deferred_to_future(threads.deferToThread(_warm_up_analysis))

    async def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        if self._last_tick is not None and not self._last_tick.called:
            await maybe_deferred_to_future(self._last_tick)
        await self._flush_in_thread()
        deadline = time.monotonic() + self.drain_wait_s
        while self.writer.spool.segments():
            if await maybe_deferred_to_future(threads.deferToThread(self._replay)):
                continue
            if time.monotonic() >= deadline:
                break
            await maybe_deferred_to_future(task.deferLater(_reactor(), 1.0, lambda: None))
        waiting = self.writer.spool.pending()
        if waiting:
            log.warning(
                "%d documents wait in the spool %s; they are replayed by the next crawl once "
                "Elasticsearch at %s answers",
                waiting,
                self.writer.spool.directory,
                self.es_address(),
            )
        self.stats.set_value("yuqing/spool_pending", waiting)
        self.es.close()
        await maybe_deferred_to_future(threads.deferToThread(_save_analysis_state))

    def es_address(self) -> str:
        return ", ".join(str(node) for node in self.es.transport.node_pool.all())

    # ------------------------------------------------------------------ items

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, Post):
            return item
        met = item.id in self._met_ids or bool(item.content_hash and item.content_hash in self._met_hashes)
        self._met_ids.add(item.id)
        if item.content_hash:
            self._met_hashes.add(item.content_hash)
        seen = self._seen(item)
        if seen:
            self.stats.inc_value(DUPLICATES if met else SEEN_BEFORE)
            if seen == "content":
                # The same story at another URL (a copy, a tracking parameter): remember this URL too, or
                # every later crawl fetches it again only to drop it again.
                self.state.mark_seen(self.source, [SeenEntry(item.id, None, item.id, item.published_at)])
            raise DropItem(f"already collected: {item.url or item.id}", log_level="DEBUG")
        url_fp = document_fingerprint(item)
        other = self._collected_elsewhere(url_fp) if url_fp else None
        if other:
            self.stats.inc_value(OTHER_SOURCE)
            # Seen here too, so later crawls of this source do not fetch it again; the post stays the other source's.
            self.state.mark_seen(self.source, [SeenEntry(item.id, item.content_hash, item.id, item.published_at)])
            raise DropItem(f"collected by the source {other} already: {item.url}", log_level="DEBUG")
        self._batch.append(item)
        self._pending_ids.add(item.id)
        if item.content_hash:
            self._pending_hashes.add(item.content_hash)
        if item.source_type == BOARD_SOURCE_TYPE and self.state.is_awaiting(self.source, item.id):
            self.stats.inc_value(REVISITED)
            self._revisits.add(item.id)
        else:
            self.stats.inc_value(NEW)
        if len(self._batch) >= self.chunk_size:
            await self._flush_in_thread()
        return item

    def _collected_elsewhere(self, url_fp: str) -> str | None:
        """The other source that collected this article (or holds it in a batch), if any; else it is this one's now."""
        with _collecting_lock:
            holder = _collecting.get(url_fp, self.source)
            if holder != self.source:
                return holder
            other = self.state.collected_by(url_fp, other_than=self.source)
            if other is None:
                _collecting[url_fp] = self.source
            return other

    def _release(self, post: Post) -> None:
        """The post is marked seen (or given up): the state answers for it from now on."""
        url_fp = document_fingerprint(post)
        if url_fp:
            with _collecting_lock:
                if _collecting.get(url_fp) == self.source:
                    del _collecting[url_fp]

    def _seen(self, post: Post) -> str | None:
        """"key" when this very item was collected (or is pending), "content" when only its story was, else None.
        Only an article's story counts (``CONTENT_DEDUP_TYPES``)."""
        if post.id in self._pending_ids or self.state.is_seen(self.source, post.id):
            return "key"
        if post.source_type not in CONTENT_DEDUP_TYPES or not post.content_hash:
            return None
        if post.content_hash in self._pending_hashes or self.state.is_seen(self.source, None, post.content_hash):
            return "content"
        return None

    def _enrich(self, posts: list[Post]) -> list[Post]:
        """Enriched posts; de-identified only when analysis fails; posts neither can handle are kept aside."""
        if not posts:
            return []
        try:
            return enrich_many(posts)
        except Exception as exc:  # analysis must not stop collection: degrade to de-identification
            self.stats.inc_value(ENRICH_DEGRADED, len(posts))
            if not self._warned_degraded:
                self._warned_degraded = True
                log.warning(
                    "analysis could not enrich posts (%s: %s); indexing them de-identified only, without "
                    "analyzed_at, so analysis can enrich them later",
                    type(exc).__name__,
                    exc,
                )
        out = []
        for post in posts:
            try:
                out.append(deidentify_only(post))
            except Exception as exc:  # the post is not safe to index; keep it for the next crawl
                self.stats.inc_value(ENRICH_FAILED)
                self._keep_aside(post, exc)
        return out

    def _keep_aside(self, post: Post, exc: Exception) -> None:
        """Not indexed (it is not de-identified) and not marked seen, so the next crawl fetches it again. The
        record names the post (source, id, URL masked, times) and the error, never its text, author or reply: those
        were not de-identified, and personal data is not written anywhere raw."""
        path = paths.state_dir() / "crawler" / "enrich-failed.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        named = post.model_dump(mode="json", include={"id", "source", "source_type", "url", "fetched_at",
                                                      "published_at"})
        if post.url:
            named["url"] = shown(post.url)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(
                json.dumps({"at": datetime.now(UTC).isoformat(), "error": repr(exc), "post": named},
                           ensure_ascii=False)
                + "\n"
            )
        log.error(
            "could not de-identify %s (%r); the post is kept in %s and collected again next crawl",
            named.get("url") or post.id,
            exc,
            path,
        )

    # ------------------------------------------------------------------ writing

    def _tick(self) -> Any:
        if self._batch or self.writer.spool.segments():
            self._last_tick = threads.deferToThread(self._write, self._take())
            return self._last_tick
        return None

    def _take(self) -> list[Post]:
        batch, self._batch = self._batch, []
        return batch

    async def _flush_in_thread(self) -> None:
        await maybe_deferred_to_future(threads.deferToThread(self._write, self._take()))

    def _ensure_layout(self) -> bool:
        """Templates and aliases must exist before the first write, or Elasticsearch would invent an index."""
        if self._ensured:
            return True
        try:
            self.layout.ensure(self.es)
        except (TransportConnectionError, ConnectionTimeout, OSError) as exc:
            log.warning("Elasticsearch unreachable (%s); writing to the spool", exc)
            return False
        except ApiError as exc:
            if getattr(exc, "status_code", 0) in (429, 502, 503, 504):
                return False
            raise
        self._ensured = True
        return True

    def _replay(self) -> int:
        with self._write_lock:
            if not self._ensure_layout():
                return 0
            sent = self.writer.replay_spool()
        if sent:
            self.stats.inc_value(REPLAYED, sent)
        return sent

    def _write(self, batch: list[Post]) -> None:
        """Enrich and index a batch (or spool it), then remember its items as seen. Runs in a worker thread.
        A batch that can be neither indexed nor spooled (the spool's disk full) is not marked seen, so the next
        crawl fetches it again; the crawl says so and fails."""
        try:
            self._store(batch)
        except OSError as exc:
            for post in batch:
                self._pending_ids.discard(post.id)
                self._pending_hashes.discard(post.content_hash or "")
                self._release(post)
            self.stats.inc_value(NOT_STORED, len(batch))
            self.stats.set_value(NOT_STORED_WHY, str(exc))
            log.error("%d posts were neither indexed nor spooled: %s; they are not marked as seen, so the next crawl "
                      "fetches them again while the source lists them", len(batch), exc)

    def _store(self, batch: list[Post]) -> None:
        with self._write_lock:
            enriched = self._enrich(batch)
            docs = [post_document(post, self.cut) for post in enriched]
            indexed_before, spooled_before = self.writer.indexed, self.writer.spooled
            rejected_before = self.writer.rejected
            if self._ensure_layout():
                self.writer.add_many(docs)
                self.writer.flush()
            elif docs:
                self.writer.spool.put(docs)
                self.writer.spooled += len(docs)
            spooled = self.writer.spooled - spooled_before
            indexed = self.writer.indexed - indexed_before
            rejected = self.writer.rejected - rejected_before
            revisited = 0
            if enriched:
                done = {e.id for e in enriched}
                now = datetime.now(UTC)
                self.state.mark_seen(
                    self.source,
                    [
                        SeenEntry(p.id, p.content_hash, p.id, p.published_at, document_fingerprint(p))
                        for p in batch
                        if p.id in done and not awaits_reply(p, now)
                    ],
                )
                self.state.mark_awaiting(self.source, [p.id for p in batch if p.id in done and awaits_reply(p, now)])
                revisited = sum(1 for p in batch if p.id in done and p.id in self._revisits)
            for post in batch:
                self._pending_ids.discard(post.id)
                self._pending_hashes.discard(post.content_hash or "")
                self._revisits.discard(post.id)
                self._release(post)
        replayed = max(indexed - (len(docs) - spooled - rejected), 0)
        # (a message looked at again for its reply is indexed again, over itself: it is no new post)
        self.stats.inc_value(INDEXED, max(indexed - replayed - revisited, 0))
        self.stats.inc_value(SPOOLED, spooled)
        if replayed:
            self.stats.inc_value(REPLAYED, replayed)


def _warm_up_analysis() -> None:
    """Load the analysis models (an empty batch loads them and changes nothing) and the tokenizer's dictionary."""
    try:
        warm_up()
    except Exception as exc:  # reported again, with its consequence, when the first batch is enriched
        log.info("analysis models did not load ahead of the crawl: %s", exc)


def _save_analysis_state() -> None:
    """The near-duplicate index analysis keeps across crawls, saved whole (its journal emptied)."""
    from analysis.entry import save_state

    try:
        save_state()
    except OSError as exc:
        log.error("could not save the analysis state: %s", exc)


def _reactor() -> Any:
    from twisted.internet import reactor

    return reactor
