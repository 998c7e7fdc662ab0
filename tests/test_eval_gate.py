"""Regression gate: the project's eval set, default mode, must stay above the floors in eval/floors.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.evaluation.evaluate import evaluate
from assistant.evaluation.metrics import HEADLINE, LOWER_IS_BETTER

REPO = Path(__file__).resolve().parents[1]
FLOORS = REPO / "eval" / "floors.json"
DATASET = REPO / "eval" / "questions.jsonl"


def _floors() -> dict[str, Any]:
    return json.loads(FLOORS.read_text("utf-8"))


def test_floors_name_headline_metrics_in_the_right_direction() -> None:
    floors = _floors()
    assert set(floors) == {"note", "min", "max"}
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
    floors = _floors()
    failures = []
    for name, floor in floors["min"].items():
        value = gate_metrics.get(name)
        # A metric with nothing to measure (None) only passes a zero floor.
        if (value is None and floor > 0) or (value is not None and value < floor):
            failures.append(f"{name} = {value} fell below its floor {floor}")
    for name, ceiling in floors["max"].items():
        value = gate_metrics.get(name)
        if value is not None and value > ceiling:
            failures.append(f"{name} = {value} rose above its ceiling {ceiling}")
    assert not failures, "eval regression (eval/floors.json):\n" + "\n".join(failures)


@pytest.mark.eval
def test_eval_ran_every_question_without_errors(gate_metrics: dict[str, Any]) -> None:
    n_questions = sum(1 for line in DATASET.read_text("utf-8").splitlines() if line.strip())
    assert gate_metrics["n"] == n_questions
    assert gate_metrics["errors"] == 0
