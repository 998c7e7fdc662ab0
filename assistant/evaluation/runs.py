"""An eval run's records and files: one pass per mode, the run folder's file names, and JSON-lines I/O."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS_FILE = "results.jsonl"
METRICS_FILE = "metrics.json"
REPORT_FILE = "report.html"


@dataclass(frozen=True, slots=True)
class RunResult:
    """One pass of a dataset in one retrieval mode."""

    mode: str
    rows: list[dict[str, Any]]
    metrics: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EvalRun:
    """A finished evaluation: the default run, its baselines and where the files were written."""

    out_dir: Path
    info: dict[str, Any]
    main: RunResult
    baselines: tuple[RunResult, ...]
    labelled: dict[str, Any] = field(default_factory=dict)  # labelled-set scores by set and split

    def metrics_json(self) -> dict[str, Any]:
        """Return the content of metrics.json."""
        baselines = {b.mode: b.metrics for b in self.baselines}
        return {"run": self.info, "metrics": self.main.metrics, "baselines": baselines, "labelled": self.labelled}


def write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write `rows` as JSON lines."""
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Return the rows of a results file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
