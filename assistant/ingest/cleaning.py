"""Text cleaning: undo hyphenation, collapse whitespace, strip markup and page furniture."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_HYPHEN_BREAK = re.compile(r"(\w)-\n[ \t]*(\w)")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{2,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\u200b]")
_BULLET = re.compile(r"^\s*(?:[-*•▪◦·]|\d{1,2}[.)])\s+")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_MD_SUP = re.compile(r"<sup>\s*([^<]{0,8})\s*</sup>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]{0,200}>")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)((?:(?!\n\n).)+?)(?<=\S)\1", re.DOTALL)
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_RULE = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|(?:\\\*){3,})\s*$")


def normalise(text: str) -> str:
    """Return `text` in NFC with control characters removed and line ends unified."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text)


def join_hyphenated(text: str) -> str:
    """Join words split by a hyphen at a line end ("migra-\\ntion" -> "migration")."""
    return _HYPHEN_BREAK.sub(r"\1\2", text)


def collapse_whitespace(text: str) -> str:
    """Collapse runs of spaces, strip lines, and keep at most one blank line between paragraphs."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def strip_markdown(text: str) -> str:
    """Remove Markdown/HTML markup that a reader does not see, keeping headings and bullets as lines."""
    text = _MD_EMPHASIS.sub(r"\2", text)  # bold may span a hard line break
    out: list[str] = []
    for line in text.split("\n"):
        if _MD_RULE.match(line) or _MD_RULE.match(_MD_ESCAPE.sub(r"\1", line)):
            out.append("")
            continue
        line = _MD_HEADING.sub("", line)
        line = _MD_SUP.sub("", line)  # footnote markers would glue digits onto words and numbers
        line = _MD_LINK.sub(r"\1", line)
        line = _HTML_TAG.sub("", line)
        line = _MD_ESCAPE.sub(r"\1", line)
        out.append(line)
    return "\n".join(out)


def unwrap_lines(text: str) -> str:
    """Join hard-wrapped lines of a paragraph into one line; bullets and short headings stay lines.

    A line is joined to the previous one unless the previous ends a sentence or a heading, or the
    line starts a bullet. This keeps one paragraph per line, which the chunker relies on.
    """
    paragraphs: list[str] = []
    for block in text.split("\n\n"):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        merged: list[str] = []
        for line in lines:
            if merged and not _BULLET.match(line) and not _ends_block(merged[-1]):
                merged[-1] = merged[-1].rstrip() + " " + line.lstrip()
            else:
                merged.append(line)
        paragraphs.append("\n".join(merged))
    return "\n\n".join(p for p in paragraphs if p)


def _ends_block(line: str) -> bool:
    stripped = line.rstrip()
    if not stripped:
        return True
    # A short line without final punctuation is a heading or a label, not a wrapped sentence.
    return stripped[-1] in '.:;!?"”’)' or (len(stripped) < 60 and (stripped.isupper() or stripped.istitle()))


def drop_repeated_lines(pages: list[str], min_pages: int = 3) -> list[str]:
    """Drop header/footer lines that recur on most pages (page furniture), and bare page numbers."""
    if len(pages) < min_pages:
        return pages
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [ln.strip() for ln in page.split("\n") if ln.strip()]
        edge = set(lines[:3] + lines[-3:])
        counts.update(_furniture_key(ln) for ln in edge)
    threshold = max(min_pages, (len(pages) + 1) // 2)
    repeated = {key for key, n in counts.items() if n >= threshold}
    cleaned = []
    for page in pages:
        lines = page.split("\n")
        kept = [ln for ln in lines if _furniture_key(ln.strip()) not in repeated and not _is_page_number(ln)]
        cleaned.append("\n".join(kept))
    return cleaned


def drop_repeated_paragraphs(text: str, min_count: int = 2, max_len: int = 120) -> str:
    """Drop short paragraphs that recur verbatim in one document (e.g. "The Project is funded by ...")."""
    blocks = text.split("\n\n")
    counts = Counter(b.strip() for b in blocks if 0 < len(b.strip()) <= max_len)
    repeated = {b for b, n in counts.items() if n >= min_count and not _is_page_number(b)}
    return "\n\n".join(b for b in blocks if b.strip() not in repeated)


def _furniture_key(line: str) -> str:
    # Page numbers inside headers ("Report 2018 | page 7") differ per page: compare without digits.
    return re.sub(r"\d+", "#", line.lower())


def _is_page_number(line: str) -> bool:
    return bool(re.fullmatch(r"\s*(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?\s*", line, re.IGNORECASE))
