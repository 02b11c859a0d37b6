"""Whether the topic model in use and taxonomy.yaml agree on the topics.

The model learnt its labels when it was trained; taxonomy.yaml is read at every start. A topic added to the
taxonomy is never predicted until the model is retrained, and a topic removed from it would still be predicted
and then routed nowhere (the model in use maps it to the fallback, see ``analysis.topic.TopicModel``). Only json
is imported here: ``yuqing config check`` reads the model's meta.json, not the model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The topic model `yuqing run` and `yuqing analyze` load (the one definition of its place: TopicModel.default_dir), and
# the command that rebuilds it from the taxonomy.
SHIPPED_TOPIC_MODEL = Path(__file__).resolve().parent / "models" / "topic"
RETRAIN_SHIPPED_TOPIC = "yuqing train topic --shipped"


@dataclass(frozen=True)
class TopicDisagreement:
    """Topics of the taxonomy the model cannot predict, and topics the model predicts the taxonomy no longer has.

    Retraining does not drop a removed topic from the shipped model: its training data maps some corpora's
    classes to fixed topics (analysis.training.ZHENGWU_TO_TOPIC), so the fallback is the answer for those."""

    unpredictable: tuple[str, ...]
    removed: tuple[str, ...]

    def warnings(self, model_dir: Path, taxonomy_file: Path | str, fallback: str, retrain: str) -> list[str]:
        """What a deployer reads at `config check` and at model load: what goes wrong, and the command that fixes it."""
        out = []
        if self.unpredictable:
            out.append(f"topic(s) {', '.join(self.unpredictable)} of {taxonomy_file} are not among the labels of the "
                       f"topic model in use ({model_dir}): no post is ever given them. Retrain the model on the "
                       f"taxonomy with `{retrain}`, or remove them from taxonomy.yaml")
        if self.removed:
            out.append(f"the topic model in use ({model_dir}) predicts {', '.join(self.removed)}, which "
                       f"{taxonomy_file} no longer has: such posts get the fallback topic {fallback} instead. To "
                       "have them routed to a unit, put the topic(s) back in taxonomy.yaml with a route in units.yaml")
        return out


def disagreement(model_labels: Sequence[str], taxonomy_labels: Sequence[str]) -> TopicDisagreement:
    """Compare label sets (the taxonomy's labels include its fallback)."""
    known, wanted = set(model_labels), set(taxonomy_labels)
    return TopicDisagreement(tuple(t for t in taxonomy_labels if t not in known),
                             tuple(t for t in model_labels if t not in wanted))


def shipped_model_labels() -> list[str] | None:
    """The labels the shipped topic model was trained on, from its meta.json; None when it cannot be read (loading
    the model then says why, with the command that rebuilds it)."""
    try:
        labels = json.loads((SHIPPED_TOPIC_MODEL / "meta.json").read_text(encoding="utf-8")).get("labels")
    except (OSError, ValueError, AttributeError):
        return None
    return [str(label) for label in labels] if isinstance(labels, list) else None
