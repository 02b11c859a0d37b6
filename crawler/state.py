"""Per-source crawl state that survives restarts: what was seen, how each run went, health events.

One SQLite file under ``<state>/crawler/state.db`` (WAL mode, so several crawler processes on one
machine share it). An item is known by the fingerprint of its URL (or native id) and by the hash of
its content; either one seen before means the item is not emitted again. An article is also known by its
document URL's fingerprint (``url_fp``) across sources: the same page collected through a site's list
pages and through its feed is one post. Items are marked seen only after they reached Elasticsearch or the
durable spool, so a crash can repeat an item (same ``_id``, overwritten) but never lose one.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from yuqing import paths
from yuqing.keyed import keyed_digest

# How long a writer waits for another process's lock before it fails.
BUSY_SECONDS = 30

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    source TEXT NOT NULL,
    key_fp TEXT NOT NULL,
    content_hash TEXT,
    post_id TEXT,
    first_seen TEXT NOT NULL,
    published_at TEXT,
    url_fp TEXT,
    PRIMARY KEY (source, key_fp)
);
CREATE INDEX IF NOT EXISTS seen_by_hash ON seen (source, content_hash);
-- Message-board messages collected without a reply: fetched again until it appears (not in seen), and known here
-- so that a later crawl counts them as looked at again, not as new.
CREATE TABLE IF NOT EXISTS awaiting_reply (
    source TEXT NOT NULL,
    key_fp TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    PRIMARY KEY (source, key_fp)
);
CREATE TABLE IF NOT EXISTS source_state (
    source TEXT PRIMARY KEY,
    first_run_at TEXT,
    last_run_started TEXT,
    last_run_finished TEXT,
    last_finish_reason TEXT,
    last_ok_at TEXT,
    last_yield_at TEXT,
    last_item_at TEXT,
    last_new_item_at TEXT,
    runs INTEGER NOT NULL DEFAULT 0,
    items_total INTEGER NOT NULL DEFAULT 0,
    items_last_run INTEGER NOT NULL DEFAULT 0,
    parsed_last_run INTEGER NOT NULL DEFAULT 0,
    errors_total INTEGER NOT NULL DEFAULT 0,
    errors_last_run INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE TABLE IF NOT EXISTS health_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL,
    resolved_at TEXT
);
CREATE INDEX IF NOT EXISTS health_open ON health_events (source, resolved_at);
"""

# A state file from before ``url_fp`` has the column added (the index on it is made once the column exists).
# The articles it remembers have no fingerprint: one collected by one source before the upgrade and listed by
# another only after it is indexed once more, under the other source.
SEEN_URL_INDEX = "CREATE INDEX IF NOT EXISTS seen_by_url ON seen (url_fp)"

_SPACES = re.compile(r"\s+")
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def default_path() -> Path:
    return paths.state_dir() / "crawler" / "state.db"


def content_hash(title: str | None, text: str | None) -> str:
    """A hash of what the item says, blind to whitespace: the same story at another URL is the same item. Keyed
    (yuqing.keyed): it is indexed beside the masked text, which a plain hash of the raw text would give back."""
    normalized = _SPACES.sub("", f"{title or ''}\x1f{text or ''}")
    return keyed_digest(normalized, "sha1")


