"""Event clustering quality on a labelled replay built from real citizen messages.

The replay (all from ../shared/data, nothing copied into the repository):

- **Incidents**: messages of ``zhengwu/messages_with_votes.csv`` that keyword rules put in one of five known
  hot clusters (rules in ``CLUSTER_RULES``, applied to subject + detail):
  伊景园/滨河苑 + 车位 (bundled parking-space sales), 丽发 + 搅拌 (a concrete plant's noise), 58车贷 (a P2P
  loan fraud), 魅力之城 + 烧烤/油烟/夜宵/噪音 (night barbecue stalls), 月亮岛 + 高压 (a high-voltage line).
- **Reposts** of those messages, Weibo style ("希望尽快解决//@网友3: " + original), 0–3 per message.
- **Paraphrases**: the message's sentences shuffled and cut to 50–90 %, and truncations (title plus the first
  40 % of the text).
- **Chatter**: other messages of the same file that match no rule and real Weibo posts
  (``weibo/smp2020_ewect_usual_eval.csv``); each is its own true cluster. Some of these messages are real
  clusters of their own that no rule labels (e.g. template petitions), which can only lower the scores.

Times: the replay is a 72-hour stream; each incident starts in the first 36 h and its messages follow in their
original order over 24 h; reposts follow their original by minutes, paraphrases by hours; chatter is uniform.

Split: messages with an even ``msg_id`` (and even Weibo rows) form the **dev** replay, odd ones the **test**
replay. The similarity threshold was chosen on dev (``--tune`` shows the sweep; rule: the highest ARI among
thresholds with purity ≥ 0.90); the reported scores are on test, with the tracker's default threshold. Every post goes through the full enrichment first (de-identify,
tokens, topic, sentiment, region, near-duplicates), as in production.

Metrics: purity (share of posts whose event's majority label is their own), inverse purity (share of posts in
the event holding most of their true cluster) and the adjusted Rand index (sklearn.metrics).

Run: ``python -m benchmarks.events_quality [--tune]``; the report goes to var/benchmarks/events_quality.md.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sklearn.metrics import adjusted_rand_score

from benchmarks.report import run_main, table, write_report
from yuqing.contract import BOARD_SOURCE_TYPE, MediaTier, Post
from yuqing.paths import shared_data_file

TZ = ZoneInfo("Asia/Shanghai")
REPLAY_START = datetime(2026, 4, 1, 0, 0, tzinfo=TZ)

CLUSTER_RULES: dict[str, Callable[[str], bool]] = {
    "伊景园滨河苑 捆绑车位": lambda t: ("伊景园" in t or "滨河苑" in t) and "车位" in t,
    "丽发新城 搅拌站": lambda t: "丽发" in t and "搅拌" in t,
    "58车贷": lambda t: "58车贷" in t,
    "魅力之城 烧烤油烟": lambda t: "魅力之城" in t and any(k in t for k in ("烧烤", "油烟", "夜宵", "噪音")),
    "月亮岛路 高压线": lambda t: "月亮岛" in t and "高压" in t,
}
# Chatter must not be near an incident either, or it would be unlabelled incident posts.
_NEAR_INCIDENT = re.compile(r"伊景园|滨河苑|丽发|搅拌站|58车贷|魅力之城|月亮岛")
_COMMENTS = ["转发", "支持！", "希望尽快解决", "同问", "关注", "一样的情况", "太过分了", "顶一下", "@市长热线 请重视"]
_SENTENCE = re.compile(r"(?<=[。！？!?；;])")


@dataclass
class Labelled:
    post: Post
    label: str


def _label(text: str) -> str | None:
    hits = [name for name, rule in CLUSTER_RULES.items() if rule(text)]
    return hits[0] if len(hits) == 1 else None


def _paraphrase(rng: random.Random, title: str, detail: str) -> str:
    sentences = [s for s in _SENTENCE.split(detail) if s.strip()]
    if len(sentences) < 2:
        return title + "。" + detail[: max(20, int(len(detail) * 0.7))]
    rng.shuffle(sentences)
    keep = max(1, round(len(sentences) * rng.uniform(0.5, 0.9)))
    return "".join(sentences[:keep])


def build_replay(split: str, seed: int = 7, chatter_messages: int = 600, chatter_weibo: int = 400) -> list[Labelled]:
    """The labelled replay of one split (``dev`` or ``test``), sorted by time."""
    parity = 0 if split == "dev" else 1
    rng = random.Random(f"{seed}-{split}")
    with open(shared_data_file("zhengwu/messages_with_votes.csv"), encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if int(r["msg_id"]) % 2 == parity]
    clusters: dict[str, list[dict[str, str]]] = defaultdict(list)
    chatter_rows = []
    for row in sorted(rows, key=lambda r: r["msg_time"]):
        text = row["subject"] + row["detail"]
        label = _label(text)
        if label:
            clusters[label].append(row)
        elif not _NEAR_INCIDENT.search(text):
            chatter_rows.append(row)
    out: list[Labelled] = []
    for label, members in clusters.items():
        start = REPLAY_START + timedelta(hours=rng.uniform(0, 36))
        step = timedelta(hours=24) / max(1, len(members))
        for i, row in enumerate(members):
            at = start + step * i + timedelta(minutes=rng.uniform(0, 20))
            key = f"zw-{row['msg_id']}"
            out.append(Labelled(Post(id=key, source="zhengwu-board", source_type=BOARD_SOURCE_TYPE,
                                     media_tier=MediaTier.LOCAL, published_at=at, fetched_at=at,
                                     title=row["subject"], text=row["detail"]), label))
            original = f"{row['subject']} {row['detail']}"
            for k in range(rng.choice([0, 0, 1, 1, 2, 3])):
                when = at + timedelta(minutes=rng.uniform(2, 120))
                text = f"{rng.choice(_COMMENTS)}//@网友{rng.randint(1, 9999)}: {original}"
                out.append(Labelled(Post(id=f"{key}-rt{k}", source="weibo", published_at=when, fetched_at=when,
                                         text=text), label))
            if rng.random() < 0.5:
                when = at + timedelta(hours=rng.uniform(0.5, 10))
                out.append(Labelled(Post(id=f"{key}-para", source="weibo", published_at=when, fetched_at=when,
                                         text=_paraphrase(rng, row["subject"], row["detail"])), label))
            if rng.random() < 0.3:
                when = at + timedelta(hours=rng.uniform(0.5, 10))
                cut = row["detail"][: max(15, int(len(row["detail"]) * 0.4))]
                out.append(Labelled(Post(id=f"{key}-trunc", source="news-digest", media_tier=MediaTier.LOCAL,
                                         published_at=when, fetched_at=when, title=row["subject"], text=cut), label))
    for row in rng.sample(chatter_rows, min(chatter_messages, len(chatter_rows))):
        at = REPLAY_START + timedelta(hours=rng.uniform(0, 72))
        key = f"zw-{row['msg_id']}"
        out.append(Labelled(Post(id=key, source="zhengwu-board", source_type=BOARD_SOURCE_TYPE,
                                 media_tier=MediaTier.LOCAL, published_at=at, fetched_at=at, title=row["subject"],
                                 text=row["detail"]), f"noise:{key}"))
    with open(shared_data_file("weibo/smp2020_ewect_usual_eval.csv"), encoding="utf-8") as handle:
        weibo = [r for i, r in enumerate(csv.DictReader(handle)) if i % 2 == parity and r["content"].strip()]
    for row in rng.sample(weibo, min(chatter_weibo, len(weibo))):
        at = REPLAY_START + timedelta(hours=rng.uniform(0, 72))
        key = f"wb-{row['id']}"
        out.append(Labelled(Post(id=key, source="weibo", published_at=at, fetched_at=at, text=row["content"]),
                            f"noise:{key}"))
    return sorted(out, key=lambda x: (x.post.timestamp(), x.post.id))


def enrich_replay(replay: list[Labelled]) -> list[Labelled]:
    """Run the production enrichment over the replay, in time order (near-duplicates depend on it)."""
    from analysis.enrich import Enricher

    enricher = Enricher()
    out = []
    for start in range(0, len(replay), 256):
        chunk = replay[start : start + 256]
        for item, post in zip(chunk, enricher.enrich_many([x.post for x in chunk]), strict=True):
            out.append(Labelled(post, item.label))
    return out


@dataclass
class Scores:
    purity: float
    inverse_purity: float
    ari: float
    events: int
    per_cluster: list[list[object]]


def cluster(replay: list[Labelled], threshold: float | None = None) -> list[str]:
    """Event ids the tracker gives each post (a post with no event is its own cluster)."""
    from analysis.events import EventTracker

    tracker = EventTracker() if threshold is None else EventTracker(threshold=threshold)
    assigned = []
    for item in replay:
        post = item.post.model_copy()
        event = tracker.add(post)
        assigned.append(event.id if event is not None else f"none:{post.id}")
    return assigned


def score(replay: list[Labelled], assigned: list[str]) -> Scores:
    labels = [x.label for x in replay]
    by_event: dict[str, Counter[str]] = defaultdict(Counter)
    by_label: dict[str, Counter[str]] = defaultdict(Counter)
    for label, event in zip(labels, assigned, strict=True):
        by_event[event][label] += 1
        by_label[label][event] += 1
    n = len(labels)
    purity = sum(c.most_common(1)[0][1] for c in by_event.values()) / n
    inverse = sum(c.most_common(1)[0][1] for c in by_label.values()) / n
    rows: list[list[object]] = []
    for label in CLUSTER_RULES:
        events = by_label.get(label)
        if not events:
            continue
        total = sum(events.values())
        top_event, top = events.most_common(1)[0]
        intruders = sum(v for k, v in by_event[top_event].items() if k != label)
        rows.append([label, total, len(events), f"{top / total:.0%}", intruders])
    return Scores(round(purity, 4), round(inverse, 4), round(adjusted_rand_score(labels, assigned), 4),
                  len(by_event), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tune", action="store_true", help="Also sweep the threshold on the dev split.")
    args = parser.parse_args()
    from analysis.events import EventTracker

    default = EventTracker().threshold
    sections = []
    if args.tune:
        dev = enrich_replay(build_replay("dev"))
        rows = []
        for threshold in (0.15, 0.18, 0.2, 0.22, 0.25, 0.3, 0.4):
            s = score(dev, cluster(dev, threshold))
            rows.append([threshold, s.purity, s.inverse_purity, s.ari, s.events])
        sections.append(f"## Threshold sweep on the dev split ({len(dev)} posts) — used to choose, not to report\n\n"
                        "Rule: the highest ARI among thresholds with purity ≥ 0.90.\n\n"
                        + table(["threshold", "purity", "inverse purity", "ARI", "events"], rows))
    started = time.perf_counter()
    test = enrich_replay(build_replay("test"))
    enriched_s = time.perf_counter() - started
    labelled = sum(1 for x in test if not x.label.startswith("noise:"))
    started = time.perf_counter()
    s = score(test, cluster(test))
    cluster_s = time.perf_counter() - started
    sections.insert(0, (
        f"## Test split (threshold {default}, chosen on dev)\n\n"
        f"{len(test)} posts: {labelled} in {len(s.per_cluster)} incidents (originals, reposts, paraphrases), "
        f"{len(test) - labelled} unrelated. Enrichment {enriched_s:.1f} s, clustering {cluster_s:.2f} s.\n\n"
        + table(["metric", "value"], [["purity", s.purity], ["inverse purity", s.inverse_purity],
                                      ["adjusted Rand index", s.ari], ["events formed", s.events]])
        + "\n\nPer incident: posts, events it was spread over, share in its largest event, other posts in that "
          "event.\n\n"
        + table(["incident", "posts", "events", "largest share", "intruders"], s.per_cluster)))
    write_report("events_quality", "Event clustering quality (labelled replay)", "\n\n".join(sections))


if __name__ == "__main__":
    raise SystemExit(run_main(main, "events_quality"))
