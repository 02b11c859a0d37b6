"""`yuqing train` and `yuqing predict` driven through click, on small CSVs written by the tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.commands import predict_command, train_command
from analysis.model_dir import FORMAT_VERSION
from analysis.topic import TopicModel

PLACES = ["A1区", "A2区", "A3区", "A4区", "A5区", "A6区", "A7区", "B1县", "B2县", "B3县", "C1镇", "C2镇", "C3镇", "D1街道", "D2街道", "D3街道"]
TEMPLATES = {
    "交通": ["{p}的公交车总是晚点，等车要一个小时", "{p}路口红绿灯坏了好几天，交通拥堵严重", "{p}道路坑洼不平，开车很危险"],
    "教育": ["{p}小学学位紧张，孩子入学难", "{p}幼儿园收费太高，家长负担重", "{p}中学老师课堂上推销教辅资料"],
    "环境": ["{p}化工厂排放废气，异味刺鼻", "{p}搅拌站噪音扰民，晚上睡不着", "{p}河道污水横流，垃圾成堆"],
}


SENTIMENT_TEMPLATES = [
    ("{p}物业太差劲了，投诉了也没人管，气死了", "negative"),
    ("{p}医院排队三小时，医生态度恶劣，太失望了", "negative"),
    ("{p}今天召开会议，通报了上周工作安排", "neutral"),
    ("{p}公交线路下月调整，具体以公告为准", "neutral"),
    ("{p}的志愿者真棒，感谢你们的辛苦付出", "positive"),
    ("{p}新公园开放了，环境好美，超开心", "positive"),
]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def labelled_rows() -> list[dict[str, str]]:
    return [
        {"id": f"{label}-{i}-{j}", "content": template.format(p=place), "category": label}
        for label, templates in TEMPLATES.items()
        for i, template in enumerate(templates)
        for j, place in enumerate(PLACES)
    ]


def test_train_topic_writes_a_loadable_model_and_prints_scores(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "labelled.csv", labelled_rows())
    out = tmp_path / "model"
    result = CliRunner().invoke(
        train_command,
        ["topic", "--data", str(data), "--text-column", "content", "--label-column", "category", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "raw text" in result.output
    for label in TEMPLATES:
        assert f"| {label} |" in result.output
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["kind"] == "topic" and sorted(meta["labels"]) == sorted(TEMPLATES)
    assert "yuqing train topic --data" in meta["retrain_command"]
    assert (out / "MODEL_CARD.md").read_text(encoding="utf-8").startswith("# topic model card")
    model = TopicModel.load(out)
    assert model.predict(["E9区的公交车晚点，等了一个小时"])[0][0] == "交通"


def test_train_detects_space_separated_tokens(tmp_path: Path) -> None:
    rows = labelled_rows()
    from analysis.tokenizer import tokenize

    for row in rows:
        row["content"] = " ".join(tokenize(row["content"]))
    data = write_csv(tmp_path / "tokens.csv", rows)
    result = CliRunner().invoke(
        train_command,
        ["topic", "--data", str(data), "--text-column", "content", "--label-column", "category", "--out", str(tmp_path / "m")],
    )
    assert result.exit_code == 0, result.output
    assert "space-separated tokens" in result.output


def test_train_sentiment_and_predict_a_csv(tmp_path: Path) -> None:
    rows = [{"text": t.format(p=p), "polarity": y} for t, y in SENTIMENT_TEMPLATES for p in PLACES]
    data = write_csv(tmp_path / "senti.csv", rows)
    out = tmp_path / "senti-model"
    runner = CliRunner()
    result = runner.invoke(
        train_command, ["sentiment", "--data", str(data), "--label-column", "polarity", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "meta.json").read_text(encoding="utf-8"))["kind"] == "sentiment"

    inputs = write_csv(
        tmp_path / "in.csv",
        [{"id": "1", "text": "Z9区物业太差劲了，投诉也没人管"}, {"id": "2", "text": "😀😀"}, {"id": "3", "text": ""}],
    )
    predicted = tmp_path / "out.csv"
    result = runner.invoke(predict_command, ["--model", str(out), "--data", str(inputs), "--out", str(predicted)])
    assert result.exit_code == 0, result.output
    with predicted.open(encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert [r["id"] for r in written] == ["1", "2", "3"]
    assert written[0]["label"] == "negative"
    assert [r["label"] for r in written[1:]] == ["neutral", "neutral"]
    assert all(0.0 <= float(r["score"]) <= 1.0 for r in written)


def test_predict_with_the_shipped_topic_model(tmp_path: Path) -> None:
    inputs = write_csv(tmp_path / "in.csv", [{"title": "某化工厂发生爆炸致3人死亡"}, {"title": "国足客场逆转取胜"}])
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(inputs), "--text-column", "title"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "title,label,score"
    assert lines[1].startswith("某化工厂发生爆炸致3人死亡,安全生产,")
    assert lines[2].startswith("国足客场逆转取胜,非民生,")


@pytest.mark.parametrize(
    "meta, expected",
    [
        (None, "no topic model at"),
        ({"kind": "topic", "format_version": FORMAT_VERSION, "sklearn_version": "0.23.0"},
         "trained with scikit-learn 0.23.0"),
        ({"kind": "topic", "format_version": 1}, "written in model format 1, this yuqing reads format"),
    ],
)
def test_predict_with_a_missing_or_incompatible_model_says_how_to_retrain(
    tmp_path: Path, meta: dict | None, expected: str
) -> None:
    model_dir = tmp_path / "old-model"
    if meta is not None:
        model_dir.mkdir()
        (model_dir / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    inputs = write_csv(tmp_path / "in.csv", [{"text": "医院乱收费"}])
    result = CliRunner().invoke(predict_command, ["--model", str(model_dir), "--data", str(inputs)])
    assert result.exit_code != 0
    assert expected in result.output
    assert "yuqing train topic" in result.output


def test_train_reports_bad_columns_and_too_few_rows(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "labelled.csv", labelled_rows())
    runner = CliRunner()
    result = runner.invoke(train_command, ["topic", "--data", str(data), "--text-column", "body", "--out", str(tmp_path / "m")])
    assert result.exit_code != 0
    assert "no column 'body'" in result.output and "--text-column" in result.output
    few = write_csv(tmp_path / "few.csv", labelled_rows()[:20] + labelled_rows()[-3:])
    result = runner.invoke(
        train_command, ["topic", "--data", str(few), "--text-column", "content", "--label-column", "category", "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 0, result.output
    assert "label(s) '环境' have fewer than 10 rows" in result.output
    assert "no held-out score could be computed" in result.output


@pytest.mark.parametrize(
    "content, expected",
    [
        ("id,text,text\n1,医院排队,学校收费\n", "column name(s) 'text' appear more than once"),
        ("id,text\n1,医院排队,多出来的值\n", "line 2: 3 fields where the header has 2"),
        ("", "is empty; it needs a header row"),
    ],
)
def test_predict_refuses_a_csv_that_would_lose_or_shift_values(tmp_path: Path, content: str, expected: str) -> None:
    data = tmp_path / "in.csv"
    data.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code != 0 and expected in result.output
    assert not (tmp_path / "o.csv").exists()


def test_predict_keeps_the_inputs_own_label_column_and_reads_a_megabyte_field(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "gold.csv", [{"text": "医院排队太久", "label": "就医", "score": "1"},
                                              {"text": "医" * 1_000_000, "label": "x", "score": ""}])
    out = tmp_path / "o.csv"
    result = CliRunner().invoke(predict_command, ["--model", "topic", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "kept as 'input_label'" in result.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == ["text", "input_label", "input_score", "label", "score"]
    assert [r["input_label"] for r in rows] == ["就医", "x"] and rows[0]["label"] == "就医"
    assert len(rows[1]["text"]) == 1_000_000


def test_train_says_how_many_rows_it_left_out_and_refuses_a_file_as_model_dir(tmp_path: Path) -> None:
    rows = labelled_rows() + [{"id": "empty", "content": "", "category": "交通"}]
    data = write_csv(tmp_path / "labelled.csv", rows)
    args = ["topic", "--data", str(data), "--text-column", "content", "--label-column", "category"]
    taken = tmp_path / "a-file"
    taken.write_text("not a model", encoding="utf-8")
    refused = CliRunner().invoke(train_command, [*args, "--out", str(taken)])
    assert refused.exit_code != 0 and "is a file; a model is a directory" in refused.output
    assert taken.read_text(encoding="utf-8") == "not a model"
    result = CliRunner().invoke(train_command, [*args, "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert "left out 1 row(s) with an empty 'content' or 'category'" in result.output


def test_a_model_trained_on_its_own_labels_gives_text_without_chinese_its_commonest_label(tmp_path: Path) -> None:
    """No 非民生 or neutral among the labels: the commonest one, not the alphabetically first (交通)."""
    rows = labelled_rows()
    rows += [dict(r, id=r["id"] + "-again", content=r["content"] + "，再次反映") for r in rows if r["category"] == "环境"]
    data = write_csv(tmp_path / "labelled.csv", rows)
    out = tmp_path / "model"
    result = CliRunner().invoke(train_command, ["topic", "--data", str(data), "--text-column", "content",
                                                "--label-column", "category", "--out", str(out)])
    assert result.exit_code == 0, result.output
    inputs = write_csv(tmp_path / "in.csv", [{"text": "😀😀😀"}, {"text": "hello world"}])
    predicted = CliRunner().invoke(predict_command, ["--model", str(out), "--data", str(inputs)])
    rows_out = list(csv.DictReader(predicted.output.splitlines()))
    assert [r["label"] for r in rows_out] == ["环境", "环境"] and all(float(r["score"]) < 0.5 for r in rows_out)


@pytest.mark.parametrize("kind", ["topic", "sentiment"])
def test_the_same_data_trains_the_same_model(tmp_path: Path, kind: str) -> None:
    """LinearSVC's coordinate descent shuffles with numpy's global generator unless told a seed."""
    import numpy as np

    from analysis.model_dir import read_model_dir

    if kind == "topic":
        data, columns = write_csv(tmp_path / "d.csv", labelled_rows()), ["--text-column", "content", "--label-column",
                                                                          "category"]
    else:
        rows = [{"text": t.format(p=p), "polarity": y} for t, y in SENTIMENT_TEMPLATES for p in PLACES]
        data, columns = write_csv(tmp_path / "d.csv", rows), ["--label-column", "polarity"]
    probe = ["E9区的公交车晚点，等了一个小时", "物业太差劲了", "感谢志愿者", "会议通报"]
    probabilities = []
    for run in (1, 2):
        np.random.seed(run)
        out = tmp_path / f"m{run}"
        result = CliRunner().invoke(train_command, [kind, "--data", str(data), *columns, "--out", str(out)])
        assert result.exit_code == 0, result.output
        probabilities.append(read_model_dir(out, kind)[0].predict_proba(probe))
    assert np.array_equal(probabilities[0], probabilities[1])
