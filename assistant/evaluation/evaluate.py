"""Run an evaluation set through the assistant and write results.jsonl, metrics.json and report.html."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.accounts.roles import LOCAL_USER, User
from assistant.errors import AssistantError
from assistant.evaluation.evalset import EvalItem, load_dataset
from assistant.evaluation.labelled import eval_labelled
from assistant.evaluation.metrics import metrics_by_split
from assistant.evaluation.runs import METRICS_FILE, REPORT_FILE, RESULTS_FILE, EvalRun, RunResult, write_jsonl
from assistant.output.contract import answer_to_json
from assistant.types import Progress

if TYPE_CHECKING:
    from assistant.pipeline import Assistant


BASELINE_MODES = ("bm25", "dense")
# Settings never copied into metrics.json: they may hold secrets.
_SECRET_SETTINGS = frozenset({"generator_api_key", "auth"})


def run_rows(
    assistant: Assistant,
    items: Sequence[EvalItem],
    *,
    mode: str | None = None,
    answerer: str | None = None,
    progress: Progress | None = None,
    done_before: int = 0,
    total: int | None = None,
    user: User = LOCAL_USER,
) -> list[dict[str, Any]]:
    """Return one result row per item: `id`, the `ask --json` fields and the item's gold fields."""
    total = total or len(items)
    label = mode or assistant.settings.retrieval_mode
    rows = []
    for i, item in enumerate(items, start=1):
        try:
            row = {
                "id": item.id,
                **answer_to_json(assistant.ask(item.question, mode=mode, answerer=answerer, user=user)),
            }
        except AssistantError as exc:
            # One bad question (too long, say) must not lose the run; the row fails and says why.
            row = _error_row(item, str(exc))
        row["gold"] = item.to_gold()
        rows.append(row)
        if progress:
            progress(done_before + i, total, label)
    return rows


def _error_row(item: EvalItem, message: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "question": item.question,
        "answer": "",
        "abstained": False,
        "statements": [],
        "citations": [],
        "retrieved": [],
        "timings_ms": {},
        "error": message,
    }


def evaluate(
    assistant: Assistant,
    dataset: Path,
    out_dir: Path,
    *,
    mode: str | None = None,
    answerer: str | None = None,
    baselines: bool = True,
    limit: int | None = None,
    progress: Progress | None = None,
    labelled: Path | None = None,
    user: User = LOCAL_USER,
) -> EvalRun:
    """Run `dataset` (and the bm25/dense baselines) through `assistant`; write the run folder.

    `labelled` is a folder of labelled sets (support, selection, briefing) to score as well. Questions are
    answered from the documents `user` may read (the Eval tab runs as its evaluator).
    """
    items = load_dataset(dataset, limit)
    settings = assistant.settings
    mode = mode or settings.retrieval_mode
    answerer = answerer or settings.answerer
    baseline_modes = [m for m in BASELINE_MODES if m != mode] if baselines else []
    total = len(items) * (1 + len(baseline_modes))
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")

    rows = run_rows(assistant, items, mode=mode, answerer=answerer, progress=progress, total=total, user=user)
    main = RunResult(mode, rows, metrics_by_split(rows, items))
    extra = []
    for i, baseline in enumerate(baseline_modes, start=1):
        done = i * len(items)
        b_rows = run_rows(
            assistant,
            items,
            mode=baseline,
            answerer=answerer,
            progress=progress,
            done_before=done,
            total=total,
            user=user,
        )
        extra.append(RunResult(baseline, b_rows, metrics_by_split(b_rows, items)))

    info = {
        "dataset": str(dataset),
        "questions": len(items),
        "mode": mode,
        "answerer": answerer,
        "baselines": baseline_modes,
        "started": started_at,
        "settings": _settings_json(settings),
    }
    scores = eval_labelled(assistant, labelled)
    info["seconds"] = round(time.perf_counter() - started, 1)
    run = EvalRun(out_dir, info, main, tuple(extra), scores)
    write_run(run, items)
    return run


def write_run(run: EvalRun, items: Sequence[EvalItem]) -> None:
    """Write results.jsonl, results-<baseline>.jsonl, metrics.json and report.html into the run folder."""
    from assistant.evaluation.report import render_report

    out = run.out_dir
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("results-*.jsonl"):  # baselines of an earlier run into the same folder
        stale.unlink()
    write_jsonl(out / RESULTS_FILE, run.main.rows)
    for b in run.baselines:
        write_jsonl(out / f"results-{b.mode}.jsonl", b.rows)
    (out / METRICS_FILE).write_text(json.dumps(run.metrics_json(), indent=1, ensure_ascii=False) + "\n", "utf-8")
    (out / REPORT_FILE).write_text(render_report(run, items), "utf-8")


def _settings_json(settings: Any) -> dict[str, Any]:
    values = dataclasses.asdict(settings)
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in values.items() if k not in _SECRET_SETTINGS}
