"""``news``: list pages → article pages, by the source's link selector (or headline-like links)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders.articles import ArticleSpider


class NewsSpider(ArticleSpider):
    name = "news"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        if not self.is_text(response):
            return
        links = self.links(response, self.spec.link_selector)
        if not links:
            self.logger.warning(
                "no article links on %s (link_selector: %s)",
                response.url,
                self.spec.link_selector or "generic",
            )
        self.found(len(links))
        new = 0
        for url in links:
            request = self.article_request(url)
            if request is not None:
                new += 1
                yield request
        if links and not new:
            # Lists run newest first: a page of items all seen before means the rest was seen too.
            self.logger.info("every item on %s was seen before; not paging further", response.url)
            return
        next_request = self.next_page(self.next_page_url(response), response, self.parse)
        if next_request is not None:
            yield next_request
