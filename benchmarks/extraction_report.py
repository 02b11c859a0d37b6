"""Article extraction on the 62 real Chinese news pages in ../shared/data/extraction/gne_pages.

The pages carry no ground truth, so the report counts what a reader can check: how many pages
yield a title, a publish time and a body of at least 200 characters, and the time per page, with
one row per page (title, time, author, body length and opening) to eyeball for wrong picks.
The first page is extracted once before timing, so library imports are not charged to it.

Run: ``python -m benchmarks.extraction_report``; report in var/benchmarks/extraction.md.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.report import run_main, table, write_report
from crawler.extraction import Article, extract_article
from yuqing.paths import shared_data_file

PAGES = "extraction/gne_pages"
BODY_MIN = 200


@dataclass(frozen=True)
class PageResult:
    """One page's extraction and how long it took."""

    name: str
    article: Article
    seconds: float

    @property
    def has_title(self) -> bool:
        return bool(self.article.title)

    @property
    def has_time(self) -> bool:
        return self.article.published_at is not None

    @property
    def has_body(self) -> bool:
        return len(self.article.content) >= BODY_MIN


def fixture_pages() -> list[Path]:
    """The saved pages, sorted; raises SharedDataMissing (with where it looked) when absent."""
    return sorted(shared_data_file(PAGES).glob("*/*.html"))


def run(pages: list[Path]) -> list[PageResult]:
    """Extract every page, timing each."""
    if pages:
        extract_article(pages[0].read_bytes())  # warm up imports and lazy loads
    results = []
    for page in pages:
        body = page.read_bytes()
        start = time.perf_counter()
        article = extract_article(body)
        results.append(PageResult(f"{page.parent.name}/{page.name}", article, time.perf_counter() - start))
    return results


def _cell(text: str | None, limit: int) -> str:
    """Table-safe excerpt: the page text is untrusted, so pipes and newlines are neutralised."""
    text = (text or "").replace("|", "¦").replace("\n", " ").strip()
    return text[:limit] + ("…" if len(text) > limit else "")


def render(results: list[PageResult]) -> str:
    """The Markdown body: totals, then one row per page."""
    n = len(results)
    seconds = [r.seconds for r in results]
    totals = table(
        [
            "pages",
            "title",
            "publish time",
            f"body ≥ {BODY_MIN} chars",
            "mean s/page",
            "median s/page",
            "max s/page",
        ],
        [
            [
                n,
                sum(r.has_title for r in results),
                sum(r.has_time for r in results),
                sum(r.has_body for r in results),
                f"{statistics.fmean(seconds):.3f}" if seconds else "-",
                f"{statistics.median(seconds):.3f}" if seconds else "-",
                f"{max(seconds):.3f}" if seconds else "-",
            ]
        ],
    )
    rows: list[list[object]] = [
        [
            r.name,
            _cell(r.article.title, 40),
            r.article.published_at.isoformat() if r.article.published_at else "**none**",
            _cell(r.article.author, 12),
            len(r.article.content) if r.has_body else f"**{len(r.article.content)}**",
            _cell(r.article.content, 30),
            f"{r.seconds:.3f}",
        ]
        for r in results
    ]
    per_page = table(["page", "title", "published_at", "author", "body chars", "body opens", "s"], rows)
    return f"## Totals\n\n{totals}\n\n## Per page\n\n{per_page}\n"


def main() -> int:
    import argparse

    argparse.ArgumentParser(description=__doc__.split("\n", 1)[0]).parse_args()  # --help, before the work
    results = run(fixture_pages())
    write_report("extraction", "Article extraction on real Chinese news pages", render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(run_main(main, "extraction_report"))
