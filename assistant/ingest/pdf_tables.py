"""Tables in PDFs: pdfplumber finds ruled tables on pages that look tabular; their rows replace the flattened text.

pdfplumber takes 0.1-0.35 s a page (shared/library e01, e02, e13; docs/ingest.md), several times pypdf's
text extraction, so it runs only on pages whose text has several lines of numbers.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence

from assistant.ingest.tables import clean_cell, table_lines

# A page is worth pdfplumber's time when at least this many lines carry two or more numbers ("2019 1,234").
MIN_NUMERIC_LINES = 3
_NUMBER = re.compile(r"^[(\-–]?[\d.,%]*\d[\d.,%]*\)?$")
# A table whose data cells are mostly empty is a layout grid or a form, not a table of values.
MAX_EMPTY_SHARE = 0.5


def looks_tabular(page_text: str) -> bool:
    """Return True when the page's text has MIN_NUMERIC_LINES lines holding at least two numbers each."""
    numeric = 0
    for line in page_text.split("\n"):
        if sum(1 for token in line.split() if _NUMBER.match(token)) >= 2:
            numeric += 1
            if numeric >= MIN_NUMERIC_LINES:
                return True
    return False


def with_table_rows(raw: bytes, pages: Sequence[str]) -> list[str]:
    """Return `pages` with each ruled table's rows as header-keeping lines, in place of its flattened text.

    A table's rows go where its first flattened line was (or at the page end when pypdf's lines do not
    match the cells); each row block is a paragraph of its own, so the rows are cited to their page.
    """
    candidates = [i for i, text in enumerate(pages) if looks_tabular(text)]
    out = list(pages)
    if not candidates:
        return out
    import pdfplumber

    try:
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            for i in candidates:
                for rows in _page_tables(pdf.pages[i]):
                    out[i] = _place_rows(out[i], rows)
    except Exception as exc:  # pypdf read the text already; a table finder's failure must not refuse the file
        warnings.warn(f"tables not read ({type(exc).__name__}: {str(exc)[:80]}); their text stays flat", stacklevel=2)
        return list(pages)
    return out


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
    """Return True for a table with a full header row, two columns or more, and mostly filled data cells.

    Real statistical annexes often come out wrong (a header merged into one cell, a one-column grid of the
    ruled part only): their flattened text is kept rather than rows with wrong labels.
    """
    if len(rows) < 2 or len(rows[0]) < 2:
        return False
    header = rows[0]
    # The first column may lack a header (row labels); every other column needs one.
    if not all(header[1:]) or len(set(header)) < len(header):
        return False
    cells = [c for row in rows[1:] for c in row]
    return sum(1 for c in cells if not c) <= MAX_EMPTY_SHARE * len(cells)


def _place_rows(page_text: str, rows: list[list[str]]) -> str:
    """Return `page_text` with the lines that flatten `rows` removed and the row lines put in their place."""
    block = "\n".join(table_lines(rows))
    flattened = {tuple(" ".join(row).split()) for row in rows}
    lines = page_text.split("\n")
    matched = [i for i, line in enumerate(lines) if line.strip() and tuple(line.split()) in flattened]
    if not matched:
        return f"{page_text}\n\n{block}\n"
    later = set(matched[1:])
    kept = [line for i, line in enumerate(lines) if i not in later]
    first = matched[0]
    kept[first] = f"\n{block}\n"
    return "\n".join(kept)
