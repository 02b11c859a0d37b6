"""The one Chinese tokenizer for training, inference and indexing.

jieba's dictionary with the project's user dictionary (government units, livelihood terms, place-name
forms) and stop words. Segmentation runs with jieba's HMM off, so unknown words are not guessed
differently from run to run or backend to backend. The fast backend is ``rjieba`` (jieba-rs, a Rust
port whose output with HMM off is identical to jieba's); plain ``jieba`` is the fallback when rjieba is
not installed. Everything is loaded lazily, once, on first use.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent / "resources"
USER_DICT = RESOURCES / "user_dict.txt"
STOP_WORDS = RESOURCES / "stop_words.txt"

# Texts longer than this are tokenized without caching, so a few huge inputs cannot fill memory.
_CACHEABLE_CHARS = 20_000

_HTML_TAG = re.compile(r"<[^<>]{0,2000}>")
_HTML_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{1,6}|#x[0-9a-fA-F]{1,6});")
_URL = re.compile(r"(?:https?|ftp)://[!-~]+|www\.[!-~]+")
_NON_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_lock = threading.Lock()
_cut: Callable[[str], list[str]] | None = None
_known: Callable[[str], bool] | None = None
_backend_name = ""
_stop_words: frozenset[str] = frozenset()
# What a text's tokens leave out: the stop words and the space _NON_WORD puts between words.
_left_out: frozenset[str] = frozenset()


def _read_entries(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a resource file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _user_words() -> list[tuple[str, int]]:
    """The user dictionary as (word, frequency); a malformed line names the file and line to fix."""
    words = []
    for number, line in enumerate(USER_DICT.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            raise ValueError(
                f"{USER_DICT}:{number}: expected 'word frequency' (e.g. '应急管理局 3000'), got {line!r}"
            )
        words.append((parts[0], int(parts[1])))
    return words


def _load(backend: str | None = None) -> None:
    """Build the segmenter and stop-word set (slow: the dictionary load), once per process."""
    global _cut, _known, _backend_name, _stop_words, _left_out
    words = _user_words()
    name = backend or "rjieba"
    if name == "rjieba":
        try:
            import rjieba
        except ImportError:
            name = "jieba"
        else:
            seg = rjieba.Jieba()
            for word, freq in words:
                seg.add_word(word, freq, None)

            def cut(text: str) -> list[str]:
                return seg.cut(text, False)

            known = seg.has_word

    if name == "jieba":
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        jseg = jieba.Tokenizer()
        jseg.initialize()
        for word, freq in words:
            jseg.add_word(word, freq)

        def cut(text: str) -> list[str]:
            return jseg.lcut(text, HMM=False)

        def known(word: str) -> bool:
            return bool(jseg.FREQ.get(word))

    elif name != "rjieba":
        raise ValueError(f"unknown tokenizer backend {name!r}; use 'rjieba' or 'jieba'")
    _stop_words = frozenset(_read_entries(STOP_WORDS))
    _left_out = _stop_words | {" "}
    _cut = cut
    _known = known
    _backend_name = name


def _ensure_loaded() -> Callable[[str], list[str]]:
    if _cut is None:
        with _lock:
            if _cut is None:
                _load()
    assert _cut is not None
    return _cut


def use_backend(name: str) -> None:
    """Switch the segmentation backend ('rjieba' or 'jieba'); for tests that compare the two."""
    with _lock:
        _load(name)
        _tokenize_cached.cache_clear()


def backend() -> str:
    """Which segmenter is in use, for model cards and benchmark reports."""
    _ensure_loaded()
    return _backend_name


def segment(text: str) -> list[str]:
    """The segmenter's raw words of ``text``, every character kept (no normalising, no stop words): for callers
    that need word boundaries at known positions."""
    return list(_ensure_loaded()(text))


# The characters of real posts that are not NFKC-normal, most frequent first (，！？：（）；… and ～).
_NFKC_FOLDS = tuple((ch, unicodedata.normalize("NFKC", ch)) for ch in "，！？：）（；…～")


def _nfkc(text: str) -> str:
    """NFKC, with the full-width punctuation almost every Chinese text holds folded first by ``str.replace``.

    unicodedata's own pass costs about 0.1 µs a character on a text it changes and next to nothing on one
    already normal. Each fold writes the very characters NFKC decomposes that one to, so the decomposition,
    and with it the result, is the same; unicodedata then finds most texts normal.
    """
    for wide, narrow in _NFKC_FOLDS:
        if wide in text:
            text = text.replace(wide, narrow)
    return unicodedata.normalize("NFKC", text)


def normalize_text(text: str | None) -> str:
    """Unicode-normalise (full-width to half-width), lower-case, and drop HTML tags, entities and URLs."""
    if not text:
        return ""
    if not isinstance(text, str):
        text = str(text)
    text = _nfkc(text).lower()
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    if "&" in text:
        text = _HTML_ENTITY.sub(" ", text)
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    return text


def written_forms(text: str | None, terms: Iterable[str]) -> dict[str, str]:
    """How ``text`` writes those of its ``terms`` that lower-casing changed (A3 for a3, HPV for hpv): tokens are
    lower-cased so that counting and search ignore case, but a term shown to people is shown as it was written."""
    cased = [t for t in terms if t != t.upper()]
    if not text or not cased:
        return {}
    plain = _nfkc(text)
    out = {}
    for term in cased:
        found = re.search(rf"(?<![0-9A-Za-z]){re.escape(term)}(?![0-9A-Za-z])", plain, re.IGNORECASE)
        if found is not None:
            out[term] = found.group(0)
    return out


def _tokenize_uncached(text: str) -> tuple[str, ...]:
    cut = _ensure_loaded()
    cleaned = _NON_WORD.sub(" ", normalize_text(text))
    left_out = _left_out
    return tuple([t for t in cut(cleaned) if t not in left_out])


_tokenize_cached = lru_cache(maxsize=4096)(_tokenize_uncached)


def tokenize(text: str | None) -> list[str]:
    """Content tokens of a text: segmented, without punctuation, whitespace, emoji or stop words.

    Results for recent texts are cached, so enrichment, the topic model and indexing can all call this
    on the same text and pay for segmentation once.
    """
    if not text:
        return []
    if len(text) <= _CACHEABLE_CHARS:
        return list(_tokenize_cached(text))
    return list(_tokenize_uncached(text))


def index_tokens(text: str | None) -> list[str]:
    """Tokens for search: each long word is preceded by the dictionary words inside it (jieba's search mode).

    So a query for 爆炸 finds a text segmented as 发生爆炸, and a query for 发生爆炸 still matches exactly.
    Derived from the cached ``tokenize`` output, so indexing costs no second segmentation.
    """
    tokens = tokenize(text)
    if _known is None:
        return tokens
    known, stop = _known, _stop_words
    out: list[str] = []
    for word in tokens:
        if len(word) > 2:
            out.extend(g for i in range(len(word) - 1) if known(g := word[i : i + 2]) and g not in stop)
            if len(word) > 3:
                out.extend(g for i in range(len(word) - 2) if known(g := word[i : i + 3]) and g not in stop)
        out.append(word)
    return out


def cut_for_index(text: str | None) -> str:
    """Space-joined search tokens for Elasticsearch whitespace-analyzed fields; cut queries the same way."""
    return " ".join(index_tokens(text))


def has_chinese(text: str | None) -> bool:
    """Whether a text contains any CJK ideograph: models give a low-confidence fallback otherwise."""
    return text is not None and _CJK.search(text) is not None


_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")


def script_language(text: str | None) -> str:
    """The language a post's script shows: zh (Chinese characters), ja (kana), ko (Hangul), en (Latin letters
    only) or und (none of these: digits, emoji, empty). A mixed Chinese-English post is zh."""
    if not text:
        return "und"
    if _KANA.search(text):
        return "ja"
    if _CJK.search(text):
        return "zh"
    if _HANGUL.search(text):
        return "ko"
    return "en" if _LATIN.search(text) else "und"


def join_pretokenized(text: str) -> str:
    """Undo a space-separated tokenisation (spaces between CJK characters), keeping spaces between words."""
    return _PRETOKENIZED_GAP.sub("", text)


_PRETOKENIZED_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def looks_pretokenized(texts: list[str], threshold: float = 0.15) -> bool:
    """Whether a column holds space-separated tokens rather than raw text.

    Raw Chinese has almost no spaces between ideographs; a tokenized column has one every few characters.
    """
    gaps = 0
    cjk = 0
    for text in texts[:500]:
        if not text:
            continue
        gaps += len(_PRETOKENIZED_GAP.findall(text))
        cjk += len(_CJK.findall(text))
    return cjk > 0 and gaps / cjk >= threshold


class PhraseIndex:
    """Where phrases (keywords, incident words) occur in a token list, as whole words or runs of words.

    Each phrase is segmented like any text; a phrase whose tokens do not join back to it (it contains stop
    words or punctuation) could never be seen in a token list and is left out (``unseen`` lists those).
    Phrases are keyed by their first token, so a token list is scanned once whatever the number of phrases.
    Used by the topic model's keyword features and by its incident rule.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        """``pairs``: (phrase, label); a phrase may carry several labels, and a label many phrases."""
        by_first: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        self.unseen: list[str] = []
        for phrase, label in pairs:
            parts = tuple(tokenize(phrase))
            if not parts or "".join(parts) != phrase.lower():
                self.unseen.append(phrase)
                continue
            by_first.setdefault(parts[0], []).append((parts[1:], phrase, label))
        self._by_first = by_first

    def __bool__(self) -> bool:
        return bool(self._by_first)

    @property
    def phrases(self) -> set[str]:
        """Every indexed phrase (those in ``unseen`` are not)."""
        return {phrase for entries in self._by_first.values() for _, phrase, _ in entries}

    def find(self, tokens: Sequence[str]) -> list[tuple[str, str]]:
        """(phrase, label) for every occurrence of every indexed phrase in ``tokens``, in token order."""
        by_first = self._by_first
        found: list[tuple[str, str]] = []
        starts = [i for i, token in enumerate(tokens) if token in by_first]  # (few tokens start a phrase)
        for i in starts:
            for rest, phrase, label in by_first[tokens[i]]:
                if not rest or tuple(tokens[i + 1 : i + 1 + len(rest)]) == rest:
                    found.append((phrase, label))
        return found
