"""The self-contained report.html of an eval run: metric tables, embedded PNG plots, failing questions."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from matplotlib.figure import Figure

from assistant.evaluation.evalset import EvalItem
from assistant.evaluation.metrics import (
    HEADLINE,
    LOWER_IS_BETTER,
    RECALL_AT,
    Judgement,
    failing,
    failure_reason,
    judge_all,
    split_metrics,
)
from assistant.evaluation.runs import EvalRun, RunResult

_EXTRA_ROWS = tuple(f"evidence_recall@{k}" for k in RECALL_AT if k != 5)
_TYPE_PLOTS = (
    ("pass_rate", "Pass rate"),
    ("key_fact_recall", "Key-fact recall"),
    ("evidence_recall@5", "Evidence recall@5"),
)
_COLOURS = ("#1f6fb4", "#e0812c", "#3a9a4a", "#9467bd")
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top}
th{background:#f4f4f4;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
.fail td{font-size:13px}.q{font-weight:600}.bad{color:#b00020}.ok{color:#2a7a2a}.muted{color:#777}
.wide{overflow-x:auto}blockquote{margin:.3em 0;padding-left:.6em;border-left:3px solid #ccc}img{max-width:100%}
"""


def render_report(run: EvalRun, items: Sequence[EvalItem]) -> str:
    """Return the whole report as one HTML page (plots embedded as base64 PNG, no external files)."""
    runs = [run.main, *run.baselines]
    judgements = judge_all(run.main.rows, items)
    # Test questions are for reporting: their failures are counted, not shown, so no one tunes on them.
    split_of = {item.id: item.split for item in items}
    all_fails = failing(judgements)
    fails = [j for j in all_fails if split_of[j.id] != "test"]
    hidden = len(all_fails) - len(fails)
    info = run.info
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Eval report: {escape(str(info.get('dataset', '')))}</title><style>{_CSS}</style></head><body>",
        f"<h1>Evaluation report: {escape(str(info.get('dataset', '')))}</h1>",
        _run_info(info),
        "<h2>Headline metrics</h2>",
        "<p class='muted'>Answerable-question metrics are averaged over answerable questions only. "
        "Baseline columns run the same answerer with a single retriever, showing what the pipeline adds.</p>",
        _metrics_table(runs),
        _labelled_table(run.labelled),
        "<h2>By question type</h2>",
        _img(_type_plot(runs), "per-type metrics"),
        _type_table(run.main),
        "<h2>Latency</h2>",
        _img(_latency_plot(runs), "latency histogram"),
        _latency_table(runs),
        f"<h2>Failing questions ({len(fails)} of {len(judgements)}, mode {escape(run.main.mode)})</h2>",
        f"<p class='muted'>{hidden} failing test-split questions are not shown: read failures on dev.</p>"
        if hidden
        else "",
        _failing_table(fails, run.main.rows, items),
        "</body></html>",
    ]
    return "\n".join(parts)


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "&ndash;"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(str(value))


def _label(result: RunResult, main: bool) -> str:
    return f"{result.mode} (default)" if main else result.mode


def _run_info(info: Mapping[str, Any]) -> str:
    keys = ("dataset", "questions", "mode", "answerer", "baselines", "started", "seconds")
    shown = {k: ", ".join(v) if isinstance(v, list) else v for k, v in info.items()}
    cells = "".join(f"<tr><th>{k}</th><td>{escape(str(shown.get(k, '')))}</td></tr>" for k in keys)
    return f"<table>{cells}</table>"


def _metrics_table(runs: Sequence[RunResult]) -> str:
    """Return the headline metrics with one column per split (test, dev, then the whole set) and mode."""
    present = {split for r in runs for split in r.metrics.get("splits", {})}
    splits = [s for s in ("test", "dev") if s in present] + ["all"]
    groups = "".join(f"<th colspan='{len(runs)}'>{'whole set' if s == 'all' else s}</th>" for s in splits)
    head = "".join(f"<th>{escape(_label(r, i == 0))}</th>" for _ in splits for i, r in enumerate(runs))
    rows = []
    for name in (*HEADLINE, *_EXTRA_ROWS, "n", "n_answerable", "n_unanswerable", "n_statements", "errors"):
        hint = " (lower is better)" if name in LOWER_IS_BETTER else ""
        cells = "".join(
            f"<td class='num'>{_fmt(split_metrics(r.metrics, s).get(name))}</td>" for s in splits for r in runs
        )
        rows.append(f"<tr><th>{escape(name)}{hint}</th>{cells}</tr>")
    table = f"<table><tr><th></th>{groups}</tr><tr><th>metric</th>{head}</tr>{''.join(rows)}</table>"
    return f"<div class='wide'>{table}</div>"


