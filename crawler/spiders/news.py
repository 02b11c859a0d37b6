"""``news``: list pages → article pages, by the source's link selector (or headline-like links)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from crawler.spiders.articles import ArticleSpider


class NewsSpider(ArticleSpider):
    name = "news"

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        yield from self.follow_list_page(response, "article", self.article_request)
