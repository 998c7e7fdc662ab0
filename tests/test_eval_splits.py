"""Splits, named sets, labelled-set scores and floors: each reported per split, and each able to fail."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import main
from assistant.errors import AssistantError
from assistant.evaluation.compare import compare_runs, format_comparison, load_run
from assistant.evaluation.evalset import DatasetError, item_from_dict
from assistant.evaluation.labelled import (
    eval_briefing,
    eval_selection,
    eval_support,
    ndcg,
    read_records,
    section_judgements,
    support_metrics,
)
from assistant.evaluation.metrics import metrics_by_split
from assistant.evaluation.policyqa import convert
from assistant.evaluation.runs import read_jsonl
from assistant.evaluation.sets import INDEX_ROOT, SETS, get_set

REPO = Path(__file__).resolve().parents[1]


def _row(qid: str, answer: str, abstained: bool = False) -> dict[str, Any]:
    statements = [{"text": answer, "citations": [], "support": "verified"}] if answer else []
    return {"id": qid, "answer": answer, "abstained": abstained, "statements": statements, "citations": [],
            "retrieved": [], "timings_ms": {"total": 1.0}}  # fmt: skip


def _item(qid: str, split: str, fact: str = "Lithuania") -> Any:
    return item_from_dict(
        {"id": qid, "question": "Who?", "answerable": True, "answer": fact, "must_include": [[fact]], "split": split}
    )


def test_a_split_is_scored_on_its_own_questions_only() -> None:
    items = [_item("a", "dev"), _item("b", "test"), _item("c", "test")]
    rows = [_row("a", "Lithuania"), _row("b", "Lithuania"), _row("c", "no idea")]
    metrics = metrics_by_split(rows, items)
    assert metrics["key_fact_recall"] == pytest.approx(2 / 3)
    assert metrics["splits"]["dev"]["key_fact_recall"] == 1.0
    assert metrics["splits"]["test"]["key_fact_recall"] == 0.5
    assert metrics["splits"]["test"]["n"] == 2


def test_an_unknown_split_is_refused() -> None:
    with pytest.raises(DatasetError, match="split"):
        item_from_dict({"id": "x", "question": "Who?", "split": "train"})


def test_compare_restricts_deltas_and_flips_to_the_split(tmp_path: Path) -> None:
    items = [_item("a", "dev"), _item("b", "test")]
    runs = {}
    for name, answers in {"A": ("Lithuania", "Lithuania"), "B": ("Lithuania", "nothing")}.items():
        folder = tmp_path / name
        folder.mkdir()
        rows = [
            _row(i.id, text) | {"question": i.question, "gold": i.to_gold()}
            for i, text in zip(items, answers, strict=True)
        ]
        (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
        metrics = metrics_by_split(rows, items)
        (folder / "metrics.json").write_text(json.dumps({"run": {}, "metrics": metrics}), "utf-8")
        runs[name] = load_run(folder)
    on_dev = compare_runs(runs["A"], runs["B"], "dev")
    on_test = compare_runs(runs["A"], runs["B"], "test")
    assert on_dev.flips == () and {d.metric: d.change for d in on_dev.deltas}["pass_rate"] == 0
    assert [f.id for f in on_test.flips] == ["b"] and {d.metric: d.change for d in on_test.deltas}["pass_rate"] == -1
    assert "Split: test" in format_comparison(on_test)
    assert [f.id for f in compare_runs(runs["A"], runs["B"]).flips] == ["b"]  # the whole set


def test_support_metrics_rank_and_threshold() -> None:
    records = [{"supported": True}, {"supported": True}, {"supported": False}, {"supported": False}]
    perfect = support_metrics(records, [(0.9, True), (0.8, True), (0.2, False), (0.1, False)])
    assert perfect == {"n": 4, "supported": 2, "roc_auc": 1.0, "precision": 1.0, "recall": 1.0, "accuracy": 1.0}
    inverted = support_metrics(records, [(0.1, False), (0.2, False), (0.8, True), (0.9, True)])
    assert inverted["roc_auc"] == 0.0 and inverted["precision"] == 0.0 and inverted["recall"] == 0.0


def test_ndcg_is_one_for_the_ideal_order_and_less_otherwise() -> None:
    assert ndcg([2, 1, 0], [0, 1, 2], 5) == pytest.approx(1.0)
    assert ndcg([0, 1, 2], [0, 1, 2], 5) < 0.7
    assert ndcg([0, 0], [0, 0], 5) is None  # nothing relevant: not scored


def test_section_judgements_judge_only_labelled_sentences() -> None:
    record = {"sections": {"Recommendations": [{"source": "a.txt", "quote": "States should share data on smugglers."}]}}
    placed = [
        ("Recommendations", "a.txt", "States should share data on smugglers."),
        ("Background and context", "a.txt", "States should share data on smugglers."),
        ("Recommendations", "a.txt", "An unlabelled sentence."),
    ]
    assert section_judgements(placed, record) == [True, False]


def test_labelled_sets_score_the_real_answerer_per_split(assistant) -> None:  # type: ignore[no-untyped-def]
    folder = REPO / "eval" / "seed"
    support = read_records(folder / "support.jsonl")
    picked = [r for r in support if r["split"] == "dev"][:12] + [r for r in support if r["split"] == "test"][:12]
    scores = eval_support(assistant, picked)
    assert set(scores) == {"dev", "test"} and all(s["n"] == 12 for s in scores.values())
    assert all(s["roc_auc"] is None or 0.0 <= s["roc_auc"] <= 1.0 for s in scores.values())

    selection = read_records(folder / "selection.jsonl")
    chosen = [next(r for r in selection if r["split"] == s) for s in ("dev", "test")]
    ranked = eval_selection(assistant, chosen)
    assert set(ranked) == {"dev", "test"} and all(0.0 < s["ndcg@10"] <= 1.0 for s in ranked.values())

    topic = read_records(folder / "briefing.jsonl")[:1]
    note = eval_briefing(assistant, topic)
    assert list(note) == [topic[0]["split"]] and note[topic[0]["split"]]["statements"] > 0


def test_policyqa_questions_name_their_policy_and_policies_are_split(tmp_path: Path) -> None:
    def policy(title: str, n: int) -> dict[str, Any]:
        context = f"{title} keeps your email address private. We never sell it."
        answer = {"text": "We never sell it.", "answer_start": context.index("We never")}
        qas = [{"id": f"{title}-{i}", "question": f"Do you sell my email {i}?", "answers": [answer]} for i in range(n)]
        return {"title": title, "paragraphs": [{"context": context, "qas": qas}]}

    source = tmp_path / "dev.json"
    source.write_text(json.dumps({"data": [policy("a.com", 2), policy("b.org", 3)]}), "utf-8")
    assert convert(source, tmp_path / "out") == 5
    rows = read_jsonl(tmp_path / "out" / "questions.jsonl")
    assert all(r["question"].startswith(("a.com privacy policy: ", "b.org privacy policy: ")) for r in rows)
    by_policy = {r["evidence"][0]["source"]: r["split"] for r in rows}
    assert sorted(by_policy.values()) == ["dev", "test"]  # one policy each, never one split for both
    assert all(r["must_include"] == [["We never sell it."]] for r in rows)
    assert (tmp_path / "out" / "corpus" / "a-com.txt").read_text("utf-8").startswith("a.com keeps")
    assert "a.com privacy policy" in (tmp_path / "out" / "corpus" / "catalog.toml").read_text("utf-8")


def test_named_sets_use_their_own_corpus_and_index(seed_settings) -> None:  # type: ignore[no-untyped-def]
    library = SETS["library"].settings(seed_settings)
    assert library.corpus_dir == Path("shared/library/docs") and library.index_dir == INDEX_ROOT / "library"
    assert seed_settings.index_dir != library.index_dir  # the chat's index is never touched
    with pytest.raises(AssistantError, match="No evaluation set"):
        get_set("nope")


def test_cli_eval_set_reports_dev_and_test_and_checks_floors(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(REPO)  # a set's paths are relative to the repository, as a user runs them
    out = tmp_path / "run"
    common = ["--config", str(tmp_path / "none.toml"), "eval", "--set", "seed", "--out", str(out), "--quiet"]
    assert main([*common, "--limit", "15", "--no-baselines", "--no-labelled"]) == 0
    printed = capsys.readouterr().out
    assert "/test" in printed and "/dev" in printed and "Floors" not in printed  # a --limit run is no gate
    metrics = json.loads((out / "metrics.json").read_text("utf-8"))
    assert metrics["run"]["dataset"] == "eval/questions.jsonl" and metrics["labelled"] == {}

    # The same run judged against floors it cannot meet fails, naming the metric.
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"note": "", "sets": {"seed": {"split": "test", "min": {"pass_rate": 1.01},
                                                               "max": {}}}}), "utf-8")  # fmt: skip
    monkeypatch.setattr("assistant.evaluation.floors.FLOORS_FILE", floors)
    from assistant.cli.eval import _check_floors

    whole_set = argparse.Namespace(set="seed", limit=None, mode=None, answerer=None)
    assert _check_floors(whole_set, metrics["metrics"]) == 1
    assert "test pass_rate" in capsys.readouterr().out


def test_cli_compare_by_split(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    items = [_item("a", "dev"), _item("b", "test")]
    rows = [_row("a", "Lithuania") | {"question": "Who?", "gold": items[0].to_gold()},
            _row("b", "x") | {"question": "Who?", "gold": items[1].to_gold()}]  # fmt: skip
    folder = tmp_path / "A"
    folder.mkdir()
    (folder / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    (folder / "metrics.json").write_text(json.dumps({"metrics": metrics_by_split(rows, items)}), "utf-8")
    shutil.copytree(folder, tmp_path / "B")
    assert main(["eval", "compare", str(folder), str(tmp_path / "B"), "--split", "test"]) == 0
    printed = capsys.readouterr().out
    assert "Split: test" in printed and "Split: dev" not in printed
    assert main(["eval", "compare", str(folder), str(tmp_path / "B")]) == 0
    printed = capsys.readouterr().out
    assert all(f"Split: {s}" in printed for s in ("the whole set", "dev", "test"))
