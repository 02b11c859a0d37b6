"""One spider per source *type* (news, rss, sitemap, message_board, social_json, weibo); sites are configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yuqing.settings import Config


def config_problems(config: Config) -> list[str]:
    """Selector problems of every source in sources.yaml (for `yuqing config check`; a spider checks its own
    source again when it starts)."""
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
    for spec in config.sources.sources:
        spider = by_type.get(spec.type)
        if spider is not None:
            problems += selector_problems(spec, spider.selector_keys)
    return problems
