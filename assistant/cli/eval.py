"""`assistant eval` (run an evaluation set) and `assistant eval compare A B` (diff two runs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from assistant.cli.options import progress_bar
from assistant.config import ANSWERERS, RETRIEVAL_MODES, Settings
from assistant.errors import AssistantError
from assistant.evaluation.metrics import HEADLINE

DEFAULT_DATASET = Path("eval/questions.jsonl")


def register(subparsers: Any) -> None:
    """Add the `eval` command (with its `compare` subcommand) to the CLI."""
    p = subparsers.add_parser(
        "eval",
        help="run an evaluation set and write results.jsonl, metrics.json, report.html",
        description="Run every question of an evaluation set through the assistant. "
        "`assistant eval compare DIR_A DIR_B` compares two finished runs.",
    )
    p.add_argument(
        "--dataset", type=Path, default=DEFAULT_DATASET, help=f"JSONL questions (default: {DEFAULT_DATASET})"
    )
    p.add_argument("--out", type=Path, default=None, help="folder for the run's files (created if missing)")
    p.add_argument("--mode", choices=RETRIEVAL_MODES, default=None, help="retrieval mode (default: setting)")
    p.add_argument("--answerer", choices=ANSWERERS, default=None, help="default: the answerer setting")
    p.add_argument(
        "--baselines",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run --mode bm25 and --mode dense and show them in the report (default: on)",
    )
    p.add_argument("--limit", type=int, default=None, help="only the first N questions (a quick check)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)

    sub = p.add_subparsers(metavar="{compare}", dest="eval_command")
    c = sub.add_parser("compare", help="print metric deltas and flipped questions between two runs")
    c.add_argument("run_a", type=Path, help="the earlier run folder (A)")
    c.add_argument("run_b", type=Path, help="the later run folder (B)")
    c.set_defaults(func=cmd_compare)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.evaluate import evaluate
    from assistant.evaluation.runs import REPORT_FILE
    from assistant.pipeline import Assistant

    if args.out is None:
        raise AssistantError("Say where to write the run: assistant eval --out DIR (e.g. --out runs/today).")
    if args.limit is not None and args.limit < 1:
        raise AssistantError("--limit must be 1 or more.")
    assistant = Assistant.from_settings(settings)
    with progress_bar(args.quiet, "question") as progress:
        run = evaluate(
            assistant,
            args.dataset,
            args.out,
            mode=args.mode,
            answerer=args.answerer,
            baselines=args.baselines,
            limit=args.limit,
            progress=progress,
        )
    results = [run.main, *run.baselines]
    print(f"{'metric':<24}" + "".join(f"{r.mode:>15}" for r in results))
    for name in HEADLINE:
        values = [r.metrics.get(name) for r in results]
        print(f"{name:<24}" + "".join(f"{'-' if v is None else f'{v:.3f}':>15}" for v in values))
    total = [r.metrics.get("latency_ms", {}).get("total", {}).get("p50") for r in results]
    print(f"{'latency p50 (ms)':<24}" + "".join(f"{'-' if v is None else f'{v:.0f}':>15}" for v in total))
    print(f"\nWrote {run.out_dir}/results.jsonl, metrics.json and {REPORT_FILE} ({run.info['seconds']:.0f} s).")
    return 0


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.compare import compare_runs, format_comparison, load_run

    print(format_comparison(compare_runs(load_run(args.run_a), load_run(args.run_b))))
    return 0
