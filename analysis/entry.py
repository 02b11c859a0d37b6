"""Enriching posts before they are indexed: the functions the crawler and the other stages call.

``enrich(post)`` de-identifies every free-text field, the URL and the author first, then adds tokens, topic (and top-k scores),
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


def deidentify_only(post: Post) -> Post:
    """The post with personal information masked (every free-text field, the URL, the author) and
    nothing else added: what may still be indexed when the models cannot run. The same masking as enrichment's."""
    from analysis.deidentify import deidentify, deidentify_author
    from analysis.enrich import deidentify_post

    return deidentify_post(post, deidentify, deidentify_author).model_copy(update={"deidentified": True})


def deidentified_url(url: str) -> str:
    """The URL as it may be stored, logged or shown: personal data in its path, query and fragment masked (the
    masking enrichment gives a post's URL); a URL with nothing to mask comes back as it was."""
    from analysis.deidentify import deidentify
    from analysis.enrich import mask_url

    return mask_url(url, deidentify)


def key_holds_personal_data(key: str) -> bool:
    """Whether an item's key — its URL, or the id its source gives it — holds personal data (?tel=139…, an e-mail
    address in the path): then its post id is keyed (``Post.make_id``), since a plain digest of the key gives the key
    back to whoever tries the candidates. A URL holds it when its stored, masked form differs from it."""
    if key.lower().startswith(("http://", "https://")):
        return deidentified_url(key) != key
    from analysis.deidentify import deidentify

    return bool(deidentify(key).findings)


def warm_up() -> None:
    """Load the models and the tokenizer's dictionary ahead of the first batch."""
    from analysis.tokenizer import cut_for_index

    enrich_many([])
    cut_for_index("预热")


def save_state() -> None:
    """Save the process-wide near-duplicate index whole (call at the end of a crawl; each batch's posts are
    journaled as they are enriched)."""
    default_enricher().save_state()