def document_url(url: str) -> str:
    """The canonical form of an article's URL, by which two sources collecting the same page are told: the scheme
    and the host lower-cased, the scheme's default port and the fragment dropped. Nothing else — not the query's
    order, a trailing slash or ``www.``: those may name another document, and guessing would merge two."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    userinfo, at, hostport = parts.netloc.rpartition("@")
    hostport = hostport.lower()
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port and hostport.endswith(default_port):
        hostport = hostport.removesuffix(default_port)
    return urlunsplit((scheme, f"{userinfo}{at}{hostport}", parts.path, parts.query, ""))


def url_fingerprint(url: str) -> str:
    """The fingerprint of an article's document URL kept in the state. Keyed (yuqing.keyed), every one: a URL may
    hold personal data (?tel=139…), and a plain digest gives it back to whoever hashes the candidates. (A change of
    the pseudonym key makes the earlier fingerprints unmatched: a page collected before it by one source and after it
    by another is indexed under both.)"""
    return keyed_digest(document_url(url), "sha1")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _shown_at(value: datetime | None, now: datetime) -> str:
    """A time in a health event's text, in the zone of the run's clock (the configured one): it read UTC beside the
    local times `crawl --health` shows."""
    return f"{value.astimezone(now.tzinfo):%Y-%m-%d %H:%M}" if value else "never"


@dataclass(frozen=True)
class SeenEntry:
    key_fp: str
    content_hash: str | None
    post_id: str | None = None
    published_at: datetime | None = None
    url_fp: str | None = None  # an article's document URL (``url_fingerprint``), looked up across sources


@dataclass(frozen=True)
class RunResult:
    """What one run of one source did (from the crawl's stats)."""

    started_at: datetime
    finished_at: datetime
    finish_reason: str
    parsed: int  # items found on the pages, new or not
    new_items: int  # items emitted (indexed or spooled)
    errors: int
    fetched_ok: int  # responses with status < 400
    last_error: str | None = None
    newest_item_at: datetime | None = None


@dataclass(frozen=True)
class SourceState:
    source: str
    first_run_at: datetime | None
    last_run_started: datetime | None
    last_run_finished: datetime | None
    last_finish_reason: str | None
    last_ok_at: datetime | None
    last_yield_at: datetime | None
    last_item_at: datetime | None
    last_new_item_at: datetime | None
    runs: int
    items_total: int
    items_last_run: int
    parsed_last_run: int
    errors_total: int
    errors_last_run: int
    last_error: str | None


@dataclass(frozen=True)
class HealthEvent:
    id: int
    source: str
    kind: str  # "failing" (fetches fail) or "silent" (nothing found on the pages)
    detail: str
    at: datetime
    resolved_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "kind": self.kind,
            "detail": self.detail,
            "at": self.at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
        }


class CrawlStateUnusable(paths.StateDirUnusable):
    """The crawler's state file cannot be used; the message names it and how to go on."""

    def __init__(self, path: Path, exc: Exception):
        super().__init__(f"the crawler's state file {path} cannot be used ({exc}); move it aside (mv {path} "
                         f"{path}.broken) and crawl again: a new one is started (pages seen before are fetched "
                         "again once; the index keeps each post once)")


