"""The development library and the labelled sets hold what they claim: provenance, splits, verbatim quotes.

Quotes are checked against each document as the assistant reads it (the loaders' cleaned text), so a
quote that the index could never hold fails here, not as a silent miss in the eval.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from assistant.evaluation.evalset import load_dataset
from assistant.evaluation.labelled import GRADES, read_records
from assistant.evaluation.metrics import normalise
from assistant.evaluation.sets import SETS
from assistant.ingest.catalog import load_catalog
from assistant.ingest.loaders import load_file
from assistant.types import Document

REPO = Path(__file__).resolve().parent.parent
LIBRARY = REPO / "shared" / "library"
DOCS = LIBRARY / "docs"
SECTIONS = {
    "Background and context",
    "Key facts and figures",
    "Actors and partners",
    "Actions and measures taken",
    "Recommendations",
    "Open issues and challenges",
}
LABELLED = {name: REPO / s.labelled for name, s in SETS.items() if s.labelled}
MIN_LIBRARY_DOCS = 40
MIN_QUESTIONS = 250
MIN_UNANSWERABLE = 50
MIN_SUPPORT_PAIRS = 1500
MIN_BRIEFING_TOPICS = 12


# (corpus, source) -> the normalised text of that file as the loaders clean it; filled by document_text, or by
# load_texts for many files at once.
_TEXTS: dict[tuple[Path, str], str] = {}


def document_text(corpus: Path, source: str) -> str:
    """Return the normalised text of one corpus file as the loaders clean it."""
    if (corpus, source) not in _TEXTS:
        load_texts(corpus, [source])
    return _TEXTS[corpus, source]


def load_texts(corpus: Path, sources: Iterable[str]) -> None:
    """Load the corpus files `sources` into document_text's cache, one process per core, the largest first.

    Reading the library's large PDFs is pure Python (pypdf), so one process reads them on one core only.
    """
    todo = sorted({s for s in sources if (corpus, s) not in _TEXTS}, key=lambda s: -(corpus / s).stat().st_size)
    catalog = load_catalog(corpus)
    workers = min(len(todo), os.cpu_count() or 1)
    if workers <= 1:
        for source in todo:
            _TEXTS[corpus, source] = _text(load_file(corpus / source, source, catalog.get(source)))
        return
    # spawn, not fork: this process may already run torch's threads.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        loading = {s: pool.submit(load_file, corpus / s, s, catalog.get(s)) for s in todo}
        for source, documents in loading.items():
            _TEXTS[corpus, source] = _text(documents.result())


def _text(documents: list[Document]) -> str:
    return normalise(" ".join(d.text for d in documents))


def _corpus(set_name: str) -> Path:
    return REPO / SETS[set_name].corpus


def _quoted(set_name: str, source: str, quote: str) -> bool:
    return normalise(quote) in document_text(_corpus(set_name), source)


def _library_questions() -> list[dict[str, Any]]:
    return read_records(REPO / SETS["library"].questions)


def _splits(set_name: str) -> dict[str, str]:
    data = json.loads((LABELLED[set_name] / "splits.json").read_text("utf-8"))
    return {doc: split for split in ("dev", "test") for doc in data[split]}


# ----------------------------------------------------------------------------- the library


def _sources_rows() -> list[dict[str, str]]:
    """Return the rows of the SOURCES.md table as {column: cell}."""
    lines = [line for line in (LIBRARY / "SOURCES.md").read_text("utf-8").splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True)) for line in lines[2:]]


def test_every_library_file_has_its_provenance_and_nothing_else_is_listed() -> None:
    rows = _sources_rows()
    files = {p.name for p in DOCS.iterdir() if p.name != "catalog.toml"}
    listed = [r["file"] for r in rows]
    assert len(files) >= MIN_LIBRARY_DOCS
    assert sorted(listed) == sorted(files), set(listed) ^ files
    for r in rows:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", r["repository"]), r
        assert r["path"] and r["licence"], r
        assert re.fullmatch(r"[0-9a-f]{40}", r["commit"]), r
    assert sum(r["scanned"] == "yes" for r in rows) >= 2, "the library needs scanned PDFs (issue 15)"


def test_every_library_file_is_catalogued_with_a_title() -> None:
    catalog = load_catalog(DOCS)
    for p in DOCS.iterdir():
        if p.name != "catalog.toml":
            assert p.name in catalog and catalog[p.name].title, p.name


# ----------------------------------------------------------------------------- questions and splits


def test_library_questions_are_many_mixed_and_parse() -> None:
    items = load_dataset(REPO / SETS["library"].questions)
    assert len(items) >= MIN_QUESTIONS
    assert sum(not i.answerable for i in items) >= MIN_UNANSWERABLE
    types = Counter(i.type for i in items)
    assert {"factoid", "number", "date", "definition", "list", "synthesis", "colloquial"} <= set(types), types
    assert {i.split for i in items} == {"dev", "test"}
    for item in items:
        if item.answerable:
            assert item.answer and item.evidence and item.must_include, item.id
        else:
            assert not item.evidence and not item.must_include, item.id


@pytest.mark.parametrize("set_name", ["seed", "library"])
def test_splits_are_by_document(set_name: str) -> None:
    splits = _splits(set_name)
    assert not set(k for k, v in splits.items() if v == "dev") & set(k for k, v in splits.items() if v == "test")
    records = read_records(REPO / SETS[set_name].questions)
    for r in records:
        docs = {e["source"] for e in r["evidence"]} | set(r.get("documents", []))
        found = {splits[d] for d in docs}
        if r["split"] == "mixed":
            assert len(found) == 2, r["id"]
        elif docs:
            assert found == {r["split"]}, (r["id"], found)
        else:
            assert r["split"] in ("dev", "test"), r["id"]


def test_every_library_evidence_quote_is_in_its_document() -> None:
    records = _library_questions()
    load_texts(_corpus("library"), {e["source"] for r in records for e in r["evidence"]})
    missing = [
        f"{r['id']}: {e['source']}: {e['quote'][:70]!r}"
        for r in records
        for e in r["evidence"]
        if not _quoted("library", e["source"], e["quote"])
    ]
    assert not missing, "\n".join(missing)


def test_every_library_key_fact_is_in_its_evidence() -> None:
    # A key fact the quotes do not hold cannot be found by quoting them: the label would be unreachable.
    unreachable = []
    for r in _library_questions():
        quotes = normalise(" ".join(e["quote"] for e in r["evidence"]))
        for group in r["must_include"]:
            if not any(normalise(alt) in quotes for alt in group):
                unreachable.append(f"{r['id']}: {group}")
    assert not unreachable, "\n".join(unreachable)


# ----------------------------------------------------------------------------- labelled sets


@pytest.mark.parametrize("set_name", sorted(LABELLED))
def test_support_pairs_quote_their_documents(set_name: str) -> None:
    records = read_records(LABELLED[set_name] / "support.jsonl")
    questions = {r["id"]: r for r in read_records(REPO / SETS[set_name].questions)}
    for r in records:
        assert isinstance(r["supported"], bool) and r["statement"].strip(), r["id"]
        assert _quoted(set_name, r["source"], r["passage"]), r["id"]
        assert r["split"] == questions[r["question_id"]]["split"], r["id"]
    kinds = Counter(r["kind"] for r in records)
    assert {"reference", "same_document", "other_document"} <= set(kinds), kinds


def test_support_pairs_are_enough_and_of_every_kind() -> None:
    records = [r for folder in LABELLED.values() for r in read_records(folder / "support.jsonl")]
    assert len(records) >= MIN_SUPPORT_PAIRS
    kinds = Counter(r["kind"] for r in records)
    assert {"paraphrase", "altered_number", "altered_negation"} <= set(kinds), kinds
    assert {r["split"] for r in records} >= {"dev", "test"}


@pytest.mark.parametrize("set_name", sorted(LABELLED))
def test_selection_sentences_lie_at_their_offsets(set_name: str) -> None:
    records = read_records(LABELLED[set_name] / "selection.jsonl")
    answerable = {r["id"] for r in read_records(REPO / SETS[set_name].questions) if r["answerable"]}
    assert {r["id"] for r in records} == answerable
    for r in records:
        for p in r["passages"]:
            assert _quoted(set_name, p["source"], p["text"]), (r["id"], p["chunk_id"])
        for s in r["sentences"]:
            assert s["label"] in GRADES, r["id"]
            passage = next(
                p
                for p in r["passages"]
                if p["doc_id"] == s["doc_id"] and p["start"] <= s["start"] and s["end"] <= p["start"] + len(p["text"])
            )
            offset = s["start"] - passage["start"]
            assert passage["text"][offset : offset + len(s["text"])] == s["text"], (r["id"], s["text"][:50])


@pytest.mark.parametrize("set_name", sorted(LABELLED))
def test_briefing_labels_quote_their_documents_under_known_sections(set_name: str) -> None:
    splits = _splits(set_name)
    for r in read_records(LABELLED[set_name] / "briefing.jsonl"):
        assert set(r["sections"]) <= SECTIONS, r["id"]
        quotes = [q for labelled in r["sections"].values() for q in labelled]
        assert quotes, r["id"]
        assert {splits[q["source"]] for q in quotes} == {r["split"]}, r["id"]
        for q in quotes:
            assert _quoted(set_name, q["source"], q["quote"]), (r["id"], q["quote"][:60])


def test_briefing_topics_are_enough() -> None:
    topics = [r for folder in LABELLED.values() for r in read_records(folder / "briefing.jsonl")]
    assert len(topics) >= MIN_BRIEFING_TOPICS
    assert {r["split"] for r in topics} == {"dev", "test"}
