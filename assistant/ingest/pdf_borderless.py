"""Borderless PDF tables: columns found from word positions, each row a line that keeps its column labels.

Statistical annexes (shared/library e01, e02, e13) draw no rules, or rules on one side only, so pdfplumber's
"lines" strategy finds no table, and its "text" strategy cuts words in two ("2 000", "16 6"). Here the
columns are the x-ranges covered by the words of the value rows, split by empty vertical strips; the label
lines just above the rows are the header (ingest/pdf_header.py). A table is kept only when its reading is
consistent: a header naming every column, most value rows filling every column, each column of values
lined up. Otherwise the page keeps its text, since a wrong label is worse than none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from assistant.ingest.pdf_header import column_labels, header_lines, joined, unlabelled_merged, usable
from assistant.ingest.pdf_words import (
    CELL_GAP,
    MIN_ROWS,
    NIL,
    Line,
    Span,
    Word,
    cells,
    centre,
    column_of,
    is_data,
    is_prose,
    is_value,
    near,
    printed,
    printed_lines,
    top,
    unmarked,
)
from assistant.ingest.tables import row_line

# Points. A strip narrower than this splits columns only beside a column of values (e13's date and type
# are 3 pt apart); between two columns of text it is a space inside a cell ("Czech | Republic").
NARROW_RIVER = 6.0
# A column of values is lined up when its values share a left edge, right edge or centre within this
# (e02 sets one count 3 pt off the others in its column).
ALIGNMENT = 4.0
# A label line closer than this many line heights to a row of values is that row's name, wrapped on two
# lines and centred against the values (e02: "Central and Eas-" / "134 39% ..." / "tern Europe", 5 pt
# apart at 9 pt type; its rows are 11 pt apart).
WRAPPED_LABEL = 0.75
# Most value rows fill every labelled column; a table whose rows do not is read wrong more often than not.
MIN_FULL_ROWS = 0.75
# A column is one of values when this share of its entries are values.
VALUE_COLUMN = 0.8

Anchor = tuple[int, float]  # the edge a column's values share (0 left, 1 right, 2 centre), and where


@dataclass(frozen=True, slots=True)
class PageTable:
    """A table read from a PDF page: its row lines, and the text it replaces in the page's text layer."""

    lines: tuple[str, ...]  # row lines (tables.row_line); a row name without values stays a plain line
    printed: tuple[str, ...]  # the table's printed lines and rows as a text extraction joins their words
    tokens: frozenset[str]  # every word of the table


def borderless_tables(words: Sequence[Word]) -> list[PageTable]:
    """Return the consistently read borderless tables among a page's `words`, top to bottom."""
    lines = printed_lines(words)
    tables = []
    start = 0
    while start < len(lines):
        found = _body(lines, start)
        if found is None:
            break
        first, last, columns = found
        table = _read(lines, first, last, columns) if columns else None
        if table is not None:
            tables.append(table)
        start = last + 1
    return tables


def _body(lines: Sequence[Line], start: int) -> tuple[int, int, list[Span]] | None:
    """Return the first table body at or after line `start`: its first and last line, and its columns.

    The columns are [] when a column of values is not lined up (not a table).
    """
    index = next((k for k in range(start, len(lines)) if is_data(lines[k])), None)
    if index is None:
        return None
    last = index
    scan = index + 1
    while scan < len(lines) and not is_prose(lines[scan]) and near(lines[scan - 1], lines[scan]):
        if is_data(lines[scan]):
            last = scan
        scan += 1
    columns = _columns([line for line in lines[index : last + 1] if is_data(line)])
    misfit = next((k for k in range(index, last + 1) if not _fits(lines[k], columns)), None)
    if misfit is not None:  # the rows end before a line that runs across the columns
        last = max(k for k in range(index, misfit) if is_data(lines[k]))
        columns = _columns([line for line in lines[index : last + 1] if is_data(line)])
    anchors = _anchors([line for line in lines[index : last + 1] if is_data(line)], columns)
    if anchors is None:
        return index, last, []
    # Rows with fewer values just before the first value row or after the last ("Germany Albania 45",
    # "RO-01604 Total 20": an operation continued from the page before, a total) belong to the table when a
    # value sits where the column's values do; a note or a header ("Source: STV", "2000 2001") does not.
    while index > start and _belongs(lines[index - 1], lines[index], columns, anchors):
        index -= 1
    while last + 1 < len(lines) and _belongs(lines[last + 1], lines[last], columns, anchors):
        last += 1
    return index, last, columns


def _columns(rows: Sequence[Line]) -> list[Span]:
    """Return the columns that the words of value `rows` cover, left to right, split by empty strips."""
    spans = sorted((w.x0, w.x1, is_value(w.text)) for row in rows for w in unmarked(row))
    merged: list[tuple[float, float, bool]] = []
    for x0, x1, value in spans:
        if merged and x0 <= merged[-1][1]:
            left = merged[-1]
            merged[-1] = (left[0], max(left[1], x1), left[2] and value)
        else:
            merged.append((x0, x1, value))
    columns: list[tuple[float, float, bool]] = []
    for column in merged:
        if columns and column[0] - columns[-1][1] < NARROW_RIVER and not (columns[-1][2] or column[2]):
            columns[-1] = (columns[-1][0], column[1], False)
        else:
            columns.append(column)
    return [(x0, x1) for x0, x1, _ in columns]


def _spanned(words: Line, columns: Sequence[Span]) -> list[int]:
    """Return the columns whose x-range the run of `words` overlaps."""
    x0, x1 = words[0].x0, words[-1].x1
    return [k for k, (c0, c1) in enumerate(columns) if x0 < c1 and x1 > c0]


