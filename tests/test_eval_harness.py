"""The eval harness end to end on a tiny dataset through the real assistant; `eval compare` on two runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.cli.run import main
from assistant.evaluation.compare import compare_runs, format_comparison, load_run
from assistant.evaluation.evalset import items_from_rows, load_dataset
from assistant.evaluation.evaluate import evaluate
from assistant.evaluation.metrics import HEADLINE, compute_metrics
from assistant.evaluation.runs import read_jsonl

REPO = Path(__file__).resolve().parents[1]
ASK_KEYS = {"question", "answer", "abstained", "statements", "citations", "retrieved", "timings_ms"}


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two answerable questions and one unanswerable one from the project's set."""
    records = [json.loads(line) for line in (REPO / "eval" / "questions.jsonl").read_text("utf-8").splitlines() if line]
    dev = [r for r in records if r["split"] == "dev"]
    picked = [next(r for r in records if r["answerable"] and r["split"] == "test")]
    picked += [next(r for r in dev if r["answerable"]), next(r for r in dev if not r["answerable"])]
    path = tmp_path_factory.mktemp("tiny") / "tiny.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in picked), "utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_run(assistant, tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run-a")
    seen: list[tuple[int, int, str]] = []
    evaluate(assistant, tiny_dataset, out, progress=lambda d, t, w: seen.append((d, t, w)))
    # Default mode plus the two baselines: 3 questions x 3 runs, reported in order.
    assert [d for d, _, _ in seen] == list(range(1, 10)) and {t for _, t, _ in seen} == {9}
    return out


def test_run_folder_holds_the_three_files_with_the_right_keys(tiny_run: Path, tiny_dataset: Path) -> None:
    rows = read_jsonl(tiny_run / "results.jsonl")
    assert [r["id"] for r in rows] == [i.id for i in load_dataset(tiny_dataset)]
    for row in rows:
        assert set(row) >= ASK_KEYS, row.keys()
        assert set(row["gold"]) == {"answerable", "type", "answer", "must_include", "evidence", "split"}
        assert len(row["retrieved"]) >= 10 and {"source", "page", "text", "score"} <= set(row["retrieved"][0])
        assert "total" in row["timings_ms"]

    data = json.loads((tiny_run / "metrics.json").read_text("utf-8"))
    assert set(data) == {"run", "metrics", "baselines", "labelled"}
    assert data["run"]["questions"] == 3 and data["run"]["baselines"] == ["bm25", "dense"]
    assert "generator_api_key" not in data["run"]["settings"]  # secrets stay out of run files
    assert set(data["baselines"]) == {"bm25", "dense"}
    for metrics in (data["metrics"], *data["baselines"].values()):
        assert set(HEADLINE) <= set(metrics)
        assert (metrics["n"], metrics["n_answerable"], metrics["n_unanswerable"]) == (3, 2, 1)
        assert "total" in metrics["latency_ms"] and set(metrics["latency_ms"]["total"]) >= {"p50", "p95"}
        assert set(metrics["by_type"]) == {"factoid", "unanswerable"}
        # Each split is scored on its own questions: one test question, two dev ones.
        assert {s: m["n"] for s, m in metrics["splits"].items()} == {"dev": 2, "test": 1}
        assert metrics["splits"]["dev"]["n_unanswerable"] == 1
    # The first question's evidence is in the seed corpus: some mode must retrieve it in the top 10.
    assert max(m["evidence_recall@10"] for m in (data["metrics"], *data["baselines"].values())) > 0
    assert (tiny_run / "results-bm25.jsonl").is_file() and (tiny_run / "results-dense.jsonl").is_file()

    html = (tiny_run / "report.html").read_text("utf-8")
    assert html.count("data:image/png;base64,") == 2  # per-type bars and latency histogram, embedded
    assert "<script src" not in html and "<link" not in html  # self-contained
    assert "bm25" in html and "dense" in html and "Failing questions" in html


def test_compare_reports_a_flipped_question(tiny_run: Path, tmp_path: Path) -> None:
    run_b = tmp_path / "run-b"
    shutil.copytree(tiny_run, run_b)
    rows = read_jsonl(run_b / "results.jsonl")
    # Flip the unanswerable question: it passes exactly when the assistant abstains.
    flipped = next(r for r in rows if not r["gold"]["answerable"])
    flipped["abstained"] = not flipped["abstained"]
    (run_b / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    data = json.loads((run_b / "metrics.json").read_text("utf-8"))
    data["metrics"] = compute_metrics(rows, items_from_rows(rows))
    (run_b / "metrics.json").write_text(json.dumps(data), "utf-8")

    comparison = compare_runs(load_run(tiny_run), load_run(run_b))
    assert [f.id for f in comparison.flips] == [flipped["id"]]
    assert comparison.flips[0].passed_in_b == flipped["abstained"]
    delta = {d.metric: d for d in comparison.deltas}
    assert delta["pass_rate"].change == pytest.approx(1 / 3 if flipped["abstained"] else -1 / 3)
    text = format_comparison(comparison)
    assert flipped["id"] in text and "Flipped questions: 1" in text


def test_cli_eval_and_compare(seed_settings, tiny_dataset: Path, tiny_run: Path, tmp_path: Path, capsys) -> None:
    common = ["--config", str(tmp_path / "none.toml"), "--index-dir", str(seed_settings.index_dir)]
    out = tmp_path / "cli-run"
    args = ["eval", "--dataset", str(tiny_dataset), "--out", str(out), "--no-baselines", "--limit", "2", "--quiet"]
    assert main([*common, *args]) == 0
    assert json.loads((out / "metrics.json").read_text("utf-8"))["baselines"] == {}
    assert len(read_jsonl(out / "results.jsonl")) == 2
    assert "pass_rate" in capsys.readouterr().out

    assert main([*common, "eval", "compare", str(tiny_run), str(out)]) == 0
    printed = capsys.readouterr().out
    assert "evidence_recall@5" in printed and "Not in both runs" in printed

    assert main([*common, "eval", "compare", str(tiny_run), str(tmp_path / "missing")]) == 1
    assert "not an eval run folder" in capsys.readouterr().err


def test_eval_tab_runs_a_dataset_through_a_real_gradio_server(assistant, tiny_dataset: Path) -> None:
    import gradio as gr
    from gradio_client import Client

    from assistant.ui.eval_tab import build_eval_tab

    with gr.Blocks() as demo, gr.Tab("Eval"):
        build_eval_tab(assistant.settings, assistant, dataset_dir=tiny_dataset.parent)
    demo.queue().launch(prevent_thread_lock=True, quiet=True)
    try:
        client = Client(demo.local_url, verbose=False)
        status, metrics, failures, files = client.predict(str(tiny_dataset), None, "bm25", True, 0, api_name="/run")
    finally:
        demo.close()
    assert "3 questions" in status and "mode bm25" in status
    assert metrics["headers"] == ["metric", "bm25 (default)", "dense"]
    assert [row[0] for row in metrics["data"]][:2] == ["evidence_recall@5", "mrr"]
    assert failures["headers"] == ["id", "type", "question", "why", "answer"]
    assert {row[0] for row in failures["data"]} <= {i.id for i in load_dataset(tiny_dataset)}
    assert all(row[3] for row in failures["data"])  # every failing row says why
    assert sorted(Path(f).name for f in files) == ["metrics.json", "report.html", "results.jsonl"]
    assert "data:image/png;base64," in Path(files[0]).read_text("utf-8")
