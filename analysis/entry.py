"""The one entry point the crawler (and any other stage) calls to enrich posts before they are indexed.

``enrich(post)`` de-identifies title, text and author first, then adds tokens, topic (and top-k scores),
sentiment, region, near-duplicate link and severity cues, and sets ``deidentified`` and ``analyzed_at``.
``enrich_many(posts)`` does the same for a batch and is much faster per post (batched model predictions).
Neither raises on bad input. Event clustering and grading are separate (``analysis.events.EventTracker``).
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.enrich import default_enricher
from yuqing.contract import Post


def enrich(post: Post) -> Post:
    """Return a new Post with everything analysis adds; the input is not modified."""
    return default_enricher().enrich(post)


def enrich_many(posts: Sequence[Post]) -> list[Post]:
    """Enrich a batch of posts (same order); prefer this where posts arrive in batches."""
    return default_enricher().enrich_many(posts)


def save_state() -> None:
    """Persist the process-wide near-duplicate index (call at the end of a crawl)."""
    default_enricher().save_state()
