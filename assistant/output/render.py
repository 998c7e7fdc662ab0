"""Pure functions that turn Answers into the chat's HTML, the source panel and the documents table."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from assistant.output.text import clip, page_label, page_numbers
from assistant.types import Answer, Chunk, Citation, Filters, Hit, Statement, Turn

# A citation link's href names the conversation turn and what it points to: "#src-<turn>-c<n>" for
# citation [n], "#src-<turn>-h<rank>" for a retrieved passage. The chat sanitiser strips data-*
# attributes but keeps class and href, so the click handler (ui.CITE_JS) reads the href.
_REF = re.compile(r"^#?(?:src-)?(\d+)-([ch])(\d+)$")
RELATED_SHOWN = 5  # related passages listed under an abstention: enough to browse, short enough to scan
SNIPPET_CHARS = 180
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SUPPORT_FLAGS = {
    "unverified": ("unverified", "Not confirmed by the cited passage: check it before relying on it."),
    "contradicted": ("contradicted", "The cited passage appears to contradict this statement."),
}


@dataclass(frozen=True, slots=True)
class SourceRef:
    """What a clicked link points to: citation `num` or retrieved passage `num` of conversation turn `turn`."""

    turn: int
    kind: Literal["c", "h"]
    num: int


def parse_ref(ref: str) -> SourceRef | None:
    """Return the SourceRef encoded in a link's href ("#src-0-c1"), or None if it is not one of ours."""
    match = _REF.match(ref.strip())
    if not match:
        return None
    kind: Literal["c", "h"] = "c" if match.group(2) == "c" else "h"
    return SourceRef(int(match.group(1)), kind, int(match.group(3)))


def ref_href(turn: int, kind: Literal["c", "h"], num: int) -> str:
    return f"#src-{turn}-{kind}{num}"


def format_date(date: str) -> str:
    """Return an ISO date (YYYY, YYYY-MM or YYYY-MM-DD) as "2017", "Oct 2017" or "17 Oct 2017"; "" if empty."""
    parts = date.strip().split("-")
    try:
        if len(parts) >= 2 and 1 <= int(parts[1]) <= 12:
            month = _MONTHS[int(parts[1]) - 1]
            return f"{int(parts[2])} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"
    except ValueError:
        pass
    return date.strip()


def meta_parts(title: str, organisation: str, date: str, page: int | None, ocr: bool = False) -> list[str]:
    """Return the non-empty pieces of a reference: title, organisation, date, page ("p. 3 (OCR)")."""
    pieces = [title or "Untitled document", organisation, format_date(date), page_label(page, ocr)]
    return [p for p in pieces if p]


# ---------------------------------------------------------------- chat messages


def question_html(question: str) -> str:
    return html.escape(question)


def pending_html(text: str = "Searching the documents…") -> str:
    return f'<div class="answer pending"><span class="spinner"></span>{html.escape(text)}</div>'


def error_html(message: str) -> str:
    return f'<div class="answer error"><strong>Cannot answer:</strong> {html.escape(message)}</div>'


def cite_link(turn: int, kind: Literal["c", "h"], num: int, label: str, title: str = "") -> str:
    tip = f' title="{html.escape(title, quote=True)}"' if title else ""
    return f'<a class="cite" href="{ref_href(turn, kind, num)}"{tip}>{html.escape(label)}</a>'


def statement_html(statement: Statement, turn: int) -> str:
    """Return one statement with its [n] links; unverified and contradicted ones carry a visible flag."""
    marks = "".join(cite_link(turn, "c", c.n, f"[{c.n}]", c.title) for c in statement.citations)
    flag = ""
    if statement.support in SUPPORT_FLAGS:
        label, tip = SUPPORT_FLAGS[statement.support]
        flag = f' <span class="flag" title="{html.escape(tip, quote=True)}">{label}</span>'
    text = html.escape(" ".join(statement.text.split()))
    return f'<span class="stmt {statement.support}">{text}{"&#8288;" if marks else ""}{marks}{flag}</span>'


def unique_citations(statements: Iterable[Statement]) -> list[Citation]:
    """Return each citation number once, in number order."""
    by_n: dict[int, Citation] = {}
    for statement in statements:
        for citation in statement.citations:
            by_n.setdefault(citation.n, citation)
    return [by_n[n] for n in sorted(by_n)]


