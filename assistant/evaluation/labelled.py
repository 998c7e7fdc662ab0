"""Labelled sets for the parts of an answer, scored without running the whole answer.

- support.jsonl: (statement, passage, supported) pairs, scored by the verifier: ROC AUC of its score, and
  precision and recall of its "verified" label (the operating point the answers use).
- selection.jsonl: each question's retrieved passages with every sentence graded answers / context /
  unrelated, scored as the nDCG of the answerer's sentence ranking.
- briefing.jsonl: topics with the sentences that fit each section of a note, scored as the share of a
  drafted note's judged statements that sit in the section they were labelled for.

Every record carries its split; each score is given per split.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sklearn.metrics import roc_auc_score

from assistant.evaluation.evalset import SPLITS, DatasetError
from assistant.evaluation.metrics import holds_quote
from assistant.types import Chunk, Citation, Hit

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

SUPPORT_FILE = "support.jsonl"
SELECTION_FILE = "selection.jsonl"
BRIEFING_FILE = "briefing.jsonl"
GRADES = {"answers": 2, "context": 1, "unrelated": 0}
NDCG_AT = (5, 10)


def read_records(path: Path) -> list[dict[str, Any]]:
    """Return the JSON objects of a labelled set, one per line; raise DatasetError naming a bad line."""
    records = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}, line {n}: not valid JSON ({exc.msg}).") from None
    return records


def by_split(
    records: Sequence[Mapping[str, Any]], score: Callable[[list[Mapping[str, Any]]], dict[str, Any]]
) -> dict[str, Any]:
    """Return `score` of each split's records (dev, test) that the set holds."""
    return {split: score(chosen) for split in SPLITS if (chosen := [r for r in records if r.get("split") == split])}


# ----------------------------------------------------------------------------- support


def support_scores(assistant: Assistant, records: Sequence[Mapping[str, Any]]) -> list[tuple[float, bool]]:
    """Return (score, verified) of the verifier on each (statement, passage) pair.

    The score ranks a pair with a number or name the passage lacks below every other, as the verifier's
    label does: it never verifies such a statement.
    """
    from assistant.answering.verify import support

    out = []
    scorer = assistant.scorer()
    for r in records:
        passage = str(r["passage"])
        citation = Citation(1, "p", str(r.get("source", "")), "", None, 0, len(passage))
        result = support(str(r["statement"]), [citation], {"p": passage}, assistant.embeddings, scorer)
        out.append((result.score - (1.0 if result.missing else 0.0), result.verified))
    return out


def support_metrics(records: Sequence[Mapping[str, Any]], scored: Sequence[tuple[float, bool]]) -> dict[str, Any]:
    """Return ROC AUC of the scores and precision/recall/accuracy of the verified label against the gold."""
    gold = [bool(r["supported"]) for r in records]
    pred = [verified for _, verified in scored]
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    positives, predicted = sum(gold), sum(pred)
    auc = roc_auc_score(gold, [s for s, _ in scored]) if 0 < positives < len(gold) else None
    return {
        "n": len(gold),
        "supported": positives,
        "roc_auc": None if auc is None else round(float(auc), 4),
        "precision": round(tp / predicted, 4) if predicted else None,
        "recall": round(tp / positives, 4) if positives else None,
        "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold), 4) if gold else None,
    }


def eval_support(assistant: Assistant, records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return the support metrics of each split."""
    scored = dict(zip((id(r) for r in records), support_scores(assistant, records), strict=True))
    return by_split(records, lambda chosen: support_metrics(chosen, [scored[id(r)] for r in chosen]))


# ----------------------------------------------------------------------------- selection


def selection_hits(record: Mapping[str, Any]) -> list[Hit]:
    """Return the record's stored passages as hits, in their retrieved order."""
    hits = []
    for rank, p in enumerate(record["passages"], start=1):
        chunk = Chunk(
            id=str(p["chunk_id"]),
            doc_id=str(p["doc_id"]),
            text=str(p["text"]),
            start=int(p["start"]),
            end=int(p["start"]) + len(str(p["text"])),
            source=str(p["source"]),
            title=str(p.get("title", "")),
        )
        hits.append(Hit(chunk=chunk, score=float(p.get("score", 0.0)), rank=rank))
    return hits


def ndcg(gains: Sequence[float], ideal: Sequence[float], k: int) -> float | None:
    """Return nDCG@k of `gains` in ranked order against the best possible order of `ideal`."""
    best = sorted(ideal, reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(best))
    if idcg == 0:
        return None
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k])) / idcg


