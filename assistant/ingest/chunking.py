"""Chunking: pack whole sentences into passages up to a size, keeping paragraphs, headings and pages."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from assistant.ingest.sentences import sentence_spans
from assistant.types import Chunk, Document

# Bump when the algorithm changes, so existing indexes are rebuilt (it is part of the manifest).
# 2: chunks record where their pages change (page_starts) and which of their pages were OCR'd (ocr_pages),
#    so a citation gives the page its quote is on. The chunk boundaries are those of version 1.
CHUNKER_VERSION = 2
_BULLET = re.compile(r"^\s*(?:[-*•▪◦·]|\d{1,2}[.)])\s+")
# A paragraph opening with a run of capitalised words ("3 ENHANCE STATES CAPACITY ... The ...") carries
# its heading inline, as transcribed PDFs do.
_INLINE_HEADING = re.compile(r"^((?:\d{1,2}\s+)?(?:[A-Z][A-Z'’&,\-()/]+[?:]?\s+){3,})(?=[A-Z][a-z])")
_VERB = re.compile(r"\b(?:is|are|was|were|will|can|has|have|be)\b")
_DATE_LINE = re.compile(r"^[\d\s\-–/]*[A-Za-z]*\s*\d{4}$")


@dataclass(frozen=True, slots=True)
class _Unit:
    start: int
    end: int
    paragraph: int
    heading: bool  # the unit is a heading line of its own
    section: str


def chunk_document(doc: Document, max_chars: int = 800, overlap_sentences: int = 1) -> list[Chunk]:
    """Return the chunks of `doc`, in order; each chunk's text is exactly doc.text[start:end].

    Sentences are never split unless one alone exceeds `max_chars`. A chunk ends early at a
    heading, and preferably at a paragraph end. When a paragraph is cut, the next chunk repeats the
    last `overlap_sentences` sentences so that a fact spanning the cut is whole in one chunk.
    """
    units = _units(doc.text, max_chars)
    spans: list[tuple[int, int, str]] = []
    current: list[_Unit] = []

    def size(units_: list[_Unit]) -> int:
        return units_[-1].end - units_[0].start if units_ else 0

    def flush(carry_overlap: bool) -> None:
        nonlocal current
        if not current:
            return
        section = current[0].section
        spans.append((current[0].start, current[-1].end, section))
        carry: list[_Unit] = []
        if carry_overlap and overlap_sentences > 0:
            tail = [u for u in current[-overlap_sentences:] if not u.heading]
            if tail and size(tail) <= max_chars // 2:
                carry = tail
        current = carry

    for unit in units:
        new_paragraph = bool(current) and unit.paragraph != current[-1].paragraph
        if current and unit.heading and not current[-1].heading:
            flush(carry_overlap=False)
        elif current and unit.end - current[0].start > max_chars:
            flush(carry_overlap=not new_paragraph)
            if current and unit.end - current[0].start > max_chars:
                current = []
        elif new_paragraph and size(current) >= 0.6 * max_chars:
            flush(carry_overlap=False)
        current.append(unit)
    flush(carry_overlap=False)

    chunks = []
    for start, end, section in spans:
        text = doc.text[start:end]
        digest = hashlib.sha1(f"{doc.id}:{start}:{end}".encode()).hexdigest()[:16]
        ocr_pages = _ocr_pages(doc, start, end)
        chunks.append(
            Chunk(
                id=digest,
                doc_id=doc.id,
                text=text,
                start=start,
                end=end,
                page=doc.page_at(start),
                section=section,
                ocr=bool(ocr_pages),
                page_starts=tuple(s - start for s in doc.page_spans if start < s < end),
                ocr_pages=ocr_pages,
                source=doc.source,
                title=doc.title,
                organisation=doc.organisation,
                date=doc.date,
                url=doc.url,
            )
        )
    return chunks


def _ocr_pages(doc: Document, start: int, end: int) -> tuple[int, ...]:
    """Return the pages read by OCR among those that the span [start, end) of `doc` lies on."""
    if not doc.ocr_pages:
        return ()
    first, last = doc.page_at(start), doc.page_at(max(start, end - 1))
    if first is None or last is None:
        return ()
    return tuple(p for p in doc.ocr_pages if first <= p <= last)


def _units(text: str, max_chars: int) -> list[_Unit]:
    """Return the sentences (and heading lines) of `text` with absolute offsets and their section."""
    units: list[_Unit] = []
    section = ""
    offset = 0
    for index, line in enumerate(text.split("\n")):
        start = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        # A "heading" longer than a chunk is not one (and could not be split if it were).
        if len(line.rstrip()) <= max_chars and _is_heading_line(line):
            section = line.strip()
            units.append(_Unit(start, start + len(line.rstrip()), index, True, section))
            continue
        inline = _INLINE_HEADING.match(line)
        if inline:
            section = inline.group(1).strip()
        for s_start, stripped_end in sentence_spans(line):
            for p_start, p_end in _split_long(line, s_start, stripped_end, max_chars):
                units.append(_Unit(start + p_start, start + p_end, index, False, section))
    return units


def _is_heading_line(line: str) -> bool:
    stripped = line.strip()
    if len(stripped) > 150 or _BULLET.match(stripped) or stripped[-1] in ".,;:!?":
        return False
    words = stripped.split()
    # Taglines ("The Project is funded by ...") and dates are not headings.
    if _VERB.search(stripped) or _DATE_LINE.match(stripped):
        return False
    return len(words) <= 20 and (stripped.isupper() or len(words) <= 12)


def _split_long(line: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split an over-long sentence at spaces into pieces of at most `max_chars`."""
    pieces = []
    while end - start > max_chars:
        cut = line.rfind(" ", start + 1, start + max_chars)
        if cut <= start:
            cut = start + max_chars
        pieces.append((start, cut))
        start = cut
        while start < end and line[start] == " ":
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces
