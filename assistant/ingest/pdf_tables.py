"""Tables in PDFs: ruled and borderless tables on pages that look tabular; their rows replace the flattened text.

pdfplumber takes 0.07-0.37 s a page (bench/pdf_tables.py on shared/library), ten to a hundred times pypdf's
text extraction, so it opens only pages that pass a cheap test of pypdf's text. A ruled table is looked for
on pages with lines of numbers and both vertical and horizontal rules drawn in the page's content stream
(pdfplumber's "lines" strategy finds no table without them); a borderless one from word positions on pages
with rows of values (ingest/pdf_borderless.py).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence

from assistant.ingest.pdf_borderless import PageTable, borderless_tables
from assistant.ingest.pdf_words import looks_borderless, page_words
from assistant.ingest.tables import clean_cell, table_lines

# A page is worth pdfplumber's time when at least this many lines are mostly numbers ("2019 1,234 402").
MIN_NUMERIC_LINES = 3
_NUMBER = re.compile(r"^[(\-–]?[\d.,%]*\d[\d.,%]*\)?$")
# "(1)" opens a subsection of an Act; it is not a value (the Migration Act, a01, has one on most lines).
_SUBSECTION = re.compile(r"^\(\d{1,3}[A-Za-z]?\)$")
# A grid needs three rules each way at least (two columns, two rows); one framed box has two each way.
MIN_RULES = 3
_TEXT_OBJECT = re.compile(rb"\bBT\b.*?\bET\b", re.DOTALL)
_NUM = rb"(-?(?:\d+\.?\d*|\.\d+))"
_SEGMENT = re.compile(_NUM + rb"\s+" + _NUM + rb"\s+m\s+" + _NUM + rb"\s+" + _NUM + rb"\s+l\b")
_RECT = re.compile(_NUM + rb"\s+" + _NUM + rb"\s+" + _NUM + rb"\s+" + _NUM + rb"\s+re\b")
# A rule is a segment or a rectangle thinner than this (points) across.
_THIN = 3.0
# A table whose data cells are mostly empty is a layout grid or a form, not a table of values.
MAX_EMPTY_SHARE = 0.5
# A header cell is a label ("Apprehensions", "Number of TCNs"); a longer one is a box of text drawn as a
# table (the colophon of shared/library e03 came out as a "table" headed by an address).
MAX_HEADER_WORDS = 8


def looks_tabular(page_text: str) -> bool:
    """Return True when the page's text has MIN_NUMERIC_LINES lines of two numbers or more, half their words."""
    numeric = 0
    for line in page_text.split("\n"):
        tokens = line.split()
        numbers = sum(1 for t in tokens if _NUMBER.match(t) and not _SUBSECTION.match(t))
        if numbers >= 2 and 2 * numbers >= len(tokens):
            numeric += 1
            if numeric >= MIN_NUMERIC_LINES:
                return True
    return False


def has_rules(content: bytes) -> bool:
    """Return True when the content stream `content` draws MIN_RULES vertical and horizontal rules or cell edges."""
    drawing = _TEXT_OBJECT.sub(b" ", content)  # text objects hold strings that could read as operators
    vertical = horizontal = 0
    for x1, y1, x2, y2 in _SEGMENT.findall(drawing):
        if abs(float(x1) - float(x2)) < _THIN:
            vertical += 1
        elif abs(float(y1) - float(y2)) < _THIN:
            horizontal += 1
    for _x, _y, w, h in _RECT.findall(drawing):
        wide, high = abs(float(w)), abs(float(h))
        if wide < _THIN and high >= _THIN:
            vertical += 1
        elif high < _THIN and wide >= _THIN:
            horizontal += 1
        elif wide >= _THIN and high >= _THIN:  # a cell's box: two edges each way
            vertical += 2
            horizontal += 2
        if vertical >= MIN_RULES and horizontal >= MIN_RULES:
            return True
    return vertical >= MIN_RULES and horizontal >= MIN_RULES


