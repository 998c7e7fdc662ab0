"""`assistant eval` (run an evaluation set) and `assistant eval compare A B` (diff two runs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from assistant.cli.options import progress_bar
from assistant.config import ANSWERERS, RETRIEVAL_MODES, Settings
from assistant.errors import AssistantError
from assistant.evaluation.evalset import SPLITS
from assistant.evaluation.metrics import HEADLINE, split_metrics
from assistant.evaluation.sets import SETS, get_set

DEFAULT_DATASET = Path("eval/questions.jsonl")


def register(subparsers: Any) -> None:
    """Add the `eval` command (with its `compare` subcommand) to the CLI."""
    p = subparsers.add_parser(
        "eval",
        help="run an evaluation set and write results.jsonl, metrics.json, report.html",
        description="Run every question of an evaluation set through the assistant. "
        "`assistant eval compare DIR_A DIR_B` compares two finished runs.",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--dataset",
        type=Path,
        default=None,
        help=f"JSONL questions, asked of the configured index (default: {DEFAULT_DATASET})",
    )
    which.add_argument(
        "--set",
        choices=sorted(SETS),
        default=None,
        help="a named set over its own corpus and index, with its labelled sets: "
        + "; ".join(f"{s.name}: {s.about}" for s in SETS.values()),
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
    p.add_argument(
        "--labelled",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --set, also score its labelled sets: support, sentence selection, briefing sections",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_eval)

    sub = p.add_subparsers(metavar="{compare}", dest="eval_command")
    c = sub.add_parser("compare", help="print metric deltas and flipped questions between two runs")
    c.add_argument("run_a", type=Path, help="the earlier run folder (A)")
    c.add_argument("run_b", type=Path, help="the later run folder (B)")
    c.add_argument(
        "--split",
        choices=("all", *SPLITS),
        default=None,
        help="compare only this split (default: the whole set, then each split both runs hold)",
    )
    c.set_defaults(func=cmd_compare)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.evaluate import evaluate
    from assistant.evaluation.runs import REPORT_FILE
    from assistant.pipeline import Assistant

    if args.out is None:
        raise AssistantError("Say where to write the run: assistant eval --out DIR (e.g. --out runs/today).")
    if args.limit is not None and args.limit < 1:
        raise AssistantError("--limit must be 1 or more.")
    dataset, labelled = args.dataset or DEFAULT_DATASET, None
    if args.set:
        chosen = get_set(args.set)
        settings = chosen.settings(settings)
        dataset, labelled = chosen.questions, chosen.labelled if args.labelled else None
        _index(settings, args.quiet)
    assistant = Assistant.from_settings(settings)
    with progress_bar(args.quiet, "question") as progress:
        run = evaluate(
            assistant,
            dataset,
            args.out,
            mode=args.mode,
            answerer=args.answerer,
            baselines=args.baselines,
            limit=args.limit,
            progress=progress,
            labelled=labelled,
        )
    print(format_table([(r.mode, r.metrics) for r in (run.main, *run.baselines)]))
    for line in format_labelled(run.labelled):
        print(line)
    print(f"\nWrote {run.out_dir}/results.jsonl, metrics.json and {REPORT_FILE} ({run.info['seconds']:.0f} s).")
    return _check_floors(args, run.main.metrics)


def _check_floors(args: argparse.Namespace, metrics: dict[str, Any]) -> int:
    """Return 1 when a whole run of a named set fell below its floors in eval/floors.json (printed), else 0."""
    from assistant.evaluation.floors import FLOORS_FILE, below_floors, read_floors

    floors = read_floors(FLOORS_FILE).get(args.set) if args.set and FLOORS_FILE.is_file() else None
    if floors is None or args.limit or args.mode or args.answerer:
        return 0  # floors hold for the whole set in the default mode and answerer
    failures = below_floors(metrics, floors)
    print(f"Floors ({FLOORS_FILE}, {floors['split']} split): " + ("all held." if not failures else "FAILED"))
    for line in failures:
        print(f"  {line}")
    return 1 if failures else 0


def _index(settings: Settings, quiet: bool) -> None:
    """Bring the set's own index up to date with its corpus (only changed files are read again)."""
    from assistant.ingest.update import ingest

    with progress_bar(quiet, "chunk") as progress:
        report = ingest(settings, progress=progress)
    for source, why in report.skipped:
        print(f"skipped {source}: {why}")


def format_table(results: list[tuple[str, dict[str, Any]]]) -> str:
    """Return the headline metrics of each mode, one column per mode and split (test, dev, then all)."""
    splits = [s for s in ("test", "dev") if any(s in m.get("splits", {}) for _, m in results)] + ["all"]
    columns = [(f"{mode}/{split}", split_metrics(m, split)) for split in splits for mode, m in results]
    width = max(12, *(len(name) + 2 for name, _ in columns))
    lines = [f"{'metric':<24}" + "".join(f"{name:>{width}}" for name, _ in columns)]
    for name in ("n", *HEADLINE):
        values = [m.get(name) for _, m in columns]
        lines.append(f"{name:<24}" + "".join(f"{_cell(v):>{width}}" for v in values))
    p50 = [m.get("latency_ms", {}).get("total", {}).get("p50") for _, m in columns]
    lines.append(f"{'latency p50 (ms)':<24}" + "".join(f"{'-' if v is None else f'{v:.0f}':>{width}}" for v in p50))
    return "\n".join(lines)


def format_labelled(labelled: dict[str, Any]) -> list[str]:
    """Return one line per labelled set and split: its scores."""
    lines = []
    for name, splits in labelled.items():
        for split, scores in splits.items():
            shown = ", ".join(f"{k} {_cell(v)}" for k, v in scores.items())
            lines.append(f"{name + '/' + split:<24}{shown}")
    return (["", "labelled sets:"] + lines) if lines else []


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.compare import compare_runs, format_comparison, load_run

    a, b = load_run(args.run_a), load_run(args.run_b)
    splits = [args.split] if args.split else ["all", *[s for s in SPLITS if s in a.splits and s in b.splits]]
    print("\n\n".join(format_comparison(compare_runs(a, b, split)) for split in splits))
    return 0
