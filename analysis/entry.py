"""The one entry point the crawler calls to enrich a post before it is indexed.

Until the analysis stage is complete this is a pass-through; it will de-identify, tokenize and
classify each post.
"""

from __future__ import annotations

from yuqing.contract import Post


def enrich(post: Post) -> Post:
    """Return the post with everything analysis adds (pass-through for now)."""
    return post
