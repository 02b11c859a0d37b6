"""Keyed digests of personal data: an author's pseudonym and a post's content hash.

A plain hash of a text kept beside its de-identified copy undoes the masking — whoever tries the 10,000 fillings
of 139****5678 finds the one whose hash matches. Every digest of something that may hold personal data is therefore
an HMAC under a secret key kept apart from the data (GB/T 37964), set in YUQING_PSEUDONYM_KEY. (A post's id is not,
unless its key holds personal data: it must stay the same when the key is set or changed — see Post.make_id.)
"""

from __future__ import annotations

import hmac
import logging
import os
from functools import cache

log = logging.getLogger(__name__)

PSEUDONYM_KEY_ENV = "YUQING_PSEUDONYM_KEY"
# Public development key: digests made with it can be reversed by anyone who guesses what went in.
# Production must set YUQING_PSEUDONYM_KEY to a secret.
_DEV_PSEUDONYM_KEY = "yuqing-development-key-not-secret"


def pseudonym_key() -> bytes:
    key = os.environ.get(PSEUDONYM_KEY_ENV)
    if not key:
        _warn_dev_key()
        key = _DEV_PSEUDONYM_KEY
    return key.encode("utf-8")


@cache
def _warn_dev_key() -> None:
    log.warning(
        "%s is not set: author pseudonyms, content hashes and the ids of posts whose URL holds personal data use the "
        "public development key and can be reversed by guessing what was masked; set it to a secret in production",
        PSEUDONYM_KEY_ENV,
    )


def keyed_digest(text: str, algorithm: str = "sha256") -> str:
    """HMAC of ``text`` under the pseudonym key, in hex."""
    return hmac.new(pseudonym_key(), text.encode("utf-8"), algorithm).hexdigest()
