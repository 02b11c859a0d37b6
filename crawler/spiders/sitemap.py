"""``sitemap``: sitemap indexes, URL sets and Google News sitemaps (``news:publication_date``, ``news:title``).

Start URLs may be sitemaps or a robots.txt (its ``Sitemap:`` lines are followed). Entries outside
the time window are dropped before their page is fetched; the pages go through article extraction.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import Any

from lxml import etree
from scrapy.http import Response

from crawler.spiders.articles import ArticleSpider
from crawler.text import value_shape
from yuqing.timeparse import is_date_only, parse_time

_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
_GZIP_MAGIC = b"\x1f\x8b"


def _local(tag: Any) -> str:
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)



# A sitemap is at most 50 MB uncompressed (sitemaps.org); a gzip that inflates beyond the cap is cut there.
_MAX_SITEMAP_BYTES = 50 * 1024 * 1024


def _gunzip(body: bytes, limit: int) -> bytes:
    """Inflate at most ``limit`` bytes: a small gzip bomb must not be expanded whole in memory first."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    return inflater.decompress(body, limit)

class SitemapSpider(ArticleSpider):
    name = "sitemap"

    async def start(self) -> Any:
        for url in self.start_urls:
            callback = self.parse_robots if url.rstrip("/").endswith("robots.txt") else self.parse
            yield self.listing_request(url, callback, page=1)

    def parse_robots(self, response: Response) -> Iterator[Any]:
        for line in response.text.splitlines():
            match = re.match(r"^\s*sitemap\s*:\s*(\S+)", line, re.IGNORECASE)
            if match:
                yield self.listing_request(response.urljoin(match.group(1)), self.parse, page=1)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        self.note_truncated(response)
        body = response.body
        if body[:2] == _GZIP_MAGIC:
            try:
                body = _gunzip(body, self.settings.getint("DOWNLOAD_MAXSIZE") or _MAX_SITEMAP_BYTES)
            except (OSError, EOFError, zlib.error) as exc:
                self.skip("bad_gzip", response.url, str(exc))
                return
        try:
            root = etree.fromstring(body, parser=_PARSER) if body.strip() else None
        except etree.XMLSyntaxError as exc:
            root = None
            self.logger.info("sitemap %s does not parse: %s", response.url, exc)
        if root is None:
            self.skip("unreadable_sitemap", response.url, "not XML")
            return
        if _PARSER.error_log:
            self.crawler.stats.inc_value("yuqing/malformed_sitemaps")
            self.logger.info("sitemap %s is malformed; reading what parses", response.url)
        kind = _local(root.tag)
        if kind == "sitemapindex":
            for loc in root.iter("{*}loc"):
                url = response.urljoin((loc.text or "").strip())  # a relative <loc> is read against the index
                if url.startswith(("http://", "https://")):
                    yield self.listing_request(url, self.parse, page=1)
                else:
                    self.skip("bad_loc", response.url, f"<loc> written as {value_shape(url)} is not an http(s) URL")
            return
        if kind != "urlset":
            self.skip("unreadable_sitemap", response.url, f"root element <{kind}>")
            return
        entries = list(root.iterchildren("{*}url"))
        self.found(len(entries))
        for entry in entries:
            yield from self.entry(entry, response)

    def entry(self, entry: Any, response: Response) -> Iterator[Any]:
        values: dict[str, str] = {}
        for element in entry.iter():
            name = _local(element.tag)
            if name in ("loc", "lastmod", "publication_date", "title", "keywords") and element.text:
                values.setdefault(name, element.text.strip())
        url = values.get("loc", "")
        if not url.startswith(("http://", "https://")):
            self.skip("bad_url", response.url, f"sitemap entry with a loc written as {value_shape(url)}, not an http(s) URL")
            return
        stamp = values.get("publication_date") or values.get("lastmod")
        published = parse_time(stamp, now=self.now(), tz=self.tz) if stamp else None
        if self.too_old(self.publish_time(published, is_date_only(stamp))[0]):  # a day alone: judged by its end
            self.filtered("too_old")
            return
        hints = {
            "title": values.get("title"),
            "published_at": published.isoformat() if published and values.get("publication_date") else None,
            "published_precision": "day" if published and values.get("publication_date") and is_date_only(stamp)
            else None,
        }
        request = self.article_request(response.urljoin(url), **hints)
        if request is not None:
            yield request
