"""Regression gate: the seed eval set, default mode, must stay above its test-split floors in eval/floors.json.

The library set's floors are checked by `assistant eval --set library` and by the slow test below
(indexing its 58 documents takes about 7 minutes on 2 cores, too long for every run: `pytest -m slow`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.evaluation.evaluate import evaluate
from assistant.evaluation.floors import below_floors, read_floors
from assistant.evaluation.metrics import HEADLINE, LOWER_IS_BETTER
from assistant.evaluation.sets import SETS

REPO = Path(__file__).resolve().parents[1]
FLOORS = REPO / "eval" / "floors.json"
DATASET = REPO / "eval" / "questions.jsonl"


def _floors() -> dict[str, Any]:
    return read_floors(FLOORS)


def test_floors_name_headline_metrics_of_a_test_split_in_the_right_direction() -> None:
    data = json.loads(FLOORS.read_text("utf-8"))
    assert set(data) == {"note", "sets"}
    assert {"seed", "library"} <= set(data["sets"]) <= set(SETS)
    for floors in data["sets"].values():
        assert set(floors) == {"split", "min", "max"} and floors["split"] == "test"
        assert set(floors["min"]) | set(floors["max"]) <= set(HEADLINE), "unknown metric in eval/floors.json"
        assert set(floors["max"]) <= LOWER_IS_BETTER and not set(floors["min"]) & LOWER_IS_BETTER
        assert all(0.0 <= v <= 1.0 for v in (*floors["min"].values(), *floors["max"].values()))


@pytest.fixture(scope="module")
def gate_metrics(assistant, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # One pass of the whole set in the default mode; baselines are for reports, not for the gate.
    out = tmp_path_factory.mktemp("eval-gate")
    return evaluate(assistant, DATASET, out, baselines=False).main.metrics


@pytest.mark.eval
def test_headline_metrics_stay_above_the_floors(gate_metrics: dict[str, Any]) -> None:
    failures = below_floors(gate_metrics, _floors()["seed"])
    assert not failures, "eval regression (eval/floors.json):\n" + "\n".join(failures)


def test_a_floor_fails_a_run_below_it_and_passes_one_above() -> None:
    floors = {"split": "test", "min": {"pass_rate": 0.5}, "max": {"false_abstention_rate": 0.1}}
    good = {"splits": {"test": {"pass_rate": 0.6, "false_abstention_rate": 0.05}}}
    bad = {"splits": {"test": {"pass_rate": 0.4, "false_abstention_rate": 0.2}}}
    assert below_floors(good, floors) == []
    assert len(below_floors(bad, floors)) == 2
    assert below_floors({"splits": {}}, floors) == ["test pass_rate = None fell below its floor 0.5"]


@pytest.mark.eval
def test_eval_ran_every_question_without_errors(gate_metrics: dict[str, Any]) -> None:
    n_questions = sum(1 for line in DATASET.read_text("utf-8").splitlines() if line.strip())
    assert gate_metrics["n"] == n_questions
    assert gate_metrics["errors"] == 0


@pytest.mark.slow
@pytest.mark.eval
def test_library_test_split_stays_above_its_floors(tmp_path_factory: pytest.TempPathFactory) -> None:
    from assistant.config import load_settings
    from assistant.ingest.update import ingest
    from assistant.pipeline import Assistant

    library = SETS["library"]
    settings = load_settings(
        Path("/nonexistent/assistant.toml"),
        environ={},
        corpus_dir=REPO / library.corpus,
        index_dir=tmp_path_factory.mktemp("library-index"),
    )
    ingest(settings)
    run = evaluate(
        Assistant.from_settings(settings), REPO / library.questions, tmp_path_factory.mktemp("lib"), baselines=False
    )
    failures = below_floors(run.main.metrics, _floors()["library"])
    assert not failures, "eval regression on the library (eval/floors.json):\n" + "\n".join(failures)
