"""Per-post enrichment: everything analysis adds to a post before it is indexed.

Order matters: the text is cleaned and **de-identified first**, so raw personal data never reaches a model,
a log line or Elasticsearch; every later step sees only the masked text. Then: tokens, topic (with the top-k
scores), sentiment, region, near-duplicate, severity cues.

Models load lazily, once per process. ``enrich_many`` predicts topic and sentiment for a whole batch at once
(the models are vectorised), which is where most of the speed comes from.

Bad input gives defined output, never an exception: empty, emoji-only or non-Chinese text gets the fallback
topic (非民生) and ``neutral`` sentiment with confidence 0; HTML is reduced to its text; mis-decoded UTF-8
(mojibake) is repaired when it can be; only the first ``max_analysis_chars`` characters are analysed
(the whole text is still de-identified). If de-identification itself fails, the text is withheld (emptied)
rather than kept raw — privacy before completeness — and the failure is logged with the post id.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from analysis.deidentify import is_personal_number
from analysis.events import content_terms
from analysis.severity import extract_cues
from analysis.tokenizer import script_language
from yuqing import paths
from yuqing.clock import Clock, SystemClock
from yuqing.contract import BOARD_SOURCE_TYPE, LONE_SURROGATE, Post, xml_text

log = logging.getLogger(__name__)
T = TypeVar("T")

FALLBACK_TOPIC = "非民生"
NEUTRAL = "neutral"
TOP_K_TOPICS = 3
MAX_TOKENS_STORED = 256

_CJK = re.compile(r"[\u4e00-\u9fff]")
_HTML_HINT = re.compile(
    r"<\s*/?\s*(?:p|div|br|span|a|img|script|style|table|tr|td|li|ul|h[1-6]|html|body|font|b|i|"
    r"strong|em)\b[^>]*>",
    re.IGNORECASE,
)
_SCRIPT = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li|/tr|/h[1-6])\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,2000}>")
# Inline markup leaves no gap: "1381234<b></b>5678" is one phone number to the de-identifier.
_INLINE_TAG = re.compile(r"</?(?:b|i|u|em|strong|span|font|a|small|big|mark|sub|sup|s|strike|del|ins)\b[^>]{0,2000}>",
                         re.IGNORECASE)
# Control characters, zero-width characters and bidirectional overrides and isolates (a title with U+202E shows
# 局育教区3A as A3区教育局: what a press officer reads must be what was stored).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_MOJIBAKE = re.compile(r"[\u00c0-\u00ef][\u0080-\u00bf]")


def _logged_id(post_id: str) -> str:
    """A post's id as a log line shows it: its pseudonym when the id is itself personal data (an id given in a
    JSON-lines file may be a phone number)."""
    from analysis.deidentify import post_id_pseudonym

    return post_id_pseudonym(post_id) or post_id


def clean_text(text: str | None) -> str:
    """Plain text from whatever a source gave: HTML reduced to text, mojibake repaired, controls and noncharacters
    removed."""
    if not text:
        return ""
    if _HTML_HINT.search(text):
        text = _SCRIPT.sub(" ", text)
        text = _BREAK.sub("\n", text)
        text = html.unescape(_TAG.sub(" ", _INLINE_TAG.sub("", text)))
    elif "&" in text and ";" in text:
        text = html.unescape(text)
    if not _CJK.search(text) and _MOJIBAKE.search(text):
        text = _repair_mojibake(text)
    # A lone surrogate stays one character (U+FFFD, as deidentify gives it); U+FFFE and the other characters no XML
    # document can hold go, or the brief and the evaluation workbook that list this post's case cannot be written.
    return _CONTROL.sub("", xml_text(LONE_SURROGATE.sub("\ufffd", text))).strip()


def deidentify_post(post: Post, deidentify: Callable[[str], Any], deidentify_author: Callable[[str], str]) -> Post:
    """Clean and mask every free-text field — title, text, status, the official reply and its replier —
    and the URL (``mask_url``), and pseudonymise the author (always: masking is idempotent and a flag could lie);
    on failure withhold the field, never pass it on raw.

    A private person's name recognised in one place (我叫王建国…) is masked wherever else it occurs in
    the post too — a title rarely carries the cue that gives a name away, and a reply names the
    petitioner without one.
    """
    fields = {"title": post.title, "text": post.text, "status": post.status,
              "reply": post.reply.text if post.reply else None,
              "replier": post.reply.replier if post.reply else None}
    masked: dict[str, str] = {}
    names: set[str] = set()
    for name, raw in fields.items():
        value = clean_text(raw)
        try:
            result = deidentify(value) if value else None
        except Exception:
            log.exception("de-identification of the %s failed for post %s; it is withheld", name, _logged_id(post.id))
            masked[name] = ""
            continue
        masked[name] = result.text if result is not None else value
        if result is not None:
            names.update(value[a:b] for kind, (a, b) in result.findings if kind == "name" and b - a >= 2)
    for person in sorted(names, key=len, reverse=True):
        mask = person[0] + "*" * (len(person) - 1)
        for name, value in masked.items():
            if person in value:
                masked[name] = value.replace(person, mask)
    updates: dict[str, Any] = {"title": masked["title"] or None, "text": masked["text"],
                               "status": masked["status"] or None}
    if post.reply is not None:
        updates["reply"] = post.reply.model_copy(update={"text": masked["reply"], "replier": masked["replier"] or None})
    if post.url:
        try:
            updates["url"] = mask_url(post.url, deidentify)
        except Exception:
            log.exception("de-identification of the URL failed for post %s; the URL is withheld", _logged_id(post.id))
            updates["url"] = None
    if post.author:
        try:
            updates["author"] = deidentify_author(post.author)
        except Exception:
            log.exception("pseudonymising the author of post %s failed; the author is withheld", _logged_id(post.id))
            updates["author"] = None
    return post.model_copy(update=updates)


# Query keys that carry a person's data; a bare number under any other key is a page id (docid=0201…, tid=10234…)
# and is kept, or the stored link would no longer open the page — unless the number is itself a mobile, ID or card
# number (?q=138…, ?uid=138…, ?id=430…): that is personal data whatever the key is called.
_PERSONAL_KEY = re.compile(r"phone|tel|mobile|name|card|mail|addr|sfz|idno|account|acct|身份|手机|电话|姓名|地址|邮箱|账号|帐号|"
                           r"账户|帐户", re.IGNORECASE)
_BARE_ID = re.compile(r"[0-9A-Za-z_\-]+")


def _may_be_personal(key: str, value: str) -> bool:
    return bool(value) and (_PERSONAL_KEY.search(key) is not None or _BARE_ID.fullmatch(value) is None
                            or is_personal_number(value))


# Keys whose value is a person's name (name=, realname=, contact=, nick=, xm=, lxr=, 姓名=): ``filename`` and
# ``channelname`` are not.
_NAME_KEY = re.compile(r"(?:real|true|full|user|contact|link|nick|u)?[_\-]?name|nick|contact|author|lxr|xm|姓名|联系人|"
                       r"name_?cn", re.IGNORECASE)


def _masked_value(key: str, value: str, deidentify: Callable[[str], Any]) -> str:
    """A query value with its personal data masked; under a name key (name=李建国) a value the text rules find
    nothing in is masked whole but its first character: a bare name has no cue to be found by."""
    if not _may_be_personal(key, value):
        return value
    masked = str(deidentify(value).text)
    if masked == value and _NAME_KEY.fullmatch(key.strip()) is not None:
        return value[:1] + "*" * (len(value) - 1)
    return masked


# A path segment that is a bare id, with or without a file ending (t20190408_123.shtml, 12345678.html), is the
# page's own name, kept as a bare query value is — unless the id is a mobile, ID or card number (/u/13812345678.html);
# one with anything else in it (an @, Chinese) is de-identified.
_BARE_SEGMENT = re.compile(r"(?P<stem>[0-9A-Za-z_\-]+)(?:\.[0-9A-Za-z]{1,6})?")


def _masked_segment(segment: str, deidentify: Callable[[str], Any]) -> str:
    """A path segment with its personal data masked (/u/zhangsan@example.com/), escaped again where it changed."""
    text = unquote(segment)
    bare = _BARE_SEGMENT.fullmatch(text)
    if not text or (bare is not None and not is_personal_number(bare["stem"])):
        return segment
    masked = str(deidentify(text).text)
    return segment if masked == text else quote(masked, safe="*@!$&'()+,;=:~")


# An ID number as deidentify masks it (43**************34); a phone keeps four digits each side of four stars.
_MASKED_ID = re.compile(r"[0-9Xx]{0,6}\*{10,}[0-9Xx]{0,4}")


def _all_stars(match: re.Match[str]) -> str:
    return "*" * len(match.group(0))


def mask_url(url: str, deidentify: Callable[[str], Any]) -> str:
    """The URL with personal data in its path, query and fragment masked (``?phone=138…`` from a form, an e-mail
    address as a path segment) and its userinfo dropped (``http://user:password@host/``, ``http://138…@host/``: a
    password or a person's number is never to be shown); the scheme, host and port are kept, and so is a URL with
    nothing to mask, as it was. A masked link may no longer open its page: privacy before the link."""
    kinds: set[str] = set()

    def noting(text: str) -> Any:
        result = deidentify(text)
        kinds.update(finding.kind for finding in getattr(result, "findings", ()))
        return result

    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    segments = parts.path.split("/")
    masked_segments = [_masked_segment(segment, noting) for segment in segments]
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    masked = [(key, _masked_value(key, value, noting)) for key, value in pairs]
    fragment = unquote(parts.fragment)
    masked_fragment = noting(fragment).text if fragment else fragment
    if "id_card" in kinds and kinds & {"mobile", "landline"}:
        # Never partial ID + phone together (domain.md §6), as deidentify does within one text: here they were two
        # values (?tel=138****2222&id=43**************34), so the ID keeps no digit.
        masked_segments = [_MASKED_ID.sub(_all_stars, segment) for segment in masked_segments]
        masked = [(key, _MASKED_ID.sub(_all_stars, value)) for key, value in masked]
        masked_fragment = _MASKED_ID.sub(_all_stars, masked_fragment)
    if host == parts.netloc and masked_segments == segments and masked == pairs and masked_fragment == fragment:
        return url
    query = urlencode(masked, safe="*") if masked != pairs else parts.query
    fragment = quote(masked_fragment, safe="*/=&?") if masked_fragment != fragment else parts.fragment
    return urlunsplit((parts.scheme, host, "/".join(masked_segments), query, fragment))


def _repair_mojibake(text: str) -> str:
    """UTF-8 bytes decoded as Latin-1/cp1252 ("å¸‚æ°‘") back to Chinese; unchanged when that does not work."""
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _CJK.search(fixed):
            return fixed
    return text


_EMOTICON = re.compile(r"\[[^\[\]\s]{1,8}\]")


def has_chinese(text: str, minimum: int = 2) -> bool:
    """Whether there is Chinese to analyse; Weibo emoticon codes ([哈哈]) are not text."""
    head = text[:2000]
    if "[" in head:
        head = _EMOTICON.sub("", head)
    found = 0
    for _ in _CJK.finditer(head):
        found += 1
        if found >= minimum:
            return True
    return False


@dataclass
class Models:
    """The lazily loaded parts; tests may inject their own."""

    tokenize: Callable[[str], list[str]] | None = None
    normalize: Callable[[str], str] | None = None
    topic: Any = None
    sentiment: Any = None
    dedup: Any = None
    region: Callable[..., Any] | None = None
    deidentify: Callable[[str], Any] | None = None
    deidentify_author: Callable[[str], str] | None = None
    failed: set[str] = field(default_factory=set)
    ready: bool = False


class Enricher:
    """De-identify, tokenize, classify and link posts; one instance per process is the norm (``default``)."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        fallback_topic: str = FALLBACK_TOPIC,
        max_analysis_chars: int = 20_000,
        dedup: Any = None,
        dedup_path: Path | None = None,
        sentiment_model: str = "sentiment",
    ):
        self.clock = clock or SystemClock()
        self.sentiment_model = sentiment_model
        self.fallback_topic = fallback_topic
        self.max_analysis_chars = max_analysis_chars
        self.dedup_path = dedup_path
        self.models = Models(dedup=dedup)
        self._lock = threading.Lock()
        self._dedup_lock = threading.Lock()

    def save_state(self) -> None:
        """Save the whole near-duplicate index (call when a crawl ends), which empties its journal."""
        if self.dedup_path is not None and self.models.dedup is not None:
            with self._dedup_lock:
                self.models.dedup.save(self.dedup_path)

    def _journal_dedup(self, dedup: Any) -> None:
        """Append the batch's posts to the near-duplicate journal before they are indexed, so a killed process
        loses none it indexed (``save_state``, the whole window, is too costly after every batch). A failed write
        costs no post: it is said, and the posts go with the next batch's append."""
        if self.dedup_path is None:
            return
        with self._dedup_lock:
            try:
                dedup.append_journal(self.dedup_path)
            except OSError as exc:
                log.error("could not append to the near-duplicate journal beside %s (%s); tried again with the next "
                          "batch, and the crawl's end saves the whole index", self.dedup_path, exc)

    # ------------------------------------------------------------------ lazy loading

    def _load(self) -> Models:
        """Load whatever is not loaded (or injected) yet, once."""
        m = self.models
        if m.ready:
            return m
        with self._lock:
            if m.ready:
                return m
            if m.deidentify is None or m.deidentify_author is None:
                from analysis.deidentify import deidentify, deidentify_author

                m.deidentify, m.deidentify_author = deidentify, deidentify_author
            if m.region is None:
                from analysis.region import default_resolver

                # Built here, before any post: a broken region_aliases.yaml stops the batch with its one message
                # (RegionConfigError) instead of failing each post's region to its source's.
                m.region = default_resolver().resolve
            if m.tokenize is None or m.normalize is None:
                from analysis.tokenizer import normalize_text, tokenize

                m.tokenize, m.normalize = m.tokenize or tokenize, m.normalize or normalize_text
            if m.topic is None and "topic" not in m.failed:
                m.topic = self._load_model("topic")
            if m.sentiment is None and "sentiment" not in m.failed:
                m.sentiment = self._load_model("sentiment")
            if m.dedup is None:
                from analysis.dedup import NearDuplicateIndex

                m.dedup = (
                    NearDuplicateIndex.open(self.dedup_path)
                    if self.dedup_path is not None
                    else NearDuplicateIndex()
                )
            m.ready = True
        return m

    def _load_model(self, kind: str) -> Any:
        """Load a trained model; without one, posts get the defined fallback and the log says why."""
        from analysis.model_dir import ModelUnavailable

        try:
            if kind == "topic":
                from analysis.topic import TopicModel

                topic = TopicModel.load()
                for warning in topic.taxonomy_warnings:
                    log.warning("topic model: %s", warning)
                return topic
            from analysis.sentiment import SentimentModel

            return SentimentModel.load(self.sentiment_model)
        except (ModelUnavailable, OSError, ValueError) as exc:
            log.error("%s model unavailable, posts get the fallback %s: %s", kind, kind, exc)
            self.models.failed.add(kind)
            return None

    # ------------------------------------------------------------------ enrichment

    def enrich(self, post: Post) -> Post:
        return self.enrich_many([post])[0]

    def enrich_many(self, posts: Sequence[Post]) -> list[Post]:
        """Enrich a batch: per-post steps in order, model predictions for the whole batch at once."""
        m = self._load()
        now = self.clock.now()
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        out = [deidentify_post(p, m.deidentify, m.deidentify_author) for p in posts]  # type: ignore[arg-type]
        texts = [p.full_text()[: self.max_analysis_chars] for p in out]
        # The models and the tokenizer each normalise (NFKC, lower case); normalised once here, their own
        # passes find nothing to do, and the tokenizer's cache serves the same string to all of them.
        normalize = m.normalize
        assert normalize is not None
        model_texts = [normalize(t) for t in texts]
        analysable = [i for i, t in enumerate(texts) if has_chinese(t)]
        topics = self._predict_topics(m, [model_texts[i] for i in analysable])
        sentiments = self._predict_sentiments(m.sentiment, [model_texts[i] for i in analysable])
        by_index = {i: k for k, i in enumerate(analysable)}
        tokenize, region, dedup = m.tokenize, m.region, m.dedup
        assert tokenize is not None and region is not None and dedup is not None
        for i, post in enumerate(out):
            text = texts[i]
            k = by_index.get(i)
            updates: dict[str, Any] = {"deidentified": True, "analyzed_at": now, "lang": script_language(text)}
            empty: list[str] = []
            tokens = self._step("tokenize", post, empty, tokenize, model_texts[i]) if text else empty
            updates["tokens"] = content_terms(tokens)[:MAX_TOKENS_STORED]
            topic = topics[k] if k is not None else None
            if topic is not None:
                label, score, top = topic
                updates.update(topic=label, topic_score=score, topics=top)
            else:  # no Chinese: the model's knows-nothing probability, as `yuqing predict` gives; it failed: 0
                score = _uniform(m.topic) if k is None else 0.0
                updates.update(topic=self.fallback_topic, topic_score=score, topics={self.fallback_topic: score})
            sentiment = sentiments[k] if k is not None else None
            if sentiment is not None:
                updates.update(sentiment=sentiment[0], sentiment_score=sentiment[1], sentiment_reason=sentiment[2])
            else:
                updates.update(sentiment=NEUTRAL, sentiment_score=_uniform(m.sentiment) if k is None else 0.0,
                               sentiment_reason=None)
            # A headline names the place a story is about; a board message is written to the board's government.
            updates["region"] = self._step("region", post, post.region, region, text, post.region,
                                           len(post.title or ""), post.source_type == BOARD_SOURCE_TYPE)
            if text:
                with self._dedup_lock:  # the crawler enriches in worker threads; the index is not thread-safe
                    updates["dup_of"] = self._step("dedup", post, None, dedup.add, post.id, text, post.timestamp())
            else:
                updates["dup_of"] = None
            updates["severity_cues"] = extract_cues(text, posted=post.timestamp()).as_list()
            out[i] = post.model_copy(update=updates)
        self._journal_dedup(dedup)
        return out

    def _step(self, name: str, post: Post, default: T, run: Callable[..., T], *args: Any) -> T:
        """One analysis step; a bug in it costs this field of this post, logged, not the whole post."""
        try:
            return run(*args)
        except Exception:
            log.exception("%s failed for post %s; using the default", name, _logged_id(post.id))
            return default

    def _predict_sentiments(self, model: Any, texts: list[str]) -> list[tuple[str, float, str | None] | None]:
        """(label, score, the grievance rule's reason) per text (``SentimentModel.explain``; a model without it, as a
        test may inject, gives no reason)."""
        if model is None or not texts:
            return [None] * len(texts)
        try:
            if hasattr(model, "explain"):
                return [(str(label), float(score), reason) for label, score, reason in model.explain(texts)]
            return [(str(label), float(score), None) for label, score in model.predict(texts)]
        except Exception:
            log.exception("sentiment prediction failed for a batch of %d posts; using the fallback", len(texts))
            return [None] * len(texts)

    def _predict_topics(
        self, m: Models, texts: list[str]
    ) -> list[tuple[str, float, dict[str, float]] | None]:
        """Best topic, its score and the top-k scores (from ``predict_proba`` when the model has it)."""
        model = m.topic
        if model is None or not texts:
            return [None] * len(texts)
        try:
            labels = getattr(model, "labels", None) or getattr(model, "classes_", None)
            if hasattr(model, "predict_proba") and labels is not None:
                out: list[tuple[str, float, dict[str, float]] | None] = []
                classes = [str(c) for c in labels]
                for row in model.predict_proba(texts):
                    ranked = sorted(zip(classes, (float(p) for p in row), strict=True), key=lambda cp: -cp[1])
                    top = {c: round(p, 4) for c, p in ranked[:TOP_K_TOPICS]}
                    out.append((ranked[0][0], ranked[0][1], top))
                return out
            return [
                (str(label), float(score), {str(label): round(float(score), 4)})
                for label, score in model.predict(texts)
            ]
        except Exception:
            log.exception("topic prediction failed for a batch of %d posts; using the fallback", len(texts))
            return [None] * len(texts)