def _fits(line: Line, columns: Sequence[Span]) -> bool:
    """Return True for a value row, or a line none of whose cells runs across a column gap wider than a space.

    Across a narrower gap two cells print as one (e01's date and operation code are 4 pt apart).
    """
    if is_data(line):
        return True
    for cell in cells(unmarked(line)):
        if any(len(_spanned([word], columns)) > 1 for word in cell):
            return False
        spanned = _spanned(cell, columns)
        if any(columns[k + 1][0] - columns[k][1] > CELL_GAP for k in spanned[:-1]):
            return False
    return True


def _anchors(data: Sequence[Line], columns: Sequence[Span]) -> list[Anchor | None] | None:
    """Return where each column's values line up (None for a column of text); None if a column's values do not."""
    entries: list[list[Word]] = [[] for _ in columns]
    for line in data:
        for word in unmarked(line):
            entries[column_of(centre(word), columns)].append(word)
    anchors: list[Anchor | None] = []
    for words in entries:
        values = [w for w in words if is_value(w.text) and w.text not in NIL]
        if len(values) < 2 or len(values) < VALUE_COLUMN * len(words):
            anchors.append(None)  # a column of text: names start where they start
            continue
        edges = [[w.x0 for w in values], [w.x1 for w in values], [centre(w) for w in values]]
        edge = min(range(3), key=lambda k: max(edges[k]) - min(edges[k]))
        if max(edges[edge]) - min(edges[edge]) > ALIGNMENT:
            return None
        anchors.append((edge, median(edges[edge])))
    return anchors


def _belongs(line: Line, neighbour: Line, columns: Sequence[Span], anchors: Sequence[Anchor | None]) -> bool:
    """Return True when `line`, next to the table's first or last row `neighbour`, is part of the table."""
    if _label_only(line, columns) and _wraps(line, neighbour, columns):
        return True
    upper, lower = sorted((line, neighbour), key=top)
    if not near(upper, lower) or is_prose(line) or not _fits(line, columns):
        return False
    for word in unmarked(line):
        anchor = anchors[column_of(centre(word), columns)]
        if anchor is not None and is_value(word.text):
            edge, position = anchor
            if abs((word.x0, word.x1, centre(word))[edge] - position) <= ALIGNMENT:
                return True
    return False


def _read(lines: Sequence[Line], first: int, last: int, columns: list[Span]) -> PageTable | None:
    """Return the table whose body is lines `first`..`last` under `columns`, or None if it reads inconsistently."""
    body = list(lines[first : last + 1])
    if len(columns) < 2 or sum(1 for line in body if is_data(line)) < MIN_ROWS:
        return None
    tops = [top(line) for line in body]
    pitch = median([b - a for a, b in zip(tops, tops[1:], strict=False)] or [0.0])
    pitch = max(pitch, median(w.bottom - w.top for line in body for w in line))
    header = header_lines(lines, first, pitch)
    labels = column_labels(header, columns) if header else None
    if labels is not None and not usable(labels):
        columns = unlabelled_merged(labels, columns)
        labels = column_labels(header, columns)
    if labels is None or not usable(labels):
        return None
    rows, data = _rows(body, columns)
    valued = [row for row, flag in zip(rows, data, strict=True) if flag]
    labelled = [k for k, label in enumerate(labels) if label]
    if sum(1 for row in valued if all(row[k] for k in labelled)) < MIN_FULL_ROWS * len(valued):
        return None
    out = [row_line(labels, row) if any(row[1:]) else row[0] for row in rows]
    texts = [variant for line in header + body for variant in printed(line)]
    texts += [" ".join(c for c in row if c) for row in rows]
    tokens = frozenset(token for line in texts for token in line.split())
    return PageTable(tuple(line for line in out if line), tuple(texts), tokens)


def _rows(body: Sequence[Line], columns: Sequence[Span]) -> tuple[list[list[str]], list[bool]]:
    """Return the cells of each row of `body` (a name wrapped onto lines of its own joins its row), and
    whether each row is a row of values."""
    entries = [_entries(line, columns) for line in body]
    owner = list(range(len(body)))
    for index, line in enumerate(body):
        if _label_only(line, columns):
            for k in (index - 1, index + 1):
                if 0 <= k < len(body) and not _label_only(body[k], columns) and _wraps(line, body[k], columns):
                    owner[index] = k
                    break
    rows: list[list[str]] = []
    data: list[bool] = []
    for index, row in enumerate(entries):
        if owner[index] == index:
            names = [entries[k][0] for k in range(len(body)) if owner[k] == index and entries[k][0]]
            rows.append([joined(names), *row[1:]])
            data.append(is_data(body[index]))
    return rows, data


def _label_only(line: Line, columns: Sequence[Span]) -> bool:
    return not is_data(line) and all(column_of(centre(w), columns) == 0 for w in unmarked(line))


def _wraps(label: Line, row: Line, columns: Sequence[Span]) -> bool:
    """Return True when the label-only line `label` continues the row name of its neighbour `row`.

    It does when it is printed less than WRAPPED_LABEL line heights from the row (a name centred against
    its values), or right under it finishing a word broken by a hyphen ("(Former) Yugo-" / "slavia").
    """
    height = max(w.bottom - w.top for w in row)
    if abs(top(label) - top(row)) < WRAPPED_LABEL * height:
        return True
    name = _entries(row, columns)[0]
    return top(label) > top(row) and near(row, label) and name.endswith("-") and label[0].text[:1].islower()


def _entries(line: Line, columns: Sequence[Span]) -> list[str]:
    """Return the text of `line` in each column."""
    parts: list[list[str]] = [[] for _ in columns]
    for word in unmarked(line):
        parts[column_of(centre(word), columns)].append(word.text)
    return [" ".join(p) for p in parts]
