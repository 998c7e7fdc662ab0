"""Citation numbers of an answer: [1], [2], ... by the first statement that cites each passage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from assistant.types import Chunk, Citation, Statement


def cite(chunk: Chunk, start: int, end: int) -> Citation:
    """Return an (as yet unnumbered) citation of `chunk.text[start:end]`; `numbered` gives it its number.

    It cites the page the quote starts on, which is not the chunk's first page when the chunk runs across
    a page break; it is marked OCR when that page was read by OCR.
    """
    page = chunk.page_of(start)
    return Citation(0, chunk.id, chunk.source, chunk.title, page, start, end, ocr=chunk.ocr_on(page))


def numbered(statements: Iterable[Statement]) -> tuple[Statement, ...]:
    """Return `statements` with each cited passage numbered by its first appearance, in reading order."""
    numbers: dict[str, int] = {}
    out = []
    for statement in statements:
        citations = tuple(replace(c, n=numbers.setdefault(c.chunk_id, len(numbers) + 1)) for c in statement.citations)
        out.append(replace(statement, citations=citations))
    return tuple(out)
