"""People who post the same words are each counted: only articles are told apart by what they say."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.crawler.conftest import CrawlEnv

pytestmark = pytest.mark.es

SAME = "强烈要求A3区某建筑公司立即支付拖欠农民工的工资，我们已经等了半年！"


@pytest.fixture
def api() -> Iterator[str]:
    items = [{"tid": 100 + i, "author": {"name": f"工友{i}"}, "message": SAME, "dateline": 1772413200 + 60 * i}
             for i in range(5)]
    items += [{"tid": 200 + i, "author": {"name": f"网友{i}"}, "message": "转发微博", "dateline": 1772413500 + i}
              for i in range(3)]
    body = json.dumps({"data": {"items": items}}, ensure_ascii=False).encode("utf-8")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            status, data = (200, body) if self.path.startswith("/api.json") else (404, b"")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api.json"
    finally:
        server.shutdown()
        server.server_close()


def test_eight_people_posting_the_same_words_are_eight_posts(api: str, crawl_env: CrawlEnv) -> None:
    """The content hash that tells a copied article from a new one dropped 6 of these 8 posts."""
    crawl_env.set_sources([{"name": "forum", "type": "social_json", "start_urls": [api], "interval_minutes": 5,
                            "since": "2026-01-01", "items_path": "data.items",
                            "field_paths": {"id": "tid", "text": "message", "author": "author.name",
                                            "published_at": "dateline"}}])
    result = crawl_env.crawl("forum")
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(crawl_env.docs("forum")) == 8
    again = crawl_env.crawl("forum")
    assert again.report["indexed"] == 0 and len(crawl_env.docs("forum")) == 8  # the ids still tell them apart
