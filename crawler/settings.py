"""Scrapy settings of the yuqing crawler (``scrapy.cfg`` points here).

Politeness and limits (robots.txt, per-domain concurrency, AutoThrottle target, retries, timeout,
maximum page size, user agent, proxy) are not set here: they come from ``config/settings.yaml``
(``crawler:``) and the source's entry in ``config/sources.yaml``, applied by the spider when it
starts (``crawler.config.apply_source_settings``). ``-s NAME=VALUE`` on the command line still wins.
"""

BOT_NAME = "yuqing"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

ITEM_PIPELINES = {"crawler.pipelines.PostPipeline": 500}

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.PoliteRobotsTxtMiddleware": 100,
    "crawler.middlewares.SourceOffsiteMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.RedirectLoopMiddleware": 610,
    "crawler.middlewares.SourceProxyMiddleware": 740,
}

# Neither console is wanted: both listen on a local port and run Python code sent to them.
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "crawler.extensions.SourceStateExtension": 500,
}

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
CONCURRENT_REQUESTS = 16
REDIRECT_MAX_TIMES = 5
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# A truncated body is still worth reading: the item is built from what arrived and flagged.
DOWNLOAD_FAIL_ON_DATALOSS = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "INFO"
# Items named by their post id in Scrapy's item lines, not printed whole: their raw text is not de-identified yet.
LOG_FORMATTER = "crawler.logs.PostLogFormatter"
FEED_EXPORT_ENCODING = "utf-8"

# yuqing's own settings (all may be given with -s).
YUQING_CONFIG_DIR = None  # None: YUQING_CONFIG_DIR in the environment, else the repository's config/
YUQING_INDEX_PREFIX = None  # None: elasticsearch.index_prefix from settings.yaml
YUQING_FLUSH_INTERVAL_S = 2.0  # how long a partial batch may wait before it is written
YUQING_RETRY_BACKOFF_BASE_S = 1.0  # first retry waits this long, then 2x, 4x ... (jittered)
YUQING_RETRY_BACKOFF_MAX_S = 60.0
YUQING_RESUMABLE = True  # keep the request queue of each source in <state>/crawler/jobs/<source> (JOBDIR)
YUQING_DISTRIBUTED = False  # share the queue and dupefilter in Redis (scrapy-redis)
YUQING_REDIS_URL = None  # None: the variable named by crawler.redis_url_env in settings.yaml
YUQING_CRAWL_ID = None  # distributed: processes with the same id share one crawl (default: per interval)
YUQING_DISTRIBUTED_IDLE_S = 5.0  # distributed: wait this long on an empty shared queue before stopping
YUQING_SPOOL_DRAIN_WAIT_S = 0.0  # at the end of a crawl, keep trying to replay the spool this long