class CrawlState:
    """The crawler's durable memory. Safe to use from several threads and processes."""

    def __init__(self, path: Path | None = None):
        self.path = path or default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Two crawl processes starting together: switching a new file to WAL and creating the tables can fail at
        # once with "database is locked" (SQLite does not wait on the busy timeout for every lock it takes there;
        # CI saw it once in a few hundred runs). Tried again for as long as the busy timeout would have waited.
        give_up = time.monotonic() + BUSY_SECONDS
        pause = 0.05
        while True:
            try:
                self._connection().executescript(SCHEMA)
                self._migrate()
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > give_up:
                    raise CrawlStateUnusable(self.path, exc) from exc
                self.close()
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
            except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
                self.close()
                raise CrawlStateUnusable(self.path, exc) from exc

    def _migrate(self) -> None:
        """Bring a state file of an earlier version to this one (in one transaction: two processes starting on an
        old file add the column once)."""
        with self._connect() as db:
            columns = {row[1] for row in db.execute("PRAGMA table_info(seen)")}
            if "url_fp" not in columns:
                db.execute("ALTER TABLE seen ADD COLUMN url_fp TEXT")
            db.execute(SEEN_URL_INDEX)

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
            self._local.conn = conn
        return conn

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One transaction (BEGIN IMMEDIATE, so concurrent writers queue instead of failing)."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # ------------------------------------------------------------------ seen items

    def is_seen(self, source: str, key_fp: str | None = None, content_hash: str | None = None) -> bool:
        conn = self._connection()
        if (
            key_fp
            and conn.execute("SELECT 1 FROM seen WHERE source=? AND key_fp=?", (source, key_fp)).fetchone()
        ):
            return True
        return bool(
            content_hash
            and conn.execute(
                "SELECT 1 FROM seen WHERE source=? AND content_hash=? LIMIT 1", (source, content_hash)
            ).fetchone()
        )

    def collected_by(self, url_fp: str, other_than: str) -> str | None:
        """The source, other than ``other_than``, that collected the article with this document URL first, if any."""
        row = self._connection().execute(
            "SELECT source FROM seen WHERE url_fp=? AND source<>? ORDER BY first_seen LIMIT 1", (url_fp, other_than)
        ).fetchone()
        return str(row[0]) if row else None

    def is_awaiting(self, source: str, key_fp: str) -> bool:
        """Whether this message was collected before, still without its reply."""
        return bool(self._connection().execute("SELECT 1 FROM awaiting_reply WHERE source=? AND key_fp=?",
                                                (source, key_fp)).fetchone())

    def mark_awaiting(self, source: str, key_fps: Iterable[str], now: datetime | None = None) -> None:
        rows = [(source, key, _iso(now or datetime.now(UTC))) for key in key_fps]
        if rows:
            with self._connect() as db:
                db.executemany("INSERT OR IGNORE INTO awaiting_reply (source, key_fp, first_seen) VALUES (?, ?, ?)",
                               rows)

    def mark_seen(self, source: str, entries: Iterable[SeenEntry], now: datetime | None = None) -> int:
        rows = [
            (
                source,
                e.key_fp,
                e.content_hash,
                e.post_id,
                _iso(now or datetime.now(UTC)),
                _iso(e.published_at),
                e.url_fp,
            )
            for e in entries
        ]
        if not rows:
            return 0
        with self._connect() as db:
            db.executemany(
                "INSERT OR IGNORE INTO seen (source, key_fp, content_hash, post_id, first_seen, "
                "published_at, url_fp) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            # a message whose reply has come is seen for good
            db.executemany("DELETE FROM awaiting_reply WHERE source=? AND key_fp=?", [(r[0], r[1]) for r in rows])
        return len(rows)

    # ------------------------------------------------------------------ runs

    def start_run(self, source: str, now: datetime) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO source_state (source, first_run_at) VALUES (?, ?)", (source, _iso(now))
            )
            db.execute("UPDATE source_state SET last_run_started=? WHERE source=?", (_iso(now), source))

    def finish_run(self, source: str, result: RunResult, interval_minutes: float) -> list[HealthEvent]:
        """Record a run; open a health event when the source has failed or found nothing for longer than
        its interval, and resolve open events once it works again. Return the events opened now."""
        before = self.source_state(source)
        ok = result.fetched_ok > 0 and not (result.errors and result.parsed == 0)
        yielded = result.parsed > 0
        now = result.finished_at
        with self._connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO source_state (source, first_run_at) VALUES (?, ?)",
                (source, _iso(result.started_at)),
            )
            db.execute(
                """UPDATE source_state SET last_run_finished=?, last_finish_reason=?, runs=runs+1,
                   items_total=items_total+?, items_last_run=?, parsed_last_run=?, errors_total=errors_total+?,
                   errors_last_run=?, last_error=COALESCE(?, last_error),
                   last_ok_at=CASE WHEN ? THEN ? ELSE last_ok_at END,
                   last_yield_at=CASE WHEN ? THEN ? ELSE last_yield_at END,
                   last_new_item_at=CASE WHEN ? > 0 THEN ? ELSE last_new_item_at END,
                   last_item_at=CASE WHEN ? IS NOT NULL AND (last_item_at IS NULL OR ? > last_item_at)
                                     THEN ? ELSE last_item_at END
                   WHERE source=?""",
                (
                    _iso(now),
                    result.finish_reason,
                    result.new_items,
                    result.new_items,
                    result.parsed,
                    result.errors,
                    result.errors,
                    result.last_error,
                    ok,
                    _iso(now),
                    yielded,
                    _iso(now),
                    result.new_items,
                    _iso(now),
                    _iso(result.newest_item_at),
                    _iso(result.newest_item_at),
                    _iso(result.newest_item_at),
                    source,
                ),
            )
        return self._evaluate(source, result, before, interval_minutes, ok, yielded)

    def _evaluate(
        self,
        source: str,
        result: RunResult,
        before: SourceState | None,
        interval_minutes: float,
        ok: bool,
        yielded: bool,
    ) -> list[HealthEvent]:
        from crawler.health import overdue_since

        opened: list[HealthEvent] = []
        now = result.finished_at
        if ok:
            self.resolve(source, "failing", now)
        else:
            since = before.last_ok_at if before else None
            if overdue_since(since, now, interval_minutes):
                detail = (
                    f"{result.errors} error(s), {result.fetched_ok} page(s) fetched; last error: "
                    f"{result.last_error or 'none recorded'}; last success: "
                    f"{_shown_at(since, now)}"
                )
                opened += self._open_event(source, "failing", detail, now)
        if yielded:
            self.resolve(source, "silent", now)
        elif ok:
            since = before.last_yield_at if before else None
            if overdue_since(since, now, interval_minutes):
                detail = (
                    f"the pages were fetched but no item was found on them; last item found: "
                    f"{_shown_at(since, now)} (a changed page layout or selector?)"
                )
                opened += self._open_event(source, "silent", detail, now)
        return opened

    def _open_event(self, source: str, kind: str, detail: str, now: datetime) -> list[HealthEvent]:
        """Open an event unless one of the same kind is still open (then it just stays open)."""
        with self._connect() as db:
            if db.execute(
                "SELECT 1 FROM health_events WHERE source=? AND kind=? AND resolved_at IS NULL",
                (source, kind),
            ).fetchone():
                return []
            cur = db.execute(
                "INSERT INTO health_events (source, kind, detail, at) VALUES (?, ?, ?, ?)",
                (source, kind, detail, _iso(now)),
            )
            event_id = cur.lastrowid or 0
        return [HealthEvent(event_id, source, kind, detail, now, None)]

    def resolve(self, source: str, kind: str, now: datetime) -> int:
        with self._connect() as db:
            return db.execute(
                "UPDATE health_events SET resolved_at=? WHERE source=? AND kind=? AND resolved_at IS NULL",
                (_iso(now), source, kind),
            ).rowcount

    def source_state(self, source: str) -> SourceState | None:
        conn = self._connection()
        conn.row_factory = sqlite3.Row
        try:
            row = conn.execute("SELECT * FROM source_state WHERE source=?", (source,)).fetchone()
        finally:
            conn.row_factory = None
        if row is None:
            return None
        values = dict(row)
        for key in (
            "first_run_at",
            "last_run_started",
            "last_run_finished",
            "last_ok_at",
            "last_yield_at",
            "last_item_at",
            "last_new_item_at",
        ):
            values[key] = _dt(values[key])
        return SourceState(**values)

    def sources(self) -> list[str]:
        return [r[0] for r in self._connection().execute("SELECT source FROM source_state ORDER BY source")]

    def events(self, source: str | None = None, open_only: bool = False) -> list[HealthEvent]:
        sql = "SELECT id, source, kind, detail, at, resolved_at FROM health_events WHERE 1=1"
        args: list[Any] = []
        if source is not None:
            sql += " AND source=?"
            args.append(source)
        if open_only:
            sql += " AND resolved_at IS NULL"
        rows = self._connection().execute(sql + " ORDER BY id", args).fetchall()
        return [HealthEvent(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]), _dt(r[5])) for r in rows]
