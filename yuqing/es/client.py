"""Connecting to Elasticsearch: a configured cluster as is, or the project's local node."""

from __future__ import annotations

import time

from elastic_transport import ConnectionError as TransportConnectionError
from elasticsearch import Elasticsearch
from elasticsearch import TransportError as ESTransportError

from yuqing.settings import ElasticsearchSettings, redact_url


class ElasticsearchUnavailable(RuntimeError):
    """The cluster did not answer; the message names the URL and what to do."""


# What a request raises when the cluster is down, unreachable or refuses it.
ES_ERRORS = (TransportConnectionError, ESTransportError)


def es_url(settings: ElasticsearchSettings) -> str:
    """The configured cluster, else the local node's address."""
    import os

    return settings.effective_url() or f"http://127.0.0.1:{os.environ.get('YUQING_ES_PORT', settings.http_port)}"


def shown_es_url(settings: ElasticsearchSettings) -> str:
    """The cluster's URL fit to print or show: a password written into YUQING_ES_URL (http://user:pw@host) is
    replaced by ***, as the database URL's is."""
    return redact_url(es_url(settings))


def client_for(settings: ElasticsearchSettings, request_timeout: float = 30.0) -> Elasticsearch:
    """A client for the configured cluster, without asking whether it is up (``connect`` waits for it)."""
    url = es_url(settings)
    try:
        return Elasticsearch(url, basic_auth=settings.credentials(), request_timeout=request_timeout,
                             retry_on_timeout=True, max_retries=2)
    except ValueError as exc:
        raise ElasticsearchUnavailable(f"the Elasticsearch URL {redact_url(url)!r} cannot be used "
                                       f"({redact_url(str(exc))}); set YUQING_ES_URL "
                                       "or elasticsearch.url to e.g. http://127.0.0.1:9200") from exc


def connect(settings: ElasticsearchSettings, wait_s: float = 30.0, request_timeout: float = 30.0) -> Elasticsearch:
    """A client for the configured cluster, waiting with backoff until it answers cluster health."""
    client = client_for(settings, request_timeout)
    deadline = time.monotonic() + wait_s
    delay = 0.5
    last: Exception | None = None
    while True:
        try:
            client.cluster.health(timeout="5s")
            return client
        except (*ES_ERRORS, OSError) as exc:
            last = exc
        if time.monotonic() >= deadline:
            break
        time.sleep(delay)
        delay = min(delay * 2, 5.0)
    hint = ("start the local node with `yuqing es start`" if not settings.effective_url()
            else "check that the cluster is running and YUQING_ES_URL / elasticsearch.url is right")
    raise ElasticsearchUnavailable(f"Elasticsearch at {shown_es_url(settings)} is unreachable after {wait_s:.0f} s "
                                   f"({redact_url(str(last))}); {hint}")
