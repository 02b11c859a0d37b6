"""A crawl killed midway (kill -9: no close, no save) keeps what it indexed, its near-duplicate links included."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from crawler.demo_web import start_demo_web
from tests.crawler.conftest import REPO, CrawlEnv, demo_sources

pytestmark = pytest.mark.es


def test_a_story_a_killed_crawl_indexed_is_still_the_story_its_copies_spread(
        crawl_env: CrawlEnv, tmp_path: Path) -> None:
    """The near-duplicate index was saved only when a crawl ended: after a kill -9 the next crawl took the copies of
    the stories indexed before the kill for new stories."""
    web = start_demo_web(port=0, pages=40, delay_s=0.3)
    try:
        # demo_sitemap finds the same articles as demo_news, read at localhost: another address, as another outlet's
        # copies are (at the same URL they would be demo_news's own documents, not indexed again)
        sources = [s for s in demo_sources(web.url) if s["name"] in ("demo_news", "demo_sitemap")]
        for source in sources:
            source["enabled"] = True
            if source["name"] == "demo_sitemap":
                source["start_urls"] = [url.replace("127.0.0.1", "localhost") for url in source["start_urls"]]
        crawl_env.set_sources(sources)
        log = tmp_path / "killed-crawl.log"
        with log.open("wb") as output:
            crawl = subprocess.Popen(crawl_env.command("demo_news", settings={"CONCURRENT_REQUESTS_PER_DOMAIN": 1}),
                                     cwd=REPO, env=crawl_env.env(), stdout=output, stderr=output)
            try:
                give_up = time.monotonic() + 120
                while len(crawl_env.docs("demo_news")) < 6:
                    assert crawl.poll() is None, f"the crawl ended before it was killed:\n{log.read_text()[-3000:]}"
                    assert time.monotonic() < give_up, "no posts indexed in 120 s"
                    time.sleep(0.3)
            finally:
                crawl.kill()  # SIGKILL: the spider is never closed
                crawl.wait()
        originals = crawl_env.docs("demo_news")
        assert crawl_env.crawl("demo_sitemap").returncode == 0
    finally:
        web.stop()
    copies = {doc["url"].replace("localhost", "127.0.0.1"): doc for doc in crawl_env.docs("demo_sitemap")}
    assert set(copies) >= {doc["url"] for doc in originals}
    for original in originals:
        assert copies[original["url"]].get("dup_of") == (original.get("dup_of") or original["_id"]), (
            f"the sitemap's copy of {original['url']} is not linked to the story the killed crawl indexed")
