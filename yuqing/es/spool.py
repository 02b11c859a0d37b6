"""A durable local spool: documents that could not reach Elasticsearch wait here, on disk.

Each failed batch is one JSON-lines segment, written to a temporary name, fsynced and renamed, so a
crash never leaves half a segment. ``drain`` hands segments back oldest first and deletes each only
after its documents were accepted.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

Document = dict[str, Any]


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
        with open(tmp, "w", encoding="utf-8") as handle:
            for doc in docs:
                handle.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
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

    def read(self, segment: Path) -> Iterator[Document]:
        with open(segment, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)

    def drain(self, send: Callable[[list[Document]], bool]) -> int:
        """Send segments oldest first; stop at the first that fails. Return documents sent."""
        sent = 0
        for segment in self.segments():
            docs = list(self.read(segment))
            if not send(docs):
                break
            segment.unlink()
            sent += len(docs)
        return sent
