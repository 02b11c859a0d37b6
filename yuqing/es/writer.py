"""Buffered bulk writes to Elasticsearch that lose nothing.

Documents are buffered and sent with the official client's ``streaming_bulk``; each document's result
is checked. A document Elasticsearch rejects for its content (a mapping error) goes to a dead-letter
file with the reason. When Elasticsearch is unreachable the whole batch goes to the durable spool and
is replayed, oldest first, once it answers again. Documents carry their own ``_id`` so a replay
overwrites instead of duplicating.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch, helpers

from yuqing.contract import Event, Post
from yuqing.es.indices import IndexKind
from yuqing.es.spool import Document, Spool

log = logging.getLogger(__name__)

Cutter = Callable[[str], str]


def post_document(post: Post, cut: Cutter) -> Document:
    """The indexed form of a post: the contract plus jieba-cut text fields and a single timestamp."""
    doc = post.to_document()
    doc["ts"] = post.timestamp().isoformat()
    doc["title_cut"] = cut(post.title or "")
    doc["text_cut"] = cut(post.text or "")
    doc["_id"] = post.id
    return doc


def event_document(event: Event, cut: Cutter) -> Document:
    doc = event.to_document()
    doc["title_cut"] = cut(event.title)
    doc["_id"] = event.id
    return doc


class BulkWriter:
    """Buffer documents for one index alias; flush in bulk; spool what cannot be written now."""

    def __init__(self, es: Elasticsearch, kind: IndexKind, spool_dir: Path, chunk_size: int = 500,
                 flush_interval_s: float = 2.0, refresh: bool = False):
        self.es = es
        self.kind = kind
        self.spool = Spool(spool_dir / kind.kind)
        self.dead_letter = spool_dir / f"{kind.kind}-rejected.jsonl"
        self.chunk_size = chunk_size
        self.flush_interval_s = flush_interval_s
        self.refresh = refresh
        self._buffer: list[Document] = []
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()
        self.indexed = 0
        self.spooled = 0
        self.rejected = 0

    def add(self, doc: Document) -> None:
        with self._lock:
            self._buffer.append(doc)
            due = len(self._buffer) >= self.chunk_size or time.monotonic() - self._last_flush >= self.flush_interval_s
        if due:
            self.flush()

    def add_many(self, docs: Iterable[Document]) -> None:
        for doc in docs:
            self.add(doc)

    def flush(self) -> int:
        """Send the buffer (after replaying any spool). Return documents indexed now."""
        with self._lock:
            batch, self._buffer = self._buffer, []
            self._last_flush = time.monotonic()
        if self.spool.segments():
            self.replay_spool()
        if not batch:
            return 0
        if self.spool.segments():
            # Keep order: while older documents still wait, newer ones wait behind them.
            self.spool.put(batch)
            self.spooled += len(batch)
            return 0
        if self._send(batch):
            return len(batch)
        self.spool.put(batch)
        self.spooled += len(batch)
        log.warning("Elasticsearch unreachable: %d documents spooled to %s", len(batch), self.spool.directory)
        return 0

    def replay_spool(self) -> int:
        """Send spooled documents if Elasticsearch answers again."""
        sent = self.spool.drain(self._send)
        if sent:
            log.info("replayed %d spooled documents into %s", sent, self.kind.alias)
        return sent

    def _actions(self, batch: list[Document]) -> Iterable[dict[str, Any]]:
        for doc in batch:
            body = {k: v for k, v in doc.items() if k != "_id"}
            yield {"_op_type": "index", "_index": self.kind.alias, "_id": doc["_id"], "_source": body}

    def _send(self, batch: list[Document]) -> bool:
        """True when every document was accepted or dead-lettered; False when the cluster is unreachable."""
        rejected: list[tuple[Document, Any]] = []
        try:
            for i, (ok, item) in enumerate(helpers.streaming_bulk(
                    self.es, self._actions(batch), chunk_size=self.chunk_size, raise_on_error=False,
                    raise_on_exception=True, max_retries=5, initial_backoff=1, max_backoff=30,
                    refresh="wait_for" if self.refresh else False)):
                if ok:
                    self.indexed += 1
                    continue
                result = next(iter(item.values()))
                status = result.get("status", 0)
                if status == 429 or status >= 500:
                    raise _Retryable(f"bulk item status {status}")
                rejected.append((batch[i], result.get("error")))
        except (TransportConnectionError, ConnectionTimeout, _Retryable, OSError) as exc:
            log.warning("bulk write to %s failed: %s", self.kind.alias, exc)
            return False
        except ApiError as exc:
            if getattr(exc, "status_code", 0) in (429, 502, 503, 504):
                log.warning("bulk write to %s refused (%s)", self.kind.alias, exc)
                return False
            raise
        if rejected:
            self._dead_letter(rejected)
        return True

    def _dead_letter(self, rejected: list[tuple[Document, Any]]) -> None:
        self.dead_letter.parent.mkdir(parents=True, exist_ok=True)
        with open(self.dead_letter, "a", encoding="utf-8") as handle:
            for doc, error in rejected:
                handle.write(json.dumps({"rejected_at": datetime.now(UTC).isoformat(), "error": error,
                                         "document": doc}, ensure_ascii=False, default=str) + "\n")
        self.rejected += len(rejected)
        log.error("%d documents rejected by %s; kept with the reason in %s", len(rejected), self.kind.alias,
                  self.dead_letter)

    def close(self) -> None:
        self.flush()


class _Retryable(Exception):
    """A bulk item the cluster could not take now (429/5xx): spool the batch and try later."""
