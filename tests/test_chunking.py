"""Chunking: exact offsets, size bounds, sentence boundaries, sections and pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.catalog import load_catalog
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_file
from assistant.types import Document
from tests.conftest import CORPUS


def seed_documents() -> list[Document]:
    catalog = load_catalog(CORPUS)
    return [d for p in sorted(CORPUS.glob("*.txt")) for d in load_file(p, p.name, catalog.get(p.name))]


@pytest.mark.parametrize("max_chars", [300, 800, 1000])
def test_chunk_offsets_reproduce_the_document_text(max_chars: int) -> None:
    for doc in seed_documents():
        chunks = chunk_document(doc, max_chars=max_chars, overlap_sentences=1)
        assert chunks, doc.source
        for chunk in chunks:
            assert doc.text[chunk.start : chunk.end] == chunk.text
            assert len(chunk.text) <= max_chars
            assert chunk.doc_id == doc.id
        # Every character of text is covered by some chunk (nothing is lost between chunks).
        covered = set()
        for chunk in chunks:
            covered.update(range(chunk.start, chunk.end))
        missing = [i for i in range(len(doc.text)) if i not in covered and not doc.text[i].isspace()]
        assert not missing, (doc.source, doc.text[missing[0] : missing[0] + 40])


def test_chunks_end_at_sentence_boundaries() -> None:
    ends = []
    for doc in seed_documents():
        for chunk in chunk_document(doc, max_chars=600):
            following = doc.text[chunk.end : chunk.end + 1]
            assert following in ("", "\n", " "), f"word cut at {chunk.text[-30:]!r}{following!r}"
            ends.append(chunk.text[-1] in '.!?:;”")…' or following in ("", "\n"))
    # Only a sentence longer than the limit itself may be cut mid-sentence (at a space).
    assert sum(ends) >= 0.97 * len(ends)


def test_sections_and_pages_are_kept() -> None:
    source = "003_4f2ffe78ae97656e.txt"
    [doc] = load_file(CORPUS / source, source)
    chunks = chunk_document(doc, max_chars=800)
    research = [c for c in chunks if "targeted research is undertaken" in c.text]
    assert research and research[0].page == 7
    assert research[0].section.startswith("4 PROMOTE RESEARCH AND DATA COLLECTION")


def test_overlap_repeats_the_sentence_at_a_cut() -> None:
    sentences = [f"Sentence number {i} talks about border cooperation in detail." for i in range(30)]
    doc = Document(
        id="d", source="s.txt", title="t", organisation="", date="", url="", kind="txt", text=" ".join(sentences)
    )
    without = chunk_document(doc, max_chars=300, overlap_sentences=0)
    with_overlap = chunk_document(doc, max_chars=300, overlap_sentences=1)
    assert all(a.end <= b.start for a, b in zip(without, without[1:], strict=False))
    assert any(b.start < a.end for a, b in zip(with_overlap, with_overlap[1:], strict=False))


def test_overlong_sentence_is_split_within_bounds(tmp_path: Path) -> None:
    text = "word " * 500
    doc = Document(id="d", source="s.txt", title="t", organisation="", date="", url="", kind="txt", text=text.strip())
    chunks = chunk_document(doc, max_chars=200)
    assert all(len(c.text) <= 200 for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks) == doc.text.replace(" ", "")
