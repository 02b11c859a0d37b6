"""Fixtures for crawler tests: the demo web on a free port, and crawls run as real processes.

Each crawl runs in its own process (`yuqing crawl`), as a user would run it: Twisted's reactor
cannot restart inside one test process, and a process is what gets interrupted, resumed or run twice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from elasticsearch import Elasticsearch

from crawler.demo_web import DemoWeb, start_demo_web
from yuqing.es.indices import IndexLayout

REPO = Path(__file__).resolve().parents[2]
DEMO_PORT_IN_CONFIG = "http://127.0.0.1:8700"


@pytest.fixture
def demo_web() -> Iterator[DemoWeb]:
    web = start_demo_web(port=0)
    try:
        yield web
    finally:
        web.stop()


def demo_sources(base_url: str) -> list[dict[str, Any]]:
    """The demo sources of config/sources.yaml, pointed at a demo web running on ``base_url``."""
    text = (
        (REPO / "config" / "sources.yaml").read_text(encoding="utf-8").replace(DEMO_PORT_IN_CONFIG, base_url)
    )
    return yaml.safe_load(text)["sources"]


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any] = field(default_factory=dict)

    def source(self, name: str) -> dict[str, Any]:
        return next(s for s in self.report["sources"] if s["source"] == name)

    def stats(self, name: str) -> dict[str, Any]:
        return self.source(name)["stats"]


class CrawlEnv:
    """A private state directory and configuration for crawls, and a way to run them."""

    def __init__(self, tmp: Path, es_url: str, layout: IndexLayout, es: Elasticsearch):
        self.home = tmp / "home"
        self.config_dir = tmp / "config"
        self.config_dir.mkdir(parents=True)
        for path in (REPO / "config").glob("*.yaml"):
            (self.config_dir / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        self.es_url = es_url
        self.layout = layout
        self.es = es

    def set_sources(self, sources: list[dict[str, Any]]) -> None:
        (self.config_dir / "sources.yaml").write_text(
            yaml.safe_dump({"version": 1, "sources": sources}, allow_unicode=True), encoding="utf-8"
        )

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
        env.update(
            YUQING_HOME=str(self.home),
            YUQING_CONFIG_DIR=str(self.config_dir),
            YUQING_ES_URL=self.es_url,
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def command(self, *args: str, settings: dict[str, Any] | None = None, log_level: str = "INFO") -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "yuqing.cli",
            "crawl",
            *args,
            "--json",
            "--log-level",
            log_level,
            "-s",
            f"YUQING_INDEX_PREFIX={self.layout.prefix}",
            "-s",
            "AUTOTHROTTLE_ENABLED=0",
            "-s",
            "YUQING_FLUSH_INTERVAL_S=0.5",
            "-s",
            "YUQING_RETRY_BACKOFF_BASE_S=0.05",
        ]
        for key, value in (settings or {}).items():
            cmd += ["-s", f"{key}={value}"]
        return cmd

    def crawl(
        self,
        *args: str,
        settings: dict[str, Any] | None = None,
        timeout: float = 120,
        env: dict[str, str] | None = None,
        log_level: str = "INFO",
    ) -> CrawlResult:
        done = subprocess.run(
            self.command(*args, settings=settings, log_level=log_level),
            cwd=REPO,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        result = CrawlResult(done.returncode, done.stdout, done.stderr)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if lines:
            result.report = json.loads(lines[-1])
        assert result.report, f"crawl printed no report (exit {done.returncode}):\n{done.stderr[-4000:]}"
        return result

    def docs(self, source: str | None = None) -> list[dict[str, Any]]:
        self.es.indices.refresh(index=self.layout.posts.alias)
        query = {"term": {"source": source}} if source else {"match_all": {}}
        hits = self.es.search(index=self.layout.posts.alias, query=query, size=1000)["hits"]["hits"]
        return [{"_id": h["_id"], **h["_source"]} for h in hits]


@pytest.fixture
def crawl_env(tmp_path: Path, es_node: str, es_layout: IndexLayout, es_client: Elasticsearch) -> CrawlEnv:
    return CrawlEnv(tmp_path, es_node, es_layout, es_client)
