"""Near-duplicate posts: reposts and copied news count as the spread of one story, not as new stories.

MinHash over character 3-grams of normalised text, banded LSH for candidates, confirmed by the
estimated Jaccard similarity. Character shingles need no word segmentation.

datasketch supplies the scheme: its affine permutations (``MinHash.permutations``, a·h + b mod 2³²)
and its optimal band/row split for the threshold (``MinHashLSH(...).b``/``.r``, weighted towards
recall). The per-post work runs as a handful of numpy operations rather than through datasketch's
objects, which cost too much for the enrichment budget: with the same shingles, ``MinHash.update_batch``
+ ``MinHashLSH.query``/``insert`` took about 43 µs on a 53-character Weibo post and 130 µs on a
376-character message (jieba.lcut: 120 µs and 1,100 µs); this path about half and 40 % of that.
datasketch's MurmurHash3 pre-mix is left out because the shingle hash already mixes, and on a short
post every numpy call counts. Where the C extension analysis._native is built, it computes the same
signature in one pass (a third of the time again); numpy is the fallback (``YUQING_NATIVE=0``).

State is a sliding window (7 days by default, and at most ``max_entries`` posts) saved to a ``.npz``
of plain arrays (no pickle), so a restart keeps it and a library upgrade cannot make it unreadable. Between
two saves, the posts added are appended to a journal beside it (``near_duplicates.npz.journal``, one JSON line
a post): a save writes the whole window, too costly after every batch, an append writes only the batch, so a
crawl killed in the middle loses none of the posts it had journaled; ``open`` replays the journal and ``save``
empties it.
"""

from __future__ import annotations

import base64
import fcntl
import heapq
import json
import logging
import os
import re
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from analysis.hashing import native

log = logging.getLogger(__name__)

# Weibo repost markers (//@name:), @mentions, URLs and [表情] codes are not the story's wording.
_NOISE = re.compile(
    r"//\s*@[^:：\s]{1,30}\s*[:：]?"
    r"|(?:https?|ftp)://\S+|www\.\S+|\bt\.cn/\S+"
    r"|@[^\s:：,，。!！?？@/]{1,30}"
    r"|\[[^\[\]\s]{1,8}\]"
)
_NOISE_HINTS = ("/", "@", "[", "www")
_SCHEMA = 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_SHIFT_32 = np.uint64(32)
_SHIFT_16 = np.uint64(16)


@cache
def _word_map() -> np.ndarray:
    """Code point → its lower-case form if it is a letter or digit of the Basic Multilingual Plane,
    else 0 (dropped): punctuation, spaces, emoji. One table lookup per character in numpy."""
    table = np.zeros(0x10000, dtype=np.uint16)
    for cp in range(0x10000):
        ch = chr(cp)
        if ch.isalnum():
            low = ch.lower()
            table[cp] = ord(low) if len(low) == 1 and ord(low) < 0x10000 else cp
    return table


def _without_noise(text: str) -> str:
    return _NOISE.sub(" ", text) if any(hint in text for hint in _NOISE_HINTS) else text


def _codes(text: str) -> np.ndarray:
    """The code points that carry the story's wording (noise removed, see ``_word_map``)."""
    codes = _word_map()[np.minimum(np.frombuffer(_without_noise(text).encode("utf-32-le"), dtype=np.uint32), 0xFFFF)]
    return codes[codes != 0]


