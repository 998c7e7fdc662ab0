"""Tables as text: each row a line that keeps its header ("Year: 2019 | Apprehensions: 1,234."); CSV and XLSX files.

A row line ends with a full stop so that cleaning keeps it a line of its own and the chunker does not take it
for a heading; ingest/sentences.py keeps it whole as one quotable unit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence

from assistant.errors import LoadError
from assistant.ingest.zipcheck import open_zip

CELL_SEPARATOR = " | "
_SPACES = re.compile(r"\s+")


def clean_cell(value: object) -> str:
    """Return a cell's text on one line ("" for an empty cell); whole-number floats lose their ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return _SPACES.sub(" ", str(value)).replace("|", "/").strip()


def is_row_line(line: str) -> bool:
    """Return True when `line` is a table row as row_line writes it (cells joined by " | ", one labelled, a stop)."""
    stripped = line.strip()
    if not stripped.endswith((".", "!", "?")) or ": " not in stripped:
        return False
    cells = stripped.split(CELL_SEPARATOR)
    return len(cells) >= 2 and all(c.strip() and "|" not in c for c in cells)


def row_line(header: Sequence[str], cells: Sequence[str]) -> str:
    """Return one data row as a line whose values carry their column's header; "" when the row is empty.

    A cell under an empty header (a row-label column) stands alone; empty cells are left out.
    """
    parts = []
    for index, value in enumerate(cells):
        if not value:
            continue
        label = header[index] if index < len(header) else ""
        parts.append(f"{label}: {value}" if label and label != value else value)
    if not parts:
        return ""
    line = CELL_SEPARATOR.join(parts)
    return line if line.endswith((".", "!", "?")) else line + "."


def table_lines(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Yield the row lines of a table whose first non-empty row is its header (lazily: sheets can be huge)."""
    header: list[str] | None = None
    any_row = False
    for raw in rows:
        cells = [clean_cell(c) for c in raw]
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        line = row_line(header, cells)
        if line:
            any_row = True
            yield line
    if header is not None and not any_row:  # a header alone: keep its words, they may be all the table says
        yield CELL_SEPARATOR.join(c for c in header if c) + "."


def csv_text(text: str, max_chars: int) -> str:
    """Return the row lines of CSV `text` (comma, semicolon or tab separated, first row the header)."""
    sample = text[:65536]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        lines = bounded(table_lines(csv.reader(io.StringIO(text), dialect)), max_chars)
    except csv.Error as exc:
        raise LoadError(f"malformed CSV ({exc})") from None
    if not lines:
        raise LoadError("CSV file has no rows")
    return "\n".join(lines)


def xlsx_text(raw: bytes, max_chars: int) -> str:
    """Return each sheet of the XLSX bytes `raw` as a heading line (its name) and its row lines."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    open_zip(raw, "Excel .xlsx", "xl/workbook.xml")
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (InvalidFileException, KeyError, ValueError, OSError, TypeError) as exc:
        raise LoadError(f"damaged Excel .xlsx file ({type(exc).__name__}: {str(exc)[:80]})") from None
    blocks = []
    used = 0
    try:
        for sheet in book.worksheets:
            lines = bounded(table_lines(sheet.iter_rows(values_only=True)), max_chars - used)
            if lines:
                block = "\n".join([sheet.title, *lines])
                used += len(block) + 2
                blocks.append(block)
    except LoadError:
        raise
    except Exception as exc:  # openpyxl raises ad-hoc types on damaged sheet XML; none may stop an ingest
        raise LoadError(f"damaged Excel .xlsx file ({type(exc).__name__})") from None
    finally:
        book.close()
    if not blocks:
        raise LoadError("Excel file has no rows with values")
    return "\n\n".join(blocks)


def bounded(lines: Iterable[str], max_chars: int) -> list[str]:
    """Return `lines` as a list; raise LoadError as soon as they pass `max_chars` (a huge sheet is not read whole)."""
    out = []
    total = 0
    for line in lines:
        total += len(line) + 1
        if total > max_chars:
            raise LoadError(f"table too long (over {max_chars:,} characters of rows): split the file")
        out.append(line)
    return out
