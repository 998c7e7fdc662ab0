"""Evaluation set records: one `EvalItem` per line of an eval/*.jsonl file (format in DESIGN.md)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError

# A question is in "dev" (tune, fit and read failures on it) or "test" (report only) by its documents, so that
# no test document is read while tuning; "mixed" cites documents of both and counts only in the whole set.
SPLITS = ("dev", "test")
SPLIT_VALUES = frozenset({*SPLITS, "mixed", ""})


class DatasetError(AssistantError):
    """An evaluation set file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Evidence:
    source: str  # corpus file the quote comes from
    quote: str  # verbatim passage supporting the reference answer


@dataclass(frozen=True, slots=True)
class EvalItem:
    """One question of an evaluation set with its gold answer, key facts and evidence."""

    id: str
    question: str
    answerable: bool
    type: str  # factoid | list | definition | synthesis | colloquial | unanswerable
    answer: str = ""
    must_include: tuple[tuple[str, ...], ...] = ()  # every group must appear; any alternative of a group will do
    evidence: tuple[Evidence, ...] = ()
    split: str = ""  # dev | test | mixed | "" (a set without splits)

    def to_gold(self) -> dict[str, Any]:
        """Return the gold fields as stored in results.jsonl rows (so a run folder is self-contained)."""
        return {
            "answerable": self.answerable,
            "type": self.type,
            "answer": self.answer,
            "must_include": [list(group) for group in self.must_include],
            "evidence": [{"source": e.source, "quote": e.quote} for e in self.evidence],
            "split": self.split,
        }


def item_from_dict(record: Mapping[str, Any]) -> EvalItem:
    """Return the EvalItem of one dataset record; raise DatasetError naming what is wrong."""
    qid = str(record.get("id", "")).strip()
    question = str(record.get("question", "")).strip()
    if not qid or not question:
        raise DatasetError(f"Every question needs a non-empty 'id' and 'question'; got {dict(record)!r:.120}.")
    answerable = record.get("answerable", True)
    if not isinstance(answerable, bool):
        raise DatasetError(f"Question {qid}: 'answerable' must be true or false.")
    try:
        groups = tuple(tuple(str(alt) for alt in group) for group in record.get("must_include", []))
        evidence = tuple(Evidence(str(e["source"]), str(e["quote"])) for e in record.get("evidence", []))
    except (TypeError, KeyError):
        raise DatasetError(
            f"Question {qid}: 'must_include' must be a list of lists of strings and 'evidence' a list of "
            "{source, quote} objects."
        ) from None
    split = str(record.get("split", ""))
    if split not in SPLIT_VALUES:
        raise DatasetError(f"Question {qid}: 'split' must be one of dev, test, mixed; got {split!r}.")
    return EvalItem(
        id=qid,
        question=question,
        answerable=answerable,
        type=str(record.get("type") or ("factoid" if answerable else "unanswerable")),
        answer=str(record.get("answer", "")),
        must_include=groups,
        evidence=evidence,
        split=split,
    )


def load_dataset(path: Path, limit: int | None = None) -> list[EvalItem]:
    """Return the items of a JSON-lines evaluation set (the first `limit` when given)."""
    if not path.is_file():
        raise DatasetError(f"No evaluation set at {path}: pass --dataset eval/questions.jsonl or another JSONL file.")
    items: list[EvalItem] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}, line {n}: not valid JSON ({exc.msg}).") from None
        if not isinstance(record, dict):
            raise DatasetError(f"{path}, line {n}: expected a JSON object.")
        items.append(item_from_dict(record))
    _check_unique(items, path)
    if not items:
        raise DatasetError(f"{path} holds no questions.")
    return items[:limit] if limit else items


def items_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[EvalItem]:
    """Return the items rebuilt from the gold fields stored in results.jsonl rows."""
    return [item_from_dict({"id": r["id"], "question": r["question"], **r["gold"]}) for r in rows]


def _check_unique(items: list[EvalItem], path: Path) -> None:
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise DatasetError(f"{path}: question id {item.id!r} appears twice; ids must be unique.")
        seen.add(item.id)
