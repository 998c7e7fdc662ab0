"""Regression floors (eval/floors.json): per eval set, the test-split values a run must not fall below."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.evaluation.evalset import DatasetError
from assistant.evaluation.metrics import split_metrics

FLOORS_FILE = Path("eval/floors.json")


def read_floors(path: Path = FLOORS_FILE) -> dict[str, Any]:
    """Return the floors of each set: {set: {"split", "min": {metric: value}, "max": {metric: value}}}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: unreadable floors ({exc}).") from None
    return dict(data["sets"])


def below_floors(metrics: Mapping[str, Any], floors: Mapping[str, Any]) -> list[str]:
    """Return one line per metric of the floors' split that fell below its floor (or rose above its ceiling)."""
    values = split_metrics(metrics, floors["split"])
    failures = []
    for name, floor in floors["min"].items():
        value = values.get(name)
        # A metric with nothing to measure (None) only passes a zero floor.
        if (value is None and floor > 0) or (value is not None and value < floor):
            failures.append(f"{floors['split']} {name} = {value} fell below its floor {floor}")
    for name, ceiling in floors["max"].items():
        value = values.get(name)
        if value is not None and value > ceiling:
            failures.append(f"{floors['split']} {name} = {value} rose above its ceiling {ceiling}")
    return failures
