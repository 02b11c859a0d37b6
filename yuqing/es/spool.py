"""A durable local spool: documents that could not reach Elasticsearch wait here, on disk.

Each failed batch is one JSON-lines segment, written to a temporary name, fsynced and renamed, so a
crash never leaves half a segment. ``drain`` hands segments back oldest first and deletes each only
after its documents were accepted.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

Document = dict[str, Any]

log = logging.getLogger(__name__)


class Spool:
    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)

    def put(self, docs: list[Document]) -> Path | None:
        """Write one batch durably; return its segment path."""
        if not docs:
            return None
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        tmp = self.directory / f".{name}.tmp"
        final = self.directory / f"{name}.jsonl"
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                for doc in docs:
                    handle.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, final)
        except OSError as exc:
            tmp.unlink(missing_ok=True)  # half a segment would hold the space it could not get
            raise OSError(exc.errno, f"cannot write {len(docs)} documents to the spool {self.directory} "
                                     f"({exc.strerror or exc}); free space there or point YUQING_HOME elsewhere") from exc
        return final

    def segments(self) -> list[Path]:
        return sorted(self.directory.glob("*.jsonl"))

    def pending(self) -> int:
        """How many documents wait in the spool."""
        total = 0
        for segment in self.segments():
            with open(segment, encoding="utf-8") as handle:
                total += sum(1 for line in handle if line.strip())
        return total

    @property
    def damaged(self) -> Path:
        """Where lines of a segment that are no document are kept (a segment edited or damaged on disk)."""
        return self.directory.with_name(f"{self.directory.name}-damaged.txt")

    def read(self, segment: Path) -> list[Document]:
        """The documents of a segment. A line that is none (a segment damaged or edited on disk) is moved to
        ``damaged`` and said, and the segment rewritten without it: one torn line stopped every later document
        from reaching Elasticsearch."""
        docs: list[Document] = []
        bad: list[str] = []
        with open(segment, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                line = raw.decode("utf-8", errors="replace")
                if not line.strip():
                    continue
                try:
                    doc = json.loads(raw)  # strict UTF-8: a damaged byte is damage, not a U+FFFD indexed
                except ValueError as exc:
                    problem = f"not JSON ({exc})"
                else:
                    if isinstance(doc, dict) and isinstance(doc.get("_id"), str) and doc["_id"]:
                        docs.append(doc)
                        continue
                    problem = "not a document with an _id"
                bad.append(f"{segment.name}:{number}\t{line.rstrip()}\n")
                log.error("spool segment %s line %d is %s; moved it to %s", segment, number, problem, self.damaged)
        if bad:
            with open(self.damaged, "a", encoding="utf-8") as kept:
                kept.writelines(bad)
            if docs:
                os.replace(self.put(docs) or segment, segment)  # the good documents keep the segment's place
        return docs

    def drain(self, send: Callable[[list[Document]], bool]) -> int:
        """Send segments oldest first; stop at the first that fails. Return documents sent."""
        sent = 0
        for segment in self.segments():
            docs = self.read(segment)
            if not docs:
                segment.unlink(missing_ok=True)  # nothing in it was a document (read has said so)
                continue
            if not send(docs):
                break
            segment.unlink()
            sent += len(docs)
        return sent
