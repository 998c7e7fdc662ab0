"""The Eval tab of the Gradio app: pick a dataset, run it with progress, see metrics and failures, download the report.

A thin adapter: the work is `assistant.evaluation.evaluate.evaluate`; the tables come from the pure functions below.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.config import RETRIEVAL_MODES, Settings
from assistant.errors import AssistantError
from assistant.evaluation.evalset import items_from_rows
from assistant.evaluation.evaluate import evaluate
from assistant.evaluation.metrics import HEADLINE, failing, failure_reason, judge_all
from assistant.evaluation.runs import METRICS_FILE, REPORT_FILE, RESULTS_FILE, EvalRun
from assistant.ui.identity import record, require

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

DEFAULT_DATASET_DIR = Path("eval")
FAILING_HEADERS = ["id", "type", "question", "why", "answer"]


def dataset_choices(folder: Path) -> list[str]:
    """Return the JSONL evaluation sets in `folder`, sorted (the floors file and run folders are not sets)."""
    return sorted(str(p) for p in folder.glob("*.jsonl")) if folder.is_dir() else []


def metrics_table(run: EvalRun) -> dict[str, Any]:
    """Return the headline metrics as Dataframe data: one row per metric, one column per run."""
    runs = [run.main, *run.baselines]
    headers = ["metric", *(f"{r.mode} (default)" if i == 0 else r.mode for i, r in enumerate(runs))]
    data: list[list[Any]] = []
    for name in HEADLINE:
        data.append([name, *(_cell(r.metrics.get(name)) for r in runs)])
    data.append(["latency p50 ms", *(_cell(r.metrics["latency_ms"].get("total", {}).get("p50"), 0) for r in runs)])
    return {"headers": headers, "data": data}


def failing_table(run: EvalRun) -> dict[str, Any]:
    """Return the default run's failing questions as Dataframe data."""
    items = items_from_rows(run.main.rows)
    item_by_id = {i.id: i for i in items}
    row_by_id = {str(r["id"]): r for r in run.main.rows}
    data = []
    for j in failing(judge_all(run.main.rows, items)):
        item = item_by_id[j.id]
        why = failure_reason(j, item)
        data.append([j.id, j.type, item.question, why, str(row_by_id[j.id].get("answer", ""))])
    return {"headers": FAILING_HEADERS, "data": data}


def _cell(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def build_eval_tab(settings: Settings, assistant: Assistant, dataset_dir: Path = DEFAULT_DATASET_DIR) -> None:
    """Create the Eval tab's components inside the current `gr.Blocks()` (or `gr.Tab`) context."""
    choices = dataset_choices(dataset_dir)
    gr.Markdown(
        "Run an evaluation set through the assistant. Each run writes `results.jsonl`, `metrics.json` and a "
        "self-contained `report.html`; see docs/evaluation.md for what each metric means."
    )
    with gr.Row():
        dataset = gr.Dropdown(choices, value=choices[0] if choices else None, label="Dataset", allow_custom_value=True)
        upload = gr.File(label="...or upload a JSONL set", file_types=[".jsonl"], type="filepath")
    with gr.Row():
        mode = gr.Dropdown(list(RETRIEVAL_MODES), value=settings.retrieval_mode, label="Retrieval mode")
        baselines = gr.Checkbox(value=True, label="Also run the bm25 and dense baselines")
        limit = gr.Number(value=0, precision=0, minimum=0, label="Only the first N questions (0 = all)")
    run_button = gr.Button("Run evaluation", variant="primary")
    status = gr.Markdown()
    metrics = gr.Dataframe(label="Headline metrics", interactive=False)
    failures = gr.Dataframe(label="Failing questions (default mode)", interactive=False, wrap=True)
    files = gr.File(label="Report and run files", file_count="multiple", interactive=False)

    def run(
        dataset_path: str | None,
        uploaded: str | None,
        mode_value: str,
        with_baselines: bool,
        limit_value: float | None,
        request: gr.Request | None = None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio injects progress through this default)
    ) -> tuple[str, dict[str, Any], dict[str, Any], list[str]]:
        user = require(settings, request, "eval", "Running evaluations")
        path = uploaded or dataset_path
        if not path:
            raise gr.Error("Pick a dataset or upload a JSONL evaluation set.")
        record(settings, user, "eval", f"{Path(path).name} mode={mode_value}")
        # Each run gets its own folder in the temp directory, which Gradio is allowed to serve for download.
        out = Path(tempfile.mkdtemp(prefix="assistant-eval-"))
        try:
            result = evaluate(
                assistant,
                Path(path),
                out,
                mode=mode_value,
                baselines=with_baselines,
                limit=int(limit_value or 0) or None,
                user=user,  # answers from what this evaluator may read
                progress=lambda done, total, what: progress((done, total), desc=f"mode {what}", unit="questions"),
            )
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        m = result.main.metrics
        summary = (
            f"**{m['n']} questions**, mode {result.main.mode}, answerer {result.info['answerer']}: "
            f"pass rate {_cell(m['pass_rate'])}, {result.info['seconds']:.0f} s. Open `report.html` below for plots."
        )
        paths = [str(out / REPORT_FILE), str(out / METRICS_FILE), str(out / RESULTS_FILE)]
        return summary, metrics_table(result), failing_table(result), paths

    # One eval at a time: a run keeps the CPU busy for minutes, and chat users share the same machine.
    run_button.click(
        run,
        inputs=[dataset, upload, mode, baselines, limit],
        outputs=[status, metrics, failures, files],
        concurrency_limit=1,
        concurrency_id="eval",
    )