def answer_html(answer: Answer, turn: int, upto: int | None = None) -> str:
    """Return the chat message for `answer`; with `upto`, only its first statements (while streaming).

    The message is one HTML block without blank lines, so the chat's Markdown renderer leaves it alone.
    """
    if answer.abstained:
        return abstention_html(answer, turn)
    shown = answer.statements if upto is None else answer.statements[:upto]
    body = " ".join(statement_html(s, turn) for s in shown)
    if upto is not None and upto < len(answer.statements):
        return f'<div class="answer streaming"><p>{body}<span class="caret"></span></p></div>'
    parts = [f'<div class="answer"><p>{body}</p>']
    if answer.reason:
        parts.append(f'<p class="note">{html.escape(answer.reason)}</p>')
    cited = unique_citations(answer.statements)
    if cited:
        items = "".join(
            f"<li>{cite_link(turn, 'c', c.n, f'[{c.n}]')} {html.escape(_short_ref(c.title, c.page, c.ocr))}</li>"
            for c in cited
        )
        parts.append(f'<ol class="sources">{items}</ol>')
    if any(s.support in SUPPORT_FLAGS for s in answer.statements):
        parts.append(
            '<p class="legend">Statements flagged <span class="flag">unverified</span> are not confirmed '
            "by their cited passage.</p>"
        )
    parts.append("</div>")
    return "".join(parts)


def abstention_html(answer: Answer, turn: int, limit: int = RELATED_SHOWN) -> str:
    """Return the message for an abstention: why, any unconfirmed statements, then the closest passages.

    Every link opens its passage in the source panel, so the reader can judge for themselves.
    """
    reason = answer.reason or "The documents do not contain an answer to this question."
    unconfirmed = ""
    if answer.statements:
        body = " ".join(statement_html(s, turn) for s in answer.statements)
        unconfirmed = f'<p class="related-head">The closest the documents come (not confirmed):</p><p>{body}</p>'
    items = "".join(_related_item(hit, turn) for hit in answer.hits[:limit])
    related = (
        f'<p class="related-head">Closest related passages:</p><ol class="related">{items}</ol>'
        if items
        else '<p class="related-head">No passage in the documents matches the question.</p>'
    )
    return (
        '<div class="answer abstained"><p class="abstain-head">No answer found in the documents</p>'
        f'<p class="note">{html.escape(reason)}</p>{unconfirmed}{related}</div>'
    )


