"""Core records passed between the pipeline stages: plain frozen dataclasses."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Support = Literal["verified", "unverified", "contradicted"]
# A progress callback: (done, total, what is being done now). The CLI draws a bar with it, the app an indicator.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class Document:
    """One cleaned source document (a file, or one item of a news feed)."""

    id: str  # content hash of the cleaned text plus source
    source: str  # path relative to the corpus folder, e.g. "reports/iom.pdf"
    title: str
    organisation: str
    date: str  # ISO date (YYYY-MM-DD, YYYY-MM or YYYY) or ""
    url: str
    kind: str  # pdf | txt | md | html | news-item
    text: str
    page_spans: tuple[int, ...] = ()  # char offset where each page starts; page n starts at page_spans[n-1]
    ocr_pages: tuple[int, ...] = ()  # 1-based pages whose text was read by OCR
    unread_pages: tuple[int, ...] = ()  # pages left out: no text layer, and OCR not installed or failed

    def page_at(self, offset: int) -> int | None:
        """Return the 1-based page holding char `offset`, or None for unpaged documents."""
        if not self.page_spans:
            return None
        page = 1
        for i, start in enumerate(self.page_spans, start=1):
            if start <= offset:
                page = i
            else:
                break
        return page


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of a document; `text == document.text[start:end]` exactly."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    page: int | None = None  # first page the chunk lies on
    section: str = ""  # nearest heading above the chunk
    # Document metadata is copied onto each chunk so a hit can be cited without another lookup.
    source: str = ""
    title: str = ""
    organisation: str = ""
    date: str = ""
    url: str = ""
    ocr: bool = False  # part of its text was read by OCR from a page image (cited as "p. 3 (OCR)")
    # Offsets in `text` where page `page`+1, `page`+2, ... begin: a chunk may run across a page break. Chunks of
    # indexes built before this field (chunker 1) have none, and are taken to lie on their first page.
    page_starts: tuple[int, ...] = ()
    ocr_pages: tuple[int, ...] = ()  # which of its pages were read by OCR; empty in old indexes, where `ocr` is all

    @property
    def year(self) -> str:
        return self.date[:4]

    @property
    def last_page(self) -> int | None:
        """Return the last page the chunk lies on (its first, when it stays on one), or None when unpaged."""
        return None if self.page is None else self.page + len(self.page_starts)

    def page_of(self, offset: int) -> int | None:
        """Return the 1-based page holding char `offset` of the chunk text, or None for unpaged chunks."""
        if self.page is None:
            return None
        return self.page + bisect_right(self.page_starts, offset)

    def ocr_on(self, page: int | None) -> bool:
        """Return whether the chunk's text on `page` was read by OCR."""
        if not self.ocr_pages:
            return self.ocr  # an old index knows only whether any of the chunk was
        return page in self.ocr_pages


@dataclass(frozen=True, slots=True)
class Hit:
    """A retrieved chunk with its score at each stage."""

    chunk: Chunk
    score: float  # the score of the last stage that ranked it
    rank: int  # 1-based
    scores: dict[str, float] = field(default_factory=dict)  # bm25, dense, fused, rerank


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered pointer from a statement to the exact span of a retrieved chunk."""

    n: int  # the number shown to the user: [1], [2], ...
    chunk_id: str
    source: str
    title: str
    page: int | None  # the page holding the quote's first character (not the chunk's first page)
    start: int  # quoted span, char offsets inside the chunk text
    end: int
    ocr: bool = False  # the cited page's text was read by OCR


@dataclass(frozen=True, slots=True)
class Statement:
    text: str
    citations: tuple[Citation, ...] = ()
    support: Support = "unverified"
    support_score: float = 0.0


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    statements: tuple[Statement, ...]
    abstained: bool
    hits: tuple[Hit, ...]  # the ranked passages the answerer saw
    reason: str = ""  # why it abstained, or what part is missing
    timings_ms: dict[str, float] = field(default_factory=dict)
    standalone_question: str = ""  # the follow-up rewritten with conversation history, if any


# One turn of a conversation: the question as asked and its answer. A chat, an export and the UI's
# session state are lists of them.
Turn = tuple[str, Answer]


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrict retrieval to some documents; an empty set means no restriction on that field.

    `hidden` is the access filter: the sources the asking user may not read (documents restricted to groups
    the user is not in). It is applied inside the store's search, like the others, so a hidden document's
    passages are never candidates, never ranked and never counted.
    """

    sources: frozenset[str] = frozenset()
    organisations: frozenset[str] = frozenset()
    years: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.sources or self.organisations or self.years or self.hidden)

    def accepts(self, chunk: Chunk) -> bool:
        return (
            chunk.source not in self.hidden
            and (not self.sources or chunk.source in self.sources)
            and (not self.organisations or chunk.organisation in self.organisations)
            and (not self.years or chunk.year in self.years)
        )
