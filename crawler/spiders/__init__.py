"""One spider per source *type* (news, rss, sitemap, message_board, social_json, weibo); sites are configuration."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from yuqing.settings import Config


def config_problems(config: Config) -> list[str]:
    """Problems of every source in sources.yaml — its time window, start URLs, selectors and fields (for
    `yuqing config check`; a spider checks its own source again when it starts)."""
    from crawler.config import SourceError, parse_since, start_urls
    from crawler.spiders.base import selector_problems
    from crawler.spiders.message_board import MessageBoardSpider
    from crawler.spiders.news import NewsSpider
    from crawler.spiders.rss import RssSpider
    from crawler.spiders.sitemap import SitemapSpider
    from crawler.spiders.social_json import SocialJsonSpider
    from crawler.spiders.weibo import WeiboSpider

    by_type = {cls.name: cls for cls in (MessageBoardSpider, NewsSpider, RssSpider, SitemapSpider, SocialJsonSpider,
                                         WeiboSpider)}
    problems = []
    now = datetime.now(ZoneInfo(config.settings.timezone))
    for spec in config.sources.sources:
        try:
            parse_since(spec.since, now, config.settings.timezone)
        except SourceError as exc:
            problems.append(f"source {spec.name!r}: {exc}")
        try:
            start_urls(spec)
        except SourceError as exc:
            problems.append(str(exc))  # it names the source
        spider = by_type.get(spec.type)
        if spider is not None:
            problems += selector_problems(spec, spider.selector_keys) + spider.spec_problems(spec)
    return problems