def _labelled_table(labelled: Mapping[str, Any]) -> str:
    """Return the labelled sets' scores, one row per set and split (empty when none were scored)."""
    rows = []
    for name, splits in labelled.items():
        for split, scores in splits.items():
            shown = ", ".join(f"{escape(k)} {_fmt(v)}" for k, v in scores.items())
            rows.append(f"<tr><th>{escape(name)}</th><td>{escape(split)}</td><td>{shown}</td></tr>")
    if not rows:
        return ""
    return (
        "<h2>Labelled sets</h2><p class='muted'>support: the verifier on (statement, passage) pairs; "
        "selection: nDCG of the answerer's sentence ranking; briefing: section precision of drafted notes.</p>"
        f"<table><tr><th>set</th><th>split</th><th>scores</th></tr>{''.join(rows)}</table>"
    )


def _type_table(result: RunResult) -> str:
    names = ("n", "pass_rate", "key_fact_recall", "all_facts_rate", "evidence_recall@5", "mrr",
             "citation_precision", "citation_recall", "abstention_accuracy", "false_abstention_rate")  # fmt: skip
    head = "".join(f"<th>{escape(n)}</th>" for n in names)
    rows = []
    for type_, m in result.metrics.get("by_type", {}).items():
        cells = "".join(f"<td class='num'>{_fmt(m.get(n))}</td>" for n in names)
        rows.append(f"<tr><th>{escape(type_)}</th>{cells}</tr>")
    table = f"<table><tr><th>type</th>{head}</tr>{''.join(rows)}</table>"
    return f"<p class='muted'>Mode {escape(result.mode)}.</p><div class='wide'>{table}</div>"


def _latency_table(runs: Sequence[RunResult]) -> str:
    rows = []
    for i, r in enumerate(runs):
        for stage, stats in r.metrics.get("latency_ms", {}).items():
            rows.append(
                f"<tr><td>{escape(_label(r, i == 0))}</td><td>{escape(stage)}</td>"
                f"<td class='num'>{_fmt(stats.get('p50'), 1)}</td><td class='num'>{_fmt(stats.get('p95'), 1)}</td></tr>"
            )
    return f"<table><tr><th>run</th><th>stage</th><th>p50 ms</th><th>p95 ms</th></tr>{''.join(rows)}</table>"


def _png(fig: Figure) -> str:
    # A bare Figure (no pyplot) keeps no global state, so the report can be built from the UI's threads.
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(png_b64: str, alt: str) -> str:
    return f"<p><img alt='{escape(alt)}' src='data:image/png;base64,{png_b64}'></p>"


def _type_plot(runs: Sequence[RunResult]) -> str:
    types = list(runs[0].metrics.get("by_type", {}))
    fig = Figure(figsize=(11, 3.4))
    axes = fig.subplots(1, len(_TYPE_PLOTS), sharey=True)
    width = 0.8 / len(runs)
    for ax, (metric, title) in zip(axes, _TYPE_PLOTS, strict=True):
        for i, r in enumerate(runs):
            by_type = r.metrics.get("by_type", {})
            values = [by_type.get(t, {}).get(metric) or 0.0 for t in types]
            xs = [x + (i - (len(runs) - 1) / 2) * width for x in range(len(types))]
            ax.bar(xs, values, width, label=_label(r, i == 0), color=_COLOURS[i % len(_COLOURS)])
        ax.set_title(title)
        ax.set_xticks(range(len(types)), types, rotation=30, ha="right")
        ax.set_ylim(0, 1.05)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    return _png(fig)