def with_table_rows(raw: bytes, reader: object, pages: Sequence[str]) -> list[str]:
    """Return `pages` with each table's rows as header-keeping lines, in place of its flattened text.

    Ruled tables are read on pages with lines of numbers and drawn rules (pdfplumber's "lines" strategy);
    borderless ones from word positions on pages with rows of values (ingest/pdf_borderless.py).
    A table's rows go where its first flattened line was (or at the page end when pypdf's lines do not
    match the cells); each row block is a paragraph of its own, so the rows are cited to their page.
    `reader` is the pypdf PdfReader of `raw`, whose pages' content streams are checked for rules.
    """
    ruled = {i for i, text in enumerate(pages) if looks_tabular(text) and has_rules(_content(reader, i))}
    borderless = {i for i, text in enumerate(pages) if looks_borderless(text)}
    out = list(pages)
    if not ruled and not borderless:
        return out
    import pdfplumber

    try:
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            for i in sorted(ruled | borderless):
                tables = [_ruled_table(rows) for rows in _page_tables(pdf.pages[i])] if i in ruled else []
                if not tables and i in borderless:
                    tables = list(borderless_tables(page_words(pdf.pages[i])))
                for table in tables:
                    out[i] = _place(out[i], table)
    except Exception as exc:  # pypdf read the text already; a table finder's failure must not refuse the file
        warnings.warn(f"tables not read ({type(exc).__name__}: {str(exc)[:80]}); their text stays flat", stacklevel=2)
        return list(pages)
    return out


def _content(reader: object, index: int) -> bytes:
    """Return the decoded content stream of page `index` of the pypdf `reader` (b"" when it has none)."""
    try:
        content = reader.pages[index].get_contents()  # type: ignore[attr-defined]
        return content.get_data() if content is not None else b""
    except Exception:  # a damaged stream: pypdf's text extraction already coped with it, the table step skips it
        return b""


def _page_tables(page: object) -> list[list[list[str]]]:
    """Return the usable tables of a pdfplumber page, each a list of rows of cleaned cells, header first."""
    tables = []
    for table in page.find_tables():  # type: ignore[attr-defined]
        rows = [[clean_cell(c) for c in row] for row in table.extract()]
        rows = [row for row in rows if any(row)]
        if _usable(rows):
            tables.append(rows)
    return tables


def _usable(rows: list[list[str]]) -> bool:
    """Return True for a table with a header row of labels, two columns and two rows or more, mostly filled.

    Real statistical annexes often come out wrong (a header merged into one cell, a one-column grid of the
    ruled part only): their flattened text is kept rather than rows with wrong labels.
    """
    if len(rows) < 3 or len(rows[0]) < 2:  # a header and one row is a framed box more often than a table
        return False
    header = rows[0]
    # The first column may lack a header (row labels); every other column needs one.
    if not all(header[1:]) or len(set(header)) < len(header):
        return False
    if any(len(cell.split()) > MAX_HEADER_WORDS for cell in header):
        return False
    cells = [c for row in rows[1:] for c in row]
    return sum(1 for c in cells if not c) <= MAX_EMPTY_SHARE * len(cells)


def _ruled_table(rows: list[list[str]]) -> PageTable:
    """Return a ruled table's row lines with the text that pypdf prints for it (each row's cells joined)."""
    printed = tuple(" ".join(row) for row in rows)
    tokens = frozenset(token for line in printed for token in line.split())
    return PageTable(tuple(table_lines(rows)), printed, tokens)


def _place(page_text: str, table: PageTable) -> str:
    """Return `page_text` with the lines that flatten `table` removed and its row lines put in their place.

    A line flattens the table when it prints one of its lines or rows; between the first and the last such
    line, and right before or after them, a line made only of the table's words is a piece of it too (a
    wrapped name, a footnote mark glued to a label in pypdf's text), and goes as well.
    """
    block = "\n".join(table.lines)
    printed = {tuple(line.split()) for line in table.printed}
    lines = page_text.split("\n")
    matched = [i for i, line in enumerate(lines) if line.strip() and tuple(line.split()) in printed]
    if not matched:
        return f"{page_text}\n\n{block}\n"
    first, last = matched[0], matched[-1]
    while first > 0 and _piece(lines[first - 1], table):
        first -= 1
    while last + 1 < len(lines) and _piece(lines[last + 1], table):
        last += 1
    gone = set(matched) | {i for i in range(first, last + 1) if _piece(lines[i], table)}
    kept = [f"\n{block}\n" if i == first else line for i, line in enumerate(lines) if i == first or i not in gone]
    return "\n".join(kept)


def _piece(line: str, table: PageTable) -> bool:
    return bool(line.strip()) and set(line.split()) <= table.tokens
