"""The distributed crawl's duplicate filter (scrapy-redis), its fingerprints keyed.

scrapy-redis keeps a SHA-1 of every request's URL in Redis for as long as the crawl's key lives: a plain digest of
…/detail?tel=139… is given back by hashing the 10^8 mobile numbers, as a post id was. An HMAC under the pseudonym key
(yuqing.keyed) tells the same requests apart just as well; the processes of one crawl share the key. (The shared
queue, like a resumable crawl's JOBDIR, holds a request's URL as it is until the request is fetched: a URL must be
kept to be fetched. A single process filters nothing here: its requests bypass the filter, and the crawl state,
keyed by post id, remembers what was seen.)
"""

from __future__ import annotations

from typing import Any

from scrapy_redis.dupefilter import RFPDupeFilter

from yuqing.keyed import keyed_digest


class KeyedDupeFilter(RFPDupeFilter):
    """scrapy-redis's filter, with each fingerprint an HMAC of the one it would have stored."""

    def request_fingerprint(self, request: Any) -> str:
        return keyed_digest(super().request_fingerprint(request), "sha1")
