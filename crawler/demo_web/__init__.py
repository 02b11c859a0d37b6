"""The local demo web: fictional A市 news, message board, feeds, sitemap and a Weibo-shaped API on 127.0.0.1.

``start_demo_web()`` serves it from a background thread (tests, the demo); ``yuqing demo-web`` and
``python -m crawler.demo_web`` serve it in the foreground.
"""

from __future__ import annotations

from pathlib import Path

from crawler.demo_web.server import DemoWeb, Scenario, load_scenario

__all__ = ["DemoWeb", "Scenario", "load_scenario", "start_demo_web"]


def start_demo_web(
    port: int = 0,
    scenario: str | Scenario | None = None,
    pages: int = 0,
    delay_s: float = 0.0,
    access_log_path: Path | None = None,
) -> DemoWeb:
    """Start the demo web in a background thread and return it (``.url``, ``.access_log``, ``.stop()``).

    ``port=0`` picks a free port; ``pages`` adds that many generated news articles (load tests);
    ``delay_s`` slows every response (to watch a crawl, or to interrupt one).
    """
    return DemoWeb(
        port=port, scenario=scenario, pages=pages, delay_s=delay_s, access_log_path=access_log_path
    ).start()