def _latency_plot(runs: Sequence[RunResult]) -> str:
    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    totals = [
        [max(float(row["timings_ms"]["total"]), 0.01) for row in r.rows if "total" in row.get("timings_ms", {})]
        for r in runs
    ]
    everything = [t for ts in totals for t in ts]
    if everything:
        bins, log = _bins(min(everything), max(everything))
        for i, (r, ts) in enumerate(zip(runs, totals, strict=True)):
            if ts:
                ax.hist(ts, bins=bins, histtype="step", linewidth=1.6, label=_label(r, i == 0),
                        color=_COLOURS[i % len(_COLOURS)])  # fmt: skip
        if log:
            ax.set_xscale("log")
    ax.set_xlabel("total time per question (ms)")
    ax.set_ylabel("questions")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def _bins(lo: float, hi: float, n: int = 40) -> tuple[list[float], bool]:
    """Return histogram bin edges shared by every run, and whether they are log-spaced."""
    if hi <= lo:
        return [lo * 0.9, lo * 1.1 + 0.01], False
    # BM25 alone takes ~1 ms and a reranked pipeline hundreds: log-spaced bins keep both readable.
    if hi / lo > 20:
        return [lo * (hi / lo) ** (i / n) for i in range(n + 1)], True
    return [lo + (hi - lo) * i / n for i in range(n + 1)], False


def _failing_table(fails: Sequence[Judgement], rows: Sequence[Mapping[str, Any]], items: Sequence[EvalItem]) -> str:
    if not fails:
        return "<p class='ok'>Every question passed.</p>"
    row_by_id = {str(r["id"]): r for r in rows}
    item_by_id = {i.id: i for i in items}
    body = []
    for j in fails:
        row, item = row_by_id[j.id], item_by_id[j.id]
        body.append(
            "<tr class='fail'>"
            f"<td>{escape(j.id)}<br><span class='muted'>{escape(j.type)}</span></td>"
            f"<td><div class='q'>{escape(item.question)}</div>{_why(j, item)}</td>"
            f"<td>{_answer_cell(row)}</td>"
            f"<td>{_citations_cell(row, j)}</td>"
            f"<td>{_gold_cell(item, j)}</td></tr>"
        )
    head = "<tr><th>id</th><th>question / why it failed</th><th>answer</th><th>citations</th><th>gold</th></tr>"
    return f"<table>{head}{''.join(body)}</table>"


def _why(j: Judgement, item: EvalItem) -> str:
    return f"<div class='bad'>{escape(failure_reason(j, item))}</div>"


def _answer_cell(row: Mapping[str, Any]) -> str:
    badge = "<b class='bad'>[abstained]</b> " if row.get("abstained") else ""
    supports = [s.get("support", "") for s in row.get("statements", [])]
    marks = f"<div class='muted'>statements: {escape(', '.join(supports))}</div>" if supports else ""
    return f"{badge}{escape(str(row.get('answer', '')))}{marks}"


def _citations_cell(row: Mapping[str, Any], j: Judgement) -> str:
    out = []
    for cite, gold in zip(row.get("citations", []), j.citations_gold, strict=True):
        where = escape(str(cite.get("source", ""))) + (f", p. {cite['page']}" if cite.get("page") else "")
        tick = "<span class='ok'>gold</span>" if gold else "<span class='muted'>not gold</span>"
        quote = escape(str(cite.get("quote", "")))
        out.append(f"<div>[{cite.get('n')}] {where} {tick}<blockquote>{quote}</blockquote></div>")
    return "".join(out) or "<span class='muted'>none</span>"


def _gold_cell(item: EvalItem, j: Judgement) -> str:
    if not item.answerable:
        return "<span class='muted'>unanswerable: should abstain</span>"
    out = [f"<div>{escape(item.answer)}</div>"]
    for ev, rank in zip(item.evidence, j.evidence_ranks, strict=True):
        found = f"retrieved at rank {rank}" if rank else "not retrieved"
        out.append(f"<div class='muted'>{escape(ev.source)} ({found})</div><blockquote>{escape(ev.quote)}</blockquote>")
    return "".join(out)
