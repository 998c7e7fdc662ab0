"""Answer-quality metrics: pure functions over result rows (the `ask --json` objects) and gold items."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.evaluation.evalset import SPLITS, EvalItem

RECALL_AT = (1, 5, 10)
MRR_CUTOFF = 10  # ranks past 10 score 0, so runs that retrieve more passages stay comparable
# A chunk boundary may cut a gold quote: a passage still holds it when a prefix or suffix of the quote
# covering at least half of it (and at least this many characters, so a short generic phrase is not
# enough) lies in the passage. 40 is also the shortest quote the eval set allows (tests/test_eval_set.py).
MIN_PARTIAL_CHARS = 40

# The metrics a run is judged on: shown first by `eval compare`, guarded by eval/floors.json.
HEADLINE = (
    "evidence_recall@5",
    "mrr",
    "key_fact_recall",
    "all_facts_rate",
    "citation_precision",
    "citation_recall",
    "support_rate",
    "abstention_accuracy",
    "false_abstention_rate",
    "pass_rate",
)
LOWER_IS_BETTER = frozenset({"false_abstention_rate"})

_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00ad": None,  # soft hyphen: invisible in the source, often left inside words by PDF extraction
    }
)  # fmt: skip
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Return `text` lower-cased, with quote marks and dashes made plain and whitespace runs collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP).lower()
    return _SPACES.sub(" ", text).strip()


def holds_quote(passage: str, quote: str) -> bool:
    """Return whether `passage` holds `quote`, whole or cut by a chunk boundary (both raw text)."""
    return _holds(normalise(passage), normalise(quote))


def _holds(passage: str, quote: str) -> bool:
    if not quote:
        return False
    if quote in passage:
        return True
    need = max(math.ceil(len(quote) / 2), min(MIN_PARTIAL_CHARS, len(quote)))
    if need >= len(quote):
        return False
    # Containment of prefixes is monotone (a passage holding a long prefix holds every shorter one),
    # so testing the shortest acceptable prefix and suffix is enough.
    return quote[:need] in passage or quote[-need:] in passage


def facts_found(answer_text: str, must_include: Sequence[Sequence[str]]) -> tuple[bool, ...]:
    """Return, per key-fact group, whether any of its alternatives occurs in `answer_text`."""
    text = normalise(answer_text)
    return tuple(any(normalise(alt) in text for alt in group if alt.strip()) for group in must_include)


@dataclass(frozen=True, slots=True)
class Judgement:
    """The per-question facts every metric is averaged from."""

    id: str
    type: str
    answerable: bool
    abstained: bool
    evidence_ranks: tuple[int | None, ...]  # per gold quote: rank of the first retrieved passage holding it
    first_gold_rank: int | None  # rank of the first retrieved passage holding any gold quote
    facts: tuple[bool, ...]  # per must_include group
    citations_gold: tuple[bool, ...]  # per citation: does the cited passage hold gold evidence?
    supports: tuple[str, ...]  # per statement: verified | unverified | contradicted
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    error: str = ""

    @property
    def passed(self) -> bool:
        """Answerable: every key fact found and no abstention. Unanswerable: abstained."""
        if self.error:
            return False
        if not self.answerable:
            return self.abstained
        return not self.abstained and all(self.facts)


def judge(row: Mapping[str, Any], item: EvalItem) -> Judgement:
    """Return the judgement of one result row against its gold item."""
    quotes = [normalise(e.quote) for e in item.evidence]
    retrieved = [normalise(str(p.get("text", ""))) for p in row.get("retrieved", [])]
    ranks: list[int | None] = []
    for quote in quotes:
        ranks.append(next((i for i, p in enumerate(retrieved, start=1) if _holds(p, quote)), None))
    gold_ranks = [r for r in ranks if r is not None]
    statements = row.get("statements", [])
    abstained = bool(row.get("abstained", False))
    # An abstention's text is its reason, which often echoes the question's own words; it states no facts.
    answer_text = "" if abstained and not statements else str(row.get("answer", ""))
    citations_gold = tuple(
        any(_holds(normalise(str(c.get("text", ""))), q) for q in quotes) for c in row.get("citations", [])
    )
    return Judgement(
        id=item.id,
        type=item.type,
        answerable=item.answerable,
        abstained=abstained,
        evidence_ranks=tuple(ranks),
        first_gold_rank=min(gold_ranks) if gold_ranks else None,
        facts=facts_found(answer_text, item.must_include),
        citations_gold=citations_gold,
        supports=tuple(str(s.get("support", "")) for s in statements),
        timings_ms={k: float(v) for k, v in row.get("timings_ms", {}).items() if isinstance(v, int | float)},
        error=str(row.get("error", "")),
    )


def judge_all(rows: Iterable[Mapping[str, Any]], items: Iterable[EvalItem]) -> list[Judgement]:
    """Return one judgement per row, joined to its item by id (rows without an item are an error)."""
    by_id = {item.id: item for item in items}
    judgements = []
    for row in rows:
        item = by_id.get(str(row.get("id")))
        if item is None:
            raise ValueError(f"result row {row.get('id')!r} has no question in the dataset")
        judgements.append(judge(row, item))
    return judgements


def _mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def _share(hits: int, total: int) -> float | None:
    return hits / total if total else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the q-th percentile (0-100) by linear interpolation between closest ranks, as numpy does."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def latency(judgements: Sequence[Judgement]) -> dict[str, dict[str, float | None]]:
    """Return p50/p95/mean milliseconds per stage (the timings_ms keys), over the rows that report it."""
    stages = sorted({stage for j in judgements for stage in j.timings_ms})
    out: dict[str, dict[str, float | None]] = {}
    for stage in stages:
        values = [j.timings_ms[stage] for j in judgements if stage in j.timings_ms]
        out[stage] = {"p50": percentile(values, 50), "p95": percentile(values, 95), "mean": _mean(values)}
    return out


def aggregate(judgements: Sequence[Judgement]) -> dict[str, Any]:
    """Return the metric set over `judgements`; a metric with nothing to average over is None."""
    answerable = [j for j in judgements if j.answerable]
    unanswerable = [j for j in judgements if not j.answerable]
    with_evidence = [j for j in answerable if j.evidence_ranks]
    metrics: dict[str, Any] = {
        "n": len(judgements),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "errors": sum(1 for j in judgements if j.error),
    }
    for k in RECALL_AT:
        metrics[f"evidence_recall@{k}"] = _mean(
            sum(1 for r in j.evidence_ranks if r is not None and r <= k) / len(j.evidence_ranks) for j in with_evidence
        )
    metrics["mrr"] = _mean(
        1 / j.first_gold_rank if j.first_gold_rank and j.first_gold_rank <= MRR_CUTOFF else 0.0 for j in with_evidence
    )
    with_facts = [j for j in answerable if j.facts]
    metrics["key_fact_recall"] = _mean(sum(j.facts) / len(j.facts) for j in with_facts)
    metrics["all_facts_rate"] = _mean(float(all(j.facts)) for j in with_facts)
    cited = [gold for j in answerable for gold in j.citations_gold]
    metrics["citation_precision"] = _share(sum(cited), len(cited))
    # Over every answerable question, so abstaining (no citations) counts as a miss here too.
    metrics["citation_recall"] = _share(sum(1 for j in with_evidence if any(j.citations_gold)), len(with_evidence))
    supports = [s for j in judgements for s in j.supports]
    metrics["support_rate"] = _share(sum(1 for s in supports if s == "verified"), len(supports))
    metrics["n_statements"] = len(supports)
    metrics["abstention_accuracy"] = _share(sum(j.abstained for j in unanswerable), len(unanswerable))
    metrics["false_abstention_rate"] = _share(sum(j.abstained for j in answerable), len(answerable))
    metrics["pass_rate"] = _share(sum(j.passed for j in judgements), len(judgements))
    return metrics


def compute_metrics(rows: Sequence[Mapping[str, Any]], items: Iterable[EvalItem]) -> dict[str, Any]:
    """Return overall metrics, latency per stage and a per-type breakdown for one run."""
    judgements = judge_all(rows, items)
    metrics = aggregate(judgements)
    metrics["latency_ms"] = latency(judgements)
    types = sorted({j.type for j in judgements})
    metrics["by_type"] = {t: aggregate([j for j in judgements if j.type == t]) for t in types}
    return metrics


def metrics_by_split(rows: Sequence[Mapping[str, Any]], items: Sequence[EvalItem]) -> dict[str, Any]:
    """Return `compute_metrics` of the whole set with, under "splits", those of its dev and test questions."""
    metrics = compute_metrics(rows, items)
    present = [s for s in SPLITS if any(item.split == s for item in items)]
    metrics["splits"] = {
        split: compute_metrics(
            [row for row, item in zip(rows, items, strict=True) if item.split == split],
            [item for item in items if item.split == split],
        )
        for split in present
    }
    return metrics


def split_metrics(metrics: Mapping[str, Any], split: str) -> Mapping[str, Any]:
    """Return the metrics of one split of a run ("all": the whole set); {} when the run has no such split."""
    if split == "all":
        return metrics
    return metrics.get("splits", {}).get(split, {})


def failure_reason(j: Judgement, item: EvalItem) -> str:
    """Return why a question failed, in a few words ("" when it passed)."""
    if j.passed:
        return ""
    if j.error:
        return f"error: {j.error}"
    if not item.answerable:
        return "answered an unanswerable question"
    missing = [" / ".join(group) for group, found in zip(item.must_include, j.facts, strict=True) if not found]
    reasons = (["abstained"] if j.abstained else []) + (["missing: " + "; ".join(missing)] if missing else [])
    return ", ".join(reasons)


def failing(judgements: Iterable[Judgement]) -> list[Judgement]:
    """Return the judgements of the questions that did not pass, in their original order."""
    return [j for j in judgements if not j.passed]