def _related_item(hit: Hit, turn: int) -> str:
    chunk = hit.chunk
    label = _short_ref(chunk.title, chunk.page, chunk.ocr, chunk.last_page)  # a passage: all its pages
    snippet = " ".join(chunk.text.split())
    if len(snippet) > SNIPPET_CHARS:
        snippet = snippet[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
    return f'<li>{cite_link(turn, "h", hit.rank, label)}<br><span class="snippet">{html.escape(snippet)}</span></li>'


def _short_ref(title: str, page: int | None, ocr: bool = False, last: int | None = None) -> str:
    title = title or "Untitled document"
    return f"{title}, {page_label(page, ocr, last)}" if page else title


# ---------------------------------------------------------------- source panel


def source_placeholder_html() -> str:
    return (
        '<div class="source-panel empty"><p class="source-kicker">Source</p>'
        '<p>Click a citation such as <span class="cite">[1]</span> in an answer to read the passage it '
        "comes from, with the supporting words highlighted.</p></div>"
    )


def find_source(answer: Answer, ref: SourceRef) -> tuple[Chunk | None, Citation | None]:
    """Return the chunk that `ref` points to in `answer`, and the citation when it is one."""
    by_id = {hit.chunk.id: hit.chunk for hit in answer.hits}
    if ref.kind == "h":
        return next((h.chunk for h in answer.hits if h.rank == ref.num), None), None
    citation = next((c for s in answer.statements for c in s.citations if c.n == ref.num), None)
    if citation is None:
        return None, None
    return by_id.get(citation.chunk_id), citation


def source_html(
    turns: Sequence[Turn],
    ref: SourceRef | None,
    link_for: Callable[[Chunk], str | None],
    page_for: Callable[[Chunk, int, int], str] | None = None,
) -> str:
    """Return the source panel for the passage `ref` points to in the conversation `turns`.

    `page_for(chunk, start, end)` returns the HTML of the page that `chunk.text[start:end]` stands on ("" for
    none): the panel shows it under the passage's text.
    """
    if ref is None or not 0 <= ref.turn < len(turns):
        return source_placeholder_html()
    chunk, citation = find_source(turns[ref.turn][1], ref)
    if chunk is None:
        return '<div class="source-panel empty"><p>That passage is no longer available.</p></div>'
    span = (citation.start, citation.end) if citation else None
    kicker = f"Citation [{ref.num}]" if citation else f"Related passage {ref.num}"
    # A citation's page shows its quoted span; a related passage's page, the whole passage.
    shown = span if span and span[0] < span[1] else (0, len(chunk.text))
    page = page_for(chunk, *shown) if page_for else ""
    return passage_html(chunk, span, link_for(chunk), kicker, page)


def highlight(text: str, span: tuple[int, int] | None) -> str:
    """Return `text` escaped, with `span` (char offsets, clamped to the text) wrapped in <mark>."""
    if span is None:
        return html.escape(text)
    start, end = max(0, min(span[0], len(text))), max(0, min(span[1], len(text)))
    if start >= end:
        return html.escape(text)
    return f"{html.escape(text[:start])}<mark>{html.escape(text[start:end])}</mark>{html.escape(text[end:])}"


def passage_html(
    chunk: Chunk, span: tuple[int, int] | None, link: str | None, kicker: str = "Source", page: str = ""
) -> str:
    """Return a passage card: metadata, the text with the supporting span highlighted, a link, the page (HTML).

    The page named is the one the supporting span starts on, as its citation says; without a span, every
    page the passage lies on ("8–9").
    """
    if span is not None:
        quoted = chunk.page_of(span[0])
        pages = page_numbers(quoted, chunk.ocr_on(quoted))
    else:
        pages = page_numbers(chunk.page, chunk.ocr, chunk.last_page)
    meta = []
    for label, value in (
        ("Organisation", chunk.organisation),
        ("Date", format_date(chunk.date)),
        ("Page", pages),
        ("Section", chunk.section),
    ):
        if value:
            meta.append(f"<dt>{label}</dt><dd>{html.escape(value)}</dd>")
    opened = (
        f'<a class="source-link" href="{html.escape(link, quote=True)}" target="_blank" rel="noopener noreferrer">'
        f"Open the source ↗</a>"
        if link and safe_link(link)
        else ""
    )
    text = highlight(chunk.text, span).replace("\n", "<br>")
    return (
        f'<div class="source-panel"><p class="source-kicker">{html.escape(kicker)}</p>'
        f'<h3 class="source-title">{html.escape(chunk.title or "Untitled document")}</h3>'
        f'<dl class="source-meta">{"".join(meta)}</dl>'
        f'<blockquote class="passage">{text}</blockquote>'
        f'<p class="source-file">{html.escape(chunk.source)} {opened}</p>{page}</div>'
    )


def safe_link(link: str) -> bool:
    """Return True for web links and relative ones; a javascript: or file: URL from metadata is refused."""
    return urlsplit(link).scheme in ("", "http", "https")


# ---------------------------------------------------------------- documents and filters


DOCUMENT_COLUMNS = ["Title", "Organisation", "Date", "Pages", "Passages", "File"]


def documents_rows(documents: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """Return one table row per indexed document (manifest records), sorted by title."""
    rows = [
        [
            d.get("title") or "Untitled document",
            d.get("organisation") or "",
            format_date(d.get("date") or ""),
            d.get("pages") or "",
            d.get("chunks") or 0,
            d.get("source") or "",
        ]
        for d in documents
    ]
    return sorted(rows, key=lambda r: (str(r[0]).lower(), r[5]))


def documents_summary(documents: Sequence[Mapping[str, Any]]) -> str:
    files = len({d.get("source") for d in documents})
    passages = sum(int(d.get("chunks") or 0) for d in documents)
    return f"{len(documents)} documents from {files} files, {passages:,} passages indexed."


def filter_choices(documents: Iterable[Mapping[str, Any]]) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Return the choices for the filters: (label, source) per file, organisations, years."""
    files: dict[str, str] = {}
    organisations, years = set(), set()
    for d in documents:
        source = str(d.get("source") or "")
        # A news feed is one file holding many dated items: name it after the file's first title.
        files.setdefault(source, str(d.get("title") or source))
        if d.get("organisation"):
            organisations.add(str(d["organisation"]))
        if str(d.get("date") or "")[:4].isdigit():
            years.add(str(d["date"])[:4])
    labelled = sorted(((clip(title, 70), source) for source, title in files.items()), key=lambda ls: ls[0].lower())
    return labelled, sorted(organisations, key=str.lower), sorted(years, reverse=True)


def make_filters(
    sources: Iterable[str] | None, organisations: Iterable[str] | None, years: Iterable[str] | None
) -> Filters:
    return Filters(frozenset(sources or ()), frozenset(organisations or ()), frozenset(years or ()))


def upload_status_html(
    stored: Sequence[str], rejected: Sequence[tuple[str, str]], partial: Sequence[tuple[str, str]] = ()
) -> str:
    """Return the Documents tab's report on an upload: the files added, then each refused file and why.

    `partial` names the added files that left pages out (scans without OCR), with the pages and why.
    """
    parts = []
    if stored:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in stored)
        parts.append(f'<p class="added"><strong>Added {len(stored)} file(s)</strong>, searchable now:</p>')
        parts.append(f"<ul>{items}</ul>")
    if partial:
        items = "".join(
            f'<li class="rejected"><strong>{html.escape(name)}</strong>: {html.escape(reason)}</li>'
            for name, reason in partial
        )
        parts.append(f'<p class="rejected"><strong>Added in part:</strong></p><ul>{items}</ul>')
    if rejected:
        items = "".join(
            f'<li class="rejected"><strong>{html.escape(name)}</strong>: {html.escape(reason)}</li>'
            for name, reason in rejected
        )
        parts.append(f'<p class="rejected"><strong>Not added:</strong></p><ul>{items}</ul>')
    return f'<div class="upload-status">{"".join(parts) or "<p>No file received.</p>"}</div>'