def normalise(text: str) -> str:
    """Text reduced to what distinguishes one story from another (what the shingles are made of)."""
    return _codes(text).astype(np.uint32).tobytes().decode("utf-32-le")


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes of the character 3-grams of normalised ``text``; the same in every process.

    The three 16-bit code points are packed into one 48-bit integer and mixed by a multiplicative
    hash: vectorised, and free of Python's per-process string hash seed.
    """
    codes = _codes(text).astype(np.uint64)
    if len(codes) < 3:
        return np.empty(0, dtype=np.uint32)
    packed = (codes[:-2] << _SHIFT_32) | (codes[1:-1] << _SHIFT_16) | codes[2:]
    return ((packed * _GOLDEN) >> _SHIFT_32).astype(np.uint32)


def _epoch(ts: datetime | float) -> float:
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            raise ValueError(f"timestamp {ts!r} has no timezone; every time in yuqing is timezone-aware")
        return ts.timestamp()
    return float(ts)


@dataclass(slots=True)
class _Entry:
    timestamp: float
    signature: np.ndarray
    bands: list[bytes]
    dup_of: str | None


class NearDuplicateIndex:
    """Finds, for each new post, the first post of the story it repeats (``dup_of``), within a window.

    ``threshold`` is the Jaccard similarity of the 3-gram sets above which two texts are one story.
    Texts shorter than ``min_chars`` after normalisation never match (too little to tell).
    Memory is about 1 kB a post, bounded by ``window`` and ``max_entries``.
    """

    def __init__(
        self,
        threshold: float = 0.7,
        num_perm: int = 64,
        window: timedelta = timedelta(days=7),
        min_chars: int = 10,
        max_entries: int = 300_000,
        seed: int = 1,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.threshold = threshold
        self.num_perm = num_perm
        self.window = window
        self.min_chars = min_chars
        self.max_entries = max_entries
        self.seed = seed
        self._a, self._b = MinHash(num_perm=num_perm, seed=seed).permutations.astype(np.uint32)
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=(0.1, 0.9))
        self._rows, self._nbands = lsh.r, lsh.b
        # A band's key is its raw bytes. One dict serves as every band's table: the same bytes in two
        # band positions only add a candidate, which the similarity check then weighs.
        self._band_bytes = 4 * self._rows
        # Band key → the post id, or a list of ids when several posts share the band (rare).
        self._buckets: dict[bytes, str | list[str]] = {}
        self._entries: dict[str, _Entry] = {}
        self._expiry: list[tuple[float, str]] = []
        self._newest = float("-inf")
        # Posts added since the last save or journal append: what the next append writes.
        self._unjournaled: list[str] = []

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, post_id: str) -> bool:
        return post_id in self._entries

    def signature(self, text: str) -> np.ndarray | None:
        """The MinHash values of ``text``, or None if it is too short to compare.

        The C extension analysis._native, when built, computes the same values in one pass (the numpy calls
        below cost a post about 25 µs)."""
        min_shingles = max(1, self.min_chars - 2)
        ext = native()
        if ext is not None:
            values = ext.minhash(_without_noise(text), _word_map(), self._a, self._b, min_shingles)
            return None if values is None else np.frombuffer(values, dtype=np.uint32)
        hashes = shingle_hashes(text)
        if len(hashes) < min_shingles:
            return None
        return (np.multiply.outer(hashes, self._a) + self._b).min(axis=0)

    def _band_keys(self, signature: np.ndarray) -> list[bytes]:
        raw = signature.astype(np.uint32, copy=False).tobytes()
        step = self._band_bytes
        return [raw[i : i + step] for i in range(0, step * self._nbands, step)]

    def query(self, text: str) -> str | None:
        """The id of the first post of the story ``text`` repeats, without adding it; None if new."""
        signature = self.signature(text)
        return None if signature is None else self._match(signature, self._band_keys(signature))

    def _match(self, signature: np.ndarray, bands: list[bytes]) -> str | None:
        """The most similar indexed post at or above the threshold (ties: the earlier), as its root."""
        candidates: set[str] = set()
        for key in bands:
            ids = self._buckets.get(key)
            if ids is None:
                continue
            if isinstance(ids, str):
                candidates.add(ids)
            else:
                candidates.update(ids)
        best: tuple[float, float] | None = None
        best_id: str | None = None
        for post_id in candidates:
            entry = self._entries[post_id]
            similarity = float(np.count_nonzero(entry.signature == signature)) / self.num_perm
            rank = (similarity, -entry.timestamp)
            if similarity >= self.threshold and (best is None or rank > best):
                best, best_id = rank, post_id
        if best_id is None:
            return None
        return self._entries[best_id].dup_of or best_id

    def add(self, post_id: str, text: str, timestamp: datetime | float) -> str | None:
        """Index a post; return the id of the story's first post if it repeats one, else None.

        Idempotent per ``post_id``: adding the same post again returns the first answer. A copy of a
        copy points at the first post of the chain, so one story has one root.
        """
        if post_id in self._entries:
            return self._entries[post_id].dup_of
        ts = _epoch(timestamp)
        self._newest = max(self._newest, ts)
        self._evict()
        signature = self.signature(text)
        if signature is None:
            return None
        bands = self._band_keys(signature)
        dup_of = self._match(signature, bands)
        self._insert(post_id, _Entry(ts, signature, bands, dup_of))
        self._unjournaled.append(post_id)
        return dup_of

    def _insert(self, post_id: str, entry: _Entry) -> None:
        self._entries[post_id] = entry
        buckets = self._buckets
        for key in entry.bands:
            ids = buckets.get(key)
            if ids is None:
                buckets[key] = post_id
            elif isinstance(ids, str):
                buckets[key] = [ids, post_id]
            else:
                ids.append(post_id)
        heapq.heappush(self._expiry, (entry.timestamp, post_id))

    def _evict(self) -> None:
        """Forget posts older than the window (from the newest timestamp seen) or beyond the cap."""
        horizon = self._newest - self.window.total_seconds()
        while self._expiry and (self._expiry[0][0] < horizon or len(self._entries) >= self.max_entries):
            _, key = heapq.heappop(self._expiry)
            entry = self._entries.pop(key, None)
            if entry is None:
                continue
            for band in entry.bands:
                ids = self._buckets[band]
                if isinstance(ids, str):
                    del self._buckets[band]
                else:
                    ids.remove(key)
                    if len(ids) == 1:
                        self._buckets[band] = ids[0]

    # ------------------------------------------------------------ persistence

    def save(self, path: str | Path) -> None:
        """Write the state atomically to ``path`` (.npz of plain arrays and a JSON header).

        Two processes may crawl with one state folder (a manual ``yuqing crawl`` while ``yuqing run`` crawls): each
        loaded the state when it started, and the last to save overwrote the other's posts and emptied the journal
        lines the other had appended. So a save, under an exclusive lock, first takes in the posts the file and its
        journal hold that this index lacks.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path):
            self._take_in_saved(path)
            self._write(path)

    def _take_in_saved(self, path: Path) -> None:
        """Add the posts another process saved or journaled (best effort: what cannot be read is left to ``open``)."""
        found: list[tuple[str, _Entry]] = []
        if path.exists():
            try:
                saved = type(self).load(path)
            except _UNREADABLE as exc:
                log.warning("near-duplicate state %s could not be read before saving over it (%s); its posts "
                            "that this crawl lacks are not kept", path, exc)
            else:
                found += [(k, e) for k, e in saved._entries.items() if saved.num_perm == self.num_perm]
        journal = journal_path(path)
        if journal.exists():
            unread = 0
            for line in filter(None, journal.read_bytes().split(b"\n")):
                try:
                    found.append(self._journal_entry(line))
                except (ValueError, TypeError):
                    unread += 1
            if unread:
                log.warning("near-duplicate journal %s: %d line(s) another crawl wrote could not be read before "
                            "saving; their posts are linked again when they are crawled again", journal, unread)
        for key, entry in sorted(found, key=lambda item: item[1].timestamp):
            if key not in self._entries:
                self._newest = max(self._newest, entry.timestamp)
                self._evict()
                self._insert(key, _Entry(entry.timestamp, entry.signature, self._band_keys(entry.signature),
                                         entry.dup_of))

    def _journal_entry(self, line: bytes) -> tuple[str, _Entry]:
        """One journal line as (post id, entry, its band keys not yet computed); ValueError or TypeError saying why
        a line does not read."""
        key, dup_of, ts, encoded = json.loads(line)
        signature = np.frombuffer(base64.b64decode(encoded, validate=True), dtype=np.uint32).copy()
        if not isinstance(key, str) or not isinstance(dup_of, str | None):
            raise ValueError(f"post ids {key!r} and {dup_of!r} are not text")
        if len(signature) != self.num_perm:
            raise ValueError(f"a signature of {len(signature)} values for {key}, not {self.num_perm}")
        return key, _Entry(float(ts), signature, [], dup_of or None)

    def _write(self, path: Path) -> None:
        keys = list(self._entries)
        header = {
            "schema": _SCHEMA,
            "threshold": self.threshold,
            "num_perm": self.num_perm,
            "window_seconds": self.window.total_seconds(),
            "min_chars": self.min_chars,
            "max_entries": self.max_entries,
            "seed": self.seed,
            "newest": self._newest if keys else None,
        }
        signatures = (
            np.stack([self._entries[k].signature for k in keys])
            if keys
            else np.empty((0, self.num_perm), np.uint32)
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez_compressed(
                    fh,
                    header=np.array(json.dumps(header)),
                    ids=np.array(keys, dtype=str),
                    dup_of=np.array([self._entries[k].dup_of or "" for k in keys], dtype=str),
                    timestamps=np.array([self._entries[k].timestamp for k in keys], dtype=np.float64),
                    signatures=signatures,
                )
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        # Everything journaled is in the state now. (A kill before this line leaves journal lines that name posts
        # the state holds: replaying them changes nothing.)
        journal_path(path).unlink(missing_ok=True)
        self._unjournaled.clear()

    def append_journal(self, path: str | Path) -> int:
        """Append the posts added since the last save or append to the journal of the state at ``path``; return
        how many. Costs only those posts, so the crawl calls it after every batch: a kill (even -9, or a power cut:
        the lines are synced) loses none of them. A failed write leaves the journal as it was and the posts
        waiting for the next append."""
        keys = [key for key in self._unjournaled if key in self._entries]  # (the window may have evicted some)
        if not keys:
            self._unjournaled.clear()
            return 0
        lines = "".join(
            json.dumps([key, entry.dup_of, entry.timestamp,
                        base64.b64encode(entry.signature.astype(np.uint32, copy=False).tobytes()).decode("ascii")],
                       ensure_ascii=False) + "\n"
            for key, entry in ((key, self._entries[key]) for key in keys)
        ).encode("utf-8")
        journal = journal_path(Path(path))
        journal.parent.mkdir(parents=True, exist_ok=True)
        with _locked(Path(path)), open(journal, "ab") as fh:
            start = fh.tell()
            try:
                fh.write(lines)
                fh.flush()
                os.fsync(fh.fileno())
            except OSError:
                fh.truncate(start)  # no half line for the next append to continue
                raise
        self._unjournaled.clear()
        return len(keys)

    def _replay(self, path: Path) -> None:
        """Add the posts of the journal (a previous process's, which it did not get to save). A last line cut short
        (the process killed while writing it) is dropped and cut off the file. Any other line that does not read is
        damage: it is skipped, the journal kept aside, what could be read saved at once, and the log says so."""
        journal = journal_path(path)
        raw = journal.read_bytes()
        complete, _, torn = raw.rpartition(b"\n")
        if torn:
            log.warning("near-duplicate journal %s ends in a line cut short (a crawl stopped while writing it); "
                        "dropped it: the post it named is linked again when it is next crawled", journal)
            with open(journal, "r+b") as fh:
                fh.truncate(len(complete) + 1 if complete else 0)
        damaged: list[str] = []
        replayed = 0
        for number, line in enumerate(complete.split(b"\n") if complete else [], start=1):
            try:
                key, read = self._journal_entry(line)
            except (ValueError, TypeError) as exc:  # (a bad base64 is a ValueError)
                damaged.append(f"line {number}: {exc}")
                continue
            if key in self._entries:
                continue
            self._newest = max(self._newest, read.timestamp)
            self._evict()
            self._insert(key, _Entry(read.timestamp, read.signature, self._band_keys(read.signature), read.dup_of))
            replayed += 1
        if not damaged:
            if replayed:
                log.info("near-duplicate journal %s: %d post(s) a previous crawl had not saved restored", journal,
                         replayed)
            return
        kept = _keep_aside(journal)
        log.error("near-duplicate journal %s has %d line(s) that cannot be read (%s); moved it to %s and kept the "
                  "%d post(s) it could read: the posts of the damaged lines are linked again only when they are "
                  "crawled again", journal, len(damaged), "; ".join(damaged[:3]), kept, replayed)
        try:
            self._write(path)  # (open holds the lock: the journal's readable posts are in this index already)
        except OSError as exc:
            log.error("could not save the near-duplicate state %s (%s): the posts read from the journal go to a new "
                      "journal with the next batch", path, exc)
            self._unjournaled.extend(self._entries)

    @classmethod
    def load(cls, path: str | Path) -> NearDuplicateIndex:
        """Restore an index written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            if header.get("schema") != _SCHEMA:
                raise ValueError(
                    f"{path}: near-duplicate state has schema {header.get('schema')!r}, expected {_SCHEMA}; "
                    "delete the file to start a fresh index"
                )
            index = cls(
                threshold=header["threshold"],
                num_perm=header["num_perm"],
                window=timedelta(seconds=header["window_seconds"]),
                min_chars=header["min_chars"],
                max_entries=header["max_entries"],
                seed=header["seed"],
            )
            ids, dups, stamps, sigs = data["ids"], data["dup_of"], data["timestamps"], data["signatures"]
            for key, dup, ts, sig in zip(ids.tolist(), dups.tolist(), stamps.tolist(), sigs, strict=True):
                signature = np.array(sig, dtype=np.uint32)
                index._insert(key, _Entry(ts, signature, index._band_keys(signature), dup or None))
            if header["newest"] is not None:
                index._newest = header["newest"]
        return index

    @classmethod
    def open(cls, path: str | Path, **params: Any) -> NearDuplicateIndex:
        """Load the saved state at ``path`` and replay its journal; without either, an empty index with ``params``.

        An unreadable state file (a disk filled while it was written, a copy gone wrong, an older schema) is kept
        beside as ``*.damaged-<time>`` and the index starts from the journal alone: near-duplicate links are
        degraded for one window, the crawl keeps running.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path):
            return cls._open(path, **params)

    @classmethod
    def _open(cls, path: Path, **params: Any) -> NearDuplicateIndex:
        index: NearDuplicateIndex | None = None
        if path.exists():
            try:
                index = cls.load(path)
            except _UNREADABLE as exc:
                kept = _keep_aside(path)
                log.error("near-duplicate state %s cannot be read (%s: %s); moved it to %s and started without it: "
                          "reposts of stories crawled before are counted as new stories until the window (7 days) "
                          "has passed", path, type(exc).__name__, exc, kept)
        if index is None:
            index = cls(**params)
        if journal_path(path).exists():
            index._replay(path)
        return index


_JOURNAL_SUFFIX = ".journal"
# What reading a damaged or foreign state file raises (a disk filled while it was written, a copy gone wrong).
_UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on the state at ``path`` and its journal, across processes (``path.lock``, flock)."""
    with open(path.with_name(path.name + ".lock"), "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def journal_path(path: Path) -> Path:
    """Where the posts added since the state at ``path`` was saved are appended."""
    return path.with_name(path.name + _JOURNAL_SUFFIX)


def _keep_aside(path: Path) -> Path:
    """Move a damaged file out of the way, kept for inspection (``*.damaged-<unix time>``, as events.json.gz)."""
    kept = path.with_name(f"{path.name}.damaged-{int(time.time())}")
    os.replace(path, kept)
    return kept
