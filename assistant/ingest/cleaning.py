"""Text cleaning: undo mojibake and hyphenation, collapse whitespace, strip markup and page furniture."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import ftfy

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


# Mojibake: UTF-8 read as Latin-1 or cp1252, once or several times ("Ã¢Â€Â™" for "’", "Ã¢Â\x97Â\x8f" for "●"),
# as scraped text files carry it; ftfy undoes it and drops the control characters that leaves. Nothing else of
# ftfy's runs: quotes, ligatures, full-width letters and HTML entities stay as the document has them.
_FTFY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    normalization=None,
    explain=False,
)
# Every sequence ftfy repairs holds one of these: a UTF-8 lead byte read as Latin-1/cp1252 ("Â".."ô"), or one of
# its continuation bytes so read (a C1 control, or cp1252's "€", "‚", "ƒ", "„", "…", "†", "‡", "ˆ", "‰").
# Text holding none skips ftfy.
_MOJIBAKE_HINT = re.compile("[\u00c2-\u00f4\u0080-\u009f\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030]")


def normalise(text: str) -> str:
    """Return `text` in NFC with mojibake undone, control characters removed and line ends unified."""
    if _MOJIBAKE_HINT.search(text):
        text = ftfy.fix_text(text, _FTFY)
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
    """Drop the running headers and footers at the pages' edges, and page numbers there.

    A line is furniture when, digits aside, it recurs at the top or bottom of COMMON_SHARE of the pages
    ("Migration Act 1958 83" sits fifth on odd pages of an Act, "84 Migration Act 1958" on even ones), or
    when, word for word, it recurs at the edge of at least one page in RUNNING_SHARE (a Part's title heads
    its pages only). A line whose digit-free form recurs on its own page is a table row ("30/01/2020
    RO-01356 Italy Tunisia 10"), never furniture.
    """
    if len(pages) < min_pages:
        return pages
    edges = [_edge_lines(page) for page in pages]
    counts: Counter[str] = Counter()  # pages with the line at their edge, digits masked
    exact: Counter[str] = Counter()  # the same, word for word
    for page, edge in zip(pages, edges, strict=True):
        lines = page.split("\n")
        counts.update({_furniture_key(lines[i].strip()) for i in edge})
        exact.update({lines[i].strip().lower() for i in edge})
    common = max(min_pages, int(len(pages) * COMMON_SHARE))
    running = max(min_pages, int(len(pages) * RUNNING_SHARE))
    cleaned = []
    for page, edge in zip(pages, edges, strict=True):
        lines = page.split("\n")
        keys = [_furniture_key(line.strip()) for line in lines]
        on_page = Counter(key for key, line in zip(keys, lines, strict=True) if line.strip())
        kept = []
        for i, (line, key) in enumerate(zip(lines, keys, strict=True)):
            header = i in edge and on_page[key] == 1
            recurs = header and exact[line.strip().lower()] >= running and len(_WORD.findall(line)) >= 2
            if (header and counts[key] >= common) or recurs or (i in edge and _is_page_number(line)):
                continue
            kept.append(line)
        cleaned.append("\n".join(kept))
    return cleaned


# Lines of a page's top and bottom where running headers and footers sit (an Act's header is six lines).
EDGE_TOP = 8
EDGE_BOTTOM = 4
# A line at the edge of this share of the pages, digits aside, is a running header: under a half, for
# headers that alternate between odd and even pages.
COMMON_SHARE = 0.4
# A worded line at the edge of this share of the pages (and of min_pages) is a running header.
RUNNING_SHARE = 0.05
_WORD = re.compile(r"[^\W\d_]{3,}")


def _edge_lines(page: str) -> set[int]:
    """Return the indexes of the first EDGE_TOP and last EDGE_BOTTOM non-blank lines of `page`."""
    filled = [i for i, line in enumerate(page.split("\n")) if line.strip()]
    return set(filled[:EDGE_TOP] + filled[-EDGE_BOTTOM:])


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
