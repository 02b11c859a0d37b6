"""Write a benchmark's Markdown report into ``var/benchmarks/`` (and echo it), with the machine it ran on."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from yuqing import paths


def environment() -> str:
    """One line saying where the numbers come from, so reports from different machines are not compared blindly."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
            f"{cpus} CPU(s) available, {datetime.now(UTC).isoformat(timespec='seconds')}")


def table(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(name: str, title: str, body: str, echo: bool = True) -> Path:
    """Save ``var/benchmarks/<name>.md`` and print it; return the path."""
    directory = paths.state_dir() / "benchmarks"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.md"
    text = f"# {title}\n\n{environment()}\n\n{body.strip()}\n"
    path.write_text(text, encoding="utf-8")
    if echo:
        sys.stdout.write(text + f"\n(report written to {path})\n")
    return path


def run_main(main: Callable[[], object], name: str) -> int:
    """Run a benchmark's ``main``: the data it needs missing is said in one line (exit 2), not a traceback."""
    try:
        result = main()
    except paths.SharedDataMissing as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
    return result if isinstance(result, int) else 0