def ranked_gains(assistant: Assistant, record: Mapping[str, Any]) -> tuple[list[float], list[float]]:
    """Return the grades of the answerer's sentence ranking of the record's passages, and all grades."""
    hits = selection_hits(record)
    labels = {(s["doc_id"], int(s["start"]), int(s["end"])): GRADES[s["label"]] for s in record["sentences"]}
    ranked = assistant.extractive().assess(str(record["question"]), hits).ranked
    gains = []
    for c in ranked:
        chunk = hits[c.hit].chunk
        start, end = chunk.start + c.unit.start, chunk.start + c.unit.end
        gains.append(_grade(labels, chunk.doc_id, start, end))
    return gains, list(labels.values())


def _grade(labels: Mapping[tuple[str, int, int], int], doc_id: str, start: int, end: int) -> float:
    """Return the grade of the labelled sentence of document `doc_id` that overlaps [start, end) most (0: none)."""
    best, best_overlap = 0.0, 0
    for (d, a, b), grade in labels.items():
        overlap = min(b, end) - max(a, start)
        if d == doc_id and overlap > best_overlap:
            best, best_overlap = float(grade), overlap
    return best


def eval_selection(assistant: Assistant, records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return mean nDCG@5 and @10 of the answerer's sentence ranking per split."""
    ranked = {id(r): ranked_gains(assistant, r) for r in records}

    def score(chosen: list[Mapping[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {"n": len(chosen)}
        for k in NDCG_AT:
            values = [v for r in chosen if (v := ndcg(*ranked[id(r)], k)) is not None]
            out[f"ndcg@{k}"] = round(sum(values) / len(values), 4) if values else None
        return out

    return by_split(records, score)


# ----------------------------------------------------------------------------- briefing sections


def section_judgements(note_sections: Sequence[tuple[str, str, str]], record: Mapping[str, Any]) -> list[bool]:
    """Return, per (heading, source, quote) a note placed that a labelled sentence covers, whether it sits in
    a section that sentence was labelled for. Statements no labelled sentence covers are not judged."""
    out = []
    for heading, source, quote in note_sections:
        fits = {
            section
            for section, labelled in record["sections"].items()
            for item in labelled
            if item["source"] == source and same_text(item["quote"], quote)
        }
        if fits:
            out.append(heading in fits)
    return out


def same_text(labelled: str, quoted: str) -> bool:
    # holds_quote normalises both sides; either may be the longer (a note quotes part of a sentence, or more).
    return holds_quote(quoted, labelled) or holds_quote(labelled, quoted)


def eval_briefing(assistant: Assistant, records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Return, per split, section precision of drafted notes and the share of their statements judged."""
    from assistant.briefing.draft import draft_brief

    judged: dict[int, tuple[list[bool], int]] = {}
    for r in records:
        note = draft_brief(assistant, str(r["topic"]))
        placed = [
            (section.heading, note.references[c.n - 1].source, note.references[c.n - 1].quote)
            for section in note.sections
            for bullet in section.bullets
            for statement in bullet.statements
            for c in statement.citations[:1]
        ]
        judged[id(r)] = (section_judgements(placed, r), len(placed))

    def score(chosen: list[Mapping[str, Any]]) -> dict[str, Any]:
        marks = [m for r in chosen for m in judged[id(r)][0]]
        placed = sum(judged[id(r)][1] for r in chosen)
        return {
            "topics": len(chosen),
            "statements": placed,
            "judged": round(len(marks) / placed, 4) if placed else None,
            "section_precision": round(sum(marks) / len(marks), 4) if marks else None,
        }

    return by_split(records, score)


def eval_labelled(assistant: Assistant, folder: Path | None) -> dict[str, Any]:
    """Return the scores of each labelled set in `folder` that exists, by set name and split."""
    if folder is None:
        return {}
    scorers = {
        "support": (SUPPORT_FILE, eval_support),
        "selection": (SELECTION_FILE, eval_selection),
        "briefing": (BRIEFING_FILE, eval_briefing),
    }
    return {
        name: scorer(assistant, read_records(folder / file))
        for name, (file, scorer) in scorers.items()
        if (folder / file).is_file()
    }
