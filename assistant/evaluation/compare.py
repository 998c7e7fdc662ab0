"""`eval compare`: metric deltas between two run folders and the questions whose pass/fail flipped."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.evalset import DatasetError, items_from_rows
from assistant.evaluation.metrics import HEADLINE, LOWER_IS_BETTER, RECALL_AT, judge, split_metrics
from assistant.evaluation.runs import METRICS_FILE, RESULTS_FILE, read_jsonl

_EXTRA = tuple(f"evidence_recall@{k}" for k in RECALL_AT if k != 5)


@dataclass(frozen=True, slots=True)
class LoadedRun:
    """A run folder read back: its metrics.json and each question's outcome."""

    folder: Path
    info: dict[str, Any]
    metrics: dict[str, Any]
    passed: dict[str, bool]  # question id -> passed
    questions: dict[str, str]  # question id -> question text
    types: dict[str, str]  # question id -> type
    split_of: dict[str, str]  # question id -> dev | test | mixed | ""

    @property
    def splits(self) -> set[str]:
        return set(self.metrics.get("splits", {}))

    def in_split(self, qid: str, split: str) -> bool:
        return split == "all" or self.split_of.get(qid) == split


@dataclass(frozen=True, slots=True)
class Delta:
    metric: str
    a: float | None
    b: float | None
    lower_is_better: bool

    @property
    def change(self) -> float | None:
        return None if self.a is None or self.b is None else self.b - self.a


@dataclass(frozen=True, slots=True)
class Flip:
    id: str
    type: str
    question: str
    passed_in_b: bool  # True: fail -> pass (fixed); False: pass -> fail (broken)


@dataclass(frozen=True, slots=True)
class Comparison:
    split: str  # all | dev | test
    a: LoadedRun
    b: LoadedRun
    deltas: tuple[Delta, ...]
    flips: tuple[Flip, ...]
    only_in_a: tuple[str, ...]
    only_in_b: tuple[str, ...]


def load_run(folder: Path) -> LoadedRun:
    """Return a run folder's metrics and per-question outcomes; raise DatasetError if it is not one."""
    metrics_path, results_path = folder / METRICS_FILE, folder / RESULTS_FILE
    if not metrics_path.is_file() or not results_path.is_file():
        raise DatasetError(
            f"{folder} is not an eval run folder (no {METRICS_FILE} and {RESULTS_FILE}); "
            f"run `assistant eval --out {folder}` first."
        )
    try:
        data = json.loads(metrics_path.read_text(encoding="utf-8"))
        rows = read_jsonl(results_path)
        items = items_from_rows(rows)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DatasetError(f"{folder}: unreadable run files ({exc}); re-run the eval into a fresh folder.") from None
    judgements = [judge(row, item) for row, item in zip(rows, items, strict=True)]
    return LoadedRun(
        folder=folder,
        info=data.get("run", {}),
        metrics=data.get("metrics", {}),
        passed={j.id: j.passed for j in judgements},
        questions={i.id: i.question for i in items},
        types={i.id: i.type for i in items},
        split_of={i.id: i.split for i in items},
    )


def _compared(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, float | None, float | None, bool]]:
    """Return (name, value in a, value in b, lower is better): headline metrics, latency, pass rate by type."""
    out = [(n, a.get(n), b.get(n), n in LOWER_IS_BETTER) for n in (*HEADLINE, *_EXTRA)]
    la, lb = a.get("latency_ms", {}), b.get("latency_ms", {})
    for stage in sorted(set(la) | set(lb)):
        for q in ("p50", "p95"):
            out.append((f"latency_ms.{stage}.{q}", la.get(stage, {}).get(q), lb.get(stage, {}).get(q), True))
    ta, tb = a.get("by_type", {}), b.get("by_type", {})
    for type_ in sorted(set(ta) | set(tb)):
        rate_a, rate_b = ta.get(type_, {}).get("pass_rate"), tb.get(type_, {}).get("pass_rate")
        out.append((f"pass_rate[{type_}]", rate_a, rate_b, False))
    return out


def compare_runs(a: LoadedRun, b: LoadedRun, split: str = "all") -> Comparison:
    """Return the metric deltas from run `a` to run `b` on `split` ("all", "dev" or "test") and the
    questions of that split whose outcome changed."""
    deltas = tuple(
        Delta(*values) for values in _compared(split_metrics(a.metrics, split), split_metrics(b.metrics, split))
    )
    mine_a = [q for q in a.passed if a.in_split(q, split)]
    mine_b = [q for q in b.passed if b.in_split(q, split)]
    set_a, set_b = set(mine_a), set(mine_b)
    flips = tuple(
        Flip(qid, b.types[qid], b.questions[qid], b.passed[qid])
        for qid in mine_a
        if qid in b.passed and b.in_split(qid, split) and a.passed[qid] != b.passed[qid]
    )
    return Comparison(
        split=split,
        a=a,
        b=b,
        deltas=deltas,
        flips=flips,
        only_in_a=tuple(q for q in mine_a if q not in set_b),
        only_in_b=tuple(q for q in mine_b if q not in set_a),
    )


def _num(value: float | None, metric: str, sign: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:{sign}.1f}" if metric.startswith("latency") else f"{value:{sign}.3f}"


def format_comparison(c: Comparison) -> str:
    """Return the comparison as plain text for the terminal."""
    lines = [f"A: {c.a.folder}  ({_describe(c.a)})", f"B: {c.b.folder}  ({_describe(c.b)})"]
    lines += [f"Split: {'the whole set' if c.split == 'all' else c.split}", ""]
    lines.append(f"{'metric':<32}{'A':>10}{'B':>10}{'B-A':>10}")
    for d in c.deltas:
        change = d.change
        verdict = ""
        if change:
            better = change < 0 if d.lower_is_better else change > 0
            verdict = "  better" if better else "  worse"
        a, b, shown = _num(d.a, d.metric), _num(d.b, d.metric), _num(change, d.metric, "+")
        lines.append(f"{d.metric:<32}{a:>10}{b:>10}{shown:>10}{verdict}")
    fixed = [f for f in c.flips if f.passed_in_b]
    broken = [f for f in c.flips if not f.passed_in_b]
    lines += ["", f"Flipped questions: {len(c.flips)} ({len(fixed)} fixed, {len(broken)} broken)"]
    for f in broken:
        lines.append(f"  pass -> FAIL  {f.id} [{f.type}] {f.question}")
    for f in fixed:
        lines.append(f"  fail -> pass  {f.id} [{f.type}] {f.question}")
    if c.only_in_a or c.only_in_b:
        only_a, only_b = ", ".join(c.only_in_a) or "-", ", ".join(c.only_in_b) or "-"
        lines.append(f"Not in both runs: only in A {only_a}; only in B {only_b}")
    return "\n".join(lines)


def _describe(run: LoadedRun) -> str:
    info = run.info
    return (
        f"mode {info.get('mode', '?')}, answerer {info.get('answerer', '?')}, "
        f"{info.get('questions', '?')} questions, {info.get('started', '?')}"
    )