_default: Enricher | None = None
_default_lock = threading.Lock()


def default_enricher() -> Enricher:
    """The process-wide enricher (one model load and one near-duplicate index per process).

    Its near-duplicate index lives in the state directory (``var/analysis/near_duplicates.npz``): loaded on
    first use, each batch's posts appended to its journal, saved whole by ``save_state`` (the crawler calls it
    when a crawl ends).
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Enricher(
                    dedup_path=paths.state_dir() / "analysis" / "near_duplicates.npz",
                    sentiment_model=_default_sentiment_model,
                )
    return _default


_default_sentiment_model = "sentiment"


def configure_default_enricher(sentiment_model: str) -> None:
    """Choose the sentiment model of the process-wide enricher (settings.yaml ``analysis.sentiment_model``).

    Called by the stages that read the configuration before they enrich; a change after the first batch
    takes effect at the next one.
    """
    global _default_sentiment_model
    with _default_lock:
        _default_sentiment_model = sentiment_model
        if _default is not None and _default.sentiment_model != sentiment_model:
            with _default._lock:
                _default.sentiment_model = sentiment_model
                _default.models.sentiment = None
                _default.models.failed.discard("sentiment")
                _default.models.ready = False


def _uniform(model: Any) -> float:
    """The probability a model gives each of its labels when the text tells it nothing (1 / number of labels)."""
    labels = getattr(model, "labels", None)
    return 1.0 / len(labels) if labels else 0.0
