"""Validate the evaluation set eval/questions.jsonl against its format and the corpus.

Standard library only: the checks do not import the assistant package.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache, lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EVAL_FILE = ROOT / "eval" / "questions.jsonl"
CORPUS_DIR = ROOT / "corpus"

REQUIRED_KEYS = {
    "id": str,
    "question": str,
    "answerable": bool,
    "answer": str,
    "must_include": list,
    "evidence": list,
    "type": str,
}
TYPES = {"factoid", "list", "definition", "synthesis", "colloquial", "unanswerable"}
MIN_TOTAL = 80
MIN_UNANSWERABLE = 15
QUOTE_MIN_CHARS = 40
QUOTE_MAX_CHARS = 300
MAX_EVIDENCE = 3
MAX_GROUPS = 4


def _norm(text: str) -> str:
    """Collapse every run of whitespace (including no-break spaces) to one space."""
    return " ".join(text.split())


def _load_lines() -> list[tuple[int, str]]:
    assert EVAL_FILE.is_file(), f"missing evaluation set {EVAL_FILE}"
    lines = EVAL_FILE.read_text(encoding="utf-8").splitlines()
    return [(n, line) for n, line in enumerate(lines, 1) if line.strip()]


@lru_cache(maxsize=1)
def _records() -> tuple[dict, ...]:
    records = []
    for n, line in _load_lines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:  # reported by test_every_line_parses
            raise AssertionError(f"line {n}: not valid JSON ({exc})") from exc
        records.append(rec)
    return tuple(records)


@cache
def _corpus_text(source: str) -> str | None:
    path = CORPUS_DIR / source
    if not path.is_file():
        return None
    return _norm(path.read_text(encoding="utf-8"))


def _qid(rec: dict) -> str:
    return str(rec.get("id", "<no id>"))


def _answerable() -> list[dict]:
    return [r for r in _records() if r.get("answerable") is True]


# ----------------------------------------------------------------------------- structure


def test_every_line_parses():
    errors = []
    for n, line in _load_lines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {n}: invalid JSON: {exc}")
            continue
        if not isinstance(rec, dict):
            errors.append(f"line {n}: not a JSON object")
    assert not errors, "\n".join(errors)


def test_ids_unique():
    counts = Counter(_qid(r) for r in _records())
    dupes = sorted(i for i, c in counts.items() if c > 1)
    assert not dupes, f"duplicate ids: {', '.join(dupes)}"


def test_required_keys_and_types():
    errors = []
    for rec in _records():
        qid = _qid(rec)
        for key, typ in REQUIRED_KEYS.items():
            if key not in rec:
                errors.append(f"{qid}: missing key {key!r}")
            elif not isinstance(rec[key], typ):
                errors.append(f"{qid}: {key!r} should be {typ.__name__}, got {type(rec[key]).__name__}")
        if rec.get("type") not in TYPES:
            errors.append(f"{qid}: unknown type {rec.get('type')!r}")
        if isinstance(rec.get("question"), str) and not rec["question"].strip():
            errors.append(f"{qid}: empty question")
        for group in rec.get("must_include", []) if isinstance(rec.get("must_include"), list) else []:
            if not (isinstance(group, list) and group and all(isinstance(a, str) and a.strip() for a in group)):
                errors.append(f"{qid}: must_include group {group!r} must be a non-empty list of non-empty strings")
        for ev in rec.get("evidence", []) if isinstance(rec.get("evidence"), list) else []:
            if not (isinstance(ev, dict) and isinstance(ev.get("source"), str) and isinstance(ev.get("quote"), str)):
                errors.append(f"{qid}: evidence item {ev!r} needs string 'source' and 'quote'")
    assert not errors, "\n".join(errors)


def test_unanswerable_consistency():
    errors = []
    for rec in _records():
        qid = _qid(rec)
        is_unans_type = rec.get("type") == "unanswerable"
        if rec.get("answerable") is False:
            if not is_unans_type:
                errors.append(f"{qid}: answerable=false but type is {rec.get('type')!r}")
            if rec.get("answer") != "" or rec.get("must_include") != [] or rec.get("evidence") != []:
                errors.append(f"{qid}: unanswerable question must have empty answer, must_include and evidence")
        elif is_unans_type:
            errors.append(f"{qid}: type 'unanswerable' but answerable is {rec.get('answerable')!r}")
    assert not errors, "\n".join(errors)


def test_counts():
    records = _records()
    types = Counter(r.get("type") for r in records)
    assert len(records) >= MIN_TOTAL, f"only {len(records)} questions, need >= {MIN_TOTAL}"
    n_unans = sum(1 for r in records if r.get("answerable") is False)
    assert n_unans >= MIN_UNANSWERABLE, f"only {n_unans} unanswerable questions, need >= {MIN_UNANSWERABLE}"
    missing = sorted(TYPES - set(types))
    assert not missing, f"no question of type(s): {', '.join(missing)}"


def test_every_corpus_document_is_covered():
    used = {ev["source"] for r in _answerable() for ev in r.get("evidence", []) if isinstance(ev, dict)}
    docs = {p.name for p in CORPUS_DIR.glob("*.txt")}
    uncovered = sorted(docs - used)
    assert not uncovered, f"corpus documents without any answerable question: {', '.join(uncovered)}"


# ----------------------------------------------------------------------------- answerable questions


def test_answerable_have_answer_evidence_and_must_include():
    errors = []
    for rec in _answerable():
        qid = _qid(rec)
        if not rec.get("answer", "").strip():
            errors.append(f"{qid}: answerable question without a reference answer")
        n_ev = len(rec.get("evidence", []))
        if not 1 <= n_ev <= MAX_EVIDENCE:
            errors.append(f"{qid}: has {n_ev} evidence quotes, expected 1-{MAX_EVIDENCE}")
        n_groups = len(rec.get("must_include", []))
        if not 1 <= n_groups <= MAX_GROUPS:
            errors.append(f"{qid}: has {n_groups} must_include groups, expected 1-{MAX_GROUPS}")
    assert not errors, "\n".join(errors)


def test_synthesis_questions_use_two_sources():
    errors = []
    for rec in _answerable():
        if rec.get("type") == "synthesis":
            sources = {ev["source"] for ev in rec.get("evidence", [])}
            if len(sources) < 2:
                errors.append(f"{_qid(rec)}: synthesis question with evidence from {len(sources)} source(s)")
    assert not errors, "\n".join(errors)


def test_evidence_sources_exist():
    errors = []
    for rec in _answerable():
        for ev in rec.get("evidence", []):
            if _corpus_text(ev["source"]) is None:
                errors.append(f"{_qid(rec)}: evidence source {ev['source']!r} not found in {CORPUS_DIR}")
    assert not errors, "\n".join(errors)


def test_evidence_quotes_are_verbatim():
    errors = []
    for rec in _answerable():
        qid = _qid(rec)
        for ev in rec.get("evidence", []):
            text = _corpus_text(ev["source"])
            if text is None:
                continue  # reported by test_evidence_sources_exist
            quote = _norm(ev["quote"])
            if not QUOTE_MIN_CHARS <= len(quote) <= QUOTE_MAX_CHARS:
                errors.append(
                    f"{qid}: quote length {len(quote)} outside {QUOTE_MIN_CHARS}-{QUOTE_MAX_CHARS}: {quote[:60]!r}"
                )
            if quote not in text:
                errors.append(f"{qid}: quote not found verbatim in {ev['source']}: {quote[:80]!r}")
    assert not errors, "\n".join(errors)


def test_must_include_supported_by_evidence_or_answer():
    errors = []
    for rec in _answerable():
        qid = _qid(rec)
        haystack = (" ".join(ev["quote"] for ev in rec.get("evidence", [])) + " " + rec.get("answer", "")).lower()
        haystack = _norm(haystack)
        for group in rec.get("must_include", []):
            if not any(_norm(alt.lower()) in haystack for alt in group):
                errors.append(f"{qid}: no alternative of must_include group {group!r} occurs in evidence or answer")
    assert not errors, "\n".join(errors)


def test_questions_unique():
    seen: dict[str, str] = {}
    errors = []
    for rec in _records():
        key = _norm(str(rec.get("question", ""))).lower()
        if key in seen:
            errors.append(f"{_qid(rec)}: same question as {seen[key]}")
        seen.setdefault(key, _qid(rec))
    assert not errors, "\n".join(errors)
