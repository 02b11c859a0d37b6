"""What a model directory is, and whether this yuqing can use one.

A model directory holds ``model.joblib`` (a scikit-learn Pipeline), ``meta.json`` (format version,
library versions, labels, training data, held-out scores, the command that retrains it) and
``MODEL_CARD.md``. Loading one checks its format and library versions; a directory that cannot be used
raises ModelUnavailable with the exact command that rebuilds it. Inference and training both read it here.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

FORMAT_VERSION = 2  # 2: features hashed by analysis.hashing (1: sklearn's HashingVectorizer)
SHIPPED_MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
CARD_FILE = "MODEL_CARD.md"
MODEL_FILES = frozenset({MODEL_FILE, META_FILE, CARD_FILE})

SHIPPED_COMMAND = "yuqing train {kind} --shipped"
CSV_COMMAND = "yuqing train {kind} --data CSV --text-column TEXT --label-column LABEL --out {out}"


class ModelUnavailable(Exception):
    """A model directory that cannot be used; the message says how to (re)train one."""


class ModelNotFound(ModelUnavailable):
    """No model at the given place."""


class IncompatibleModel(ModelUnavailable):
    """A model written by another format version or scikit-learn release, or of another kind."""


def retrain_hint(kind: str, path: Path, meta: dict[str, Any] | None = None) -> str:
    """The exact command that rebuilds the model at ``path``, paths quoted for a shell."""
    retrain = meta.get("retrain") if isinstance(meta, dict) else None
    if isinstance(retrain, dict) and retrain.get("data"):
        # A model copied or moved since it was trained is rebuilt where it is now, not where it was.
        return csv_retrain_command(kind, Path(retrain["data"]), str(retrain.get("text_column", "text")),
                                   str(retrain.get("label_column", "label")), path, retrain.get("encoder"))
    if isinstance(meta, dict) and meta.get("retrain_command"):  # models written before the paths were stored
        return re.sub(r"--out \S+", lambda _: f"--out {shlex.quote(str(path))}", str(meta["retrain_command"]))
    if path.resolve() == (SHIPPED_MODELS / kind).resolve():
        return SHIPPED_COMMAND.format(kind=kind)
    return CSV_COMMAND.format(kind=kind, out=shlex.quote(str(train_target(path, kind, f"{kind}-model"))))


def train_target(path: Path, kind: str | None, name: str) -> Path:
    """Where ``yuqing train --out`` can write a model meant for ``path``: ``path`` itself when train accepts it;
    inside it (as ``name``) when it is a directory of other files; else a new ``name`` beside it. A file, a
    broken model directory or a model of another kind is not offered: train refuses to replace those."""
    candidates = [path]
    if path.is_dir() and not_model_files(path):
        candidates.append(path / name)
    candidates += [path.parent / name] + [path.parent / f"{name}-{n}" for n in range(2, 100)]
    return next((c for c in candidates if model_out_refusal(c, kind) is None), candidates[-1])


def csv_retrain_command(kind: str, data: Path, text_column: str, label_column: str, out: Path,
                        encoder: str | None = None) -> str:
    """``yuqing train`` with absolute, shell-quoted paths: it works from any directory."""
    parts = ["yuqing", "train", kind, "--data", str(data if str(data) == "-" else data.absolute()), "--text-column",
             text_column,
             "--label-column", label_column, "--out", str(out.absolute())] + (["--encoder", encoder] if encoder else [])
    return " ".join(shlex.quote(part) for part in parts)


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def read_model_dir(path: Path, kind: str) -> tuple[Any, dict[str, Any]]:
    """Load and check a model directory; raise ModelUnavailable with the retrain command if unusable."""
    meta_path = path / META_FILE
    if not path.is_dir() or not meta_path.is_file():
        raise ModelNotFound(
            f"no {kind} model at {path} (expected {META_FILE} and {MODEL_FILE} there); "
            f"train one with: {retrain_hint(kind, path)}"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IncompatibleModel(
            f"{meta_path} is unreadable ({exc}); retrain with: {retrain_hint(kind, path)}"
        ) from exc
    if not isinstance(meta, dict):
        raise IncompatibleModel(f"{meta_path} is not a model's description (a JSON object); retrain with: "
                                f"{retrain_hint(kind, path)}")
    hint = retrain_hint(kind, path, meta)
    if meta.get("kind") != kind:
        raise IncompatibleModel(
            f"{path} holds a {meta.get('kind')!r} model, not a {kind} model; point to a {kind} model "
            f"directory or train one with: {retrain_hint(kind, path)}"
        )
    if meta.get("format_version") != FORMAT_VERSION:
        raise IncompatibleModel(
            f"{path} was written in model format {meta.get('format_version')!r}, this yuqing reads format "
            f"{FORMAT_VERSION}; retrain with: {hint}"
        )
    trained_with = str(meta.get("sklearn_version", "unknown"))
    if _minor(trained_with) != _minor(sklearn.__version__):
        raise IncompatibleModel(
            f"{path} was trained with scikit-learn {trained_with}, this environment has "
            f"{sklearn.__version__} (pickled models only load in the same release); retrain with: {hint}"
        )
    try:
        pipeline = joblib.load(path / MODEL_FILE)
    except FileNotFoundError as exc:
        raise ModelNotFound(f"{path / MODEL_FILE} is missing; retrain with: {hint}") from exc
    except Exception as exc:  # unpickling raises many types: all mean "cannot use this file"
        raise IncompatibleModel(f"{path / MODEL_FILE} cannot be loaded ({exc!r}); retrain with: {hint}") from exc
    if not (hasattr(pipeline, "predict_proba") and hasattr(pipeline, "classes_")):
        raise IncompatibleModel(f"{path / MODEL_FILE} holds a {type(pipeline).__name__}, not a trained model; "
                                f"retrain with: {hint}")
    _ready_for_prediction(pipeline)
    return pipeline, meta


def _ready_for_prediction(pipeline: Any) -> None:
    """Lay linear weights out as float64 in column-major order once, at load.

    ``decision_function`` multiplies the sparse features by ``coef_.T``; scipy needs that operand
    C-contiguous and of the features' dtype, so a row-major float32 ``coef_`` was copied (megabytes)
    on every call — most of the cost of classifying one post at a time.
    """
    for estimator in nested_estimators(pipeline):
        if isinstance(estimator, LinearSVC) and getattr(estimator, "coef_", None) is not None:
            estimator.coef_ = np.asfortranarray(estimator.coef_, dtype=np.float64)


def nested_estimators(obj: Any) -> list[Any]:
    """Every estimator nested inside a fitted pipeline (steps, unions, calibrators, wrappers)."""
    found = [obj]
    children: list[Any] = []
    if isinstance(obj, Pipeline):
        children = [step for _, step in obj.steps]
    elif hasattr(obj, "transformer_list"):
        children = [t for _, t in obj.transformer_list]
    for attr in ("estimator_", "estimator", "scorer"):
        child = getattr(obj, attr, None)
        if child is not None and not isinstance(child, str):
            children.append(child)
    for calibrated in getattr(obj, "calibrated_classifiers_", []):
        children.append(calibrated.estimator)
    for child in children:
        if child is not obj and not isinstance(child, str):
            found.extend(nested_estimators(child))
    return found


def not_model_files(out: Path) -> list[str]:
    """What a directory holds besides a model's three files (none when it does not exist)."""
    return sorted(p.name for p in out.iterdir() if p.name not in MODEL_FILES) if out.is_dir() else []


def model_out_refusal(out: Path, kind: str | None) -> str | None:
    """Why train would refuse ``--out`` (completing "--out OUT …"), or None. ``kind`` None: any model is refused."""
    if out.exists() and not out.is_dir():
        return "is a file; a model is a directory (model.joblib, meta.json, MODEL_CARD.md): give a new or existing directory"
    if not out.is_dir() or not any(out.iterdir()):
        return None
    extra = not_model_files(out)
    if extra:
        return (f"holds files that are not the model's ({', '.join(extra[:5])}); retraining replaces the whole "
                "directory. Move them out, or give a new directory")
    try:
        meta = json.loads((out / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None
    held = meta.get("kind") if isinstance(meta, dict) else None
    if kind is None or held != kind:
        what = f"a {held} model" if held else "files that are not a yuqing model"
        return (f"already holds {what}; training would replace them. Give a new directory"
                + (f" (or the directory of a {kind} model to retrain it)" if kind else ""))
    return None

