"""One spider per source *type* (news, rss, sitemap, message_board, social_json, weibo); sites are configuration."""
