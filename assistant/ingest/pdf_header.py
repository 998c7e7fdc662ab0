"""The header of a borderless PDF table: the label lines above its rows, and each column's label from them.

A header may take several lines: a label wrapped in its column ("Put to work outside" / "the Netherlands"),
and a cell over several columns with a label for each below it ("2000" over "N %" gives "2000 N" and
"2000 %"). Statistical annexes print both (shared/library e02).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from assistant.ingest.pdf_words import Line, Span, cells, column_of, is_data, is_prose, text, top, unmarked

# A line more than this many row pitches above the one below it is not part of the header (e13 prints the
# year 2 pitches above its header line).
HEADER_GAP = 1.6
MAX_HEADER_LINES = 4
MAX_LABEL_WORDS = 12
# A strip narrower than this between an unlabelled column and its left neighbour is a space inside a cell.
NARROW = 6.0
_CAPTION = re.compile(r"^(table|figure|chart|graph|annex)\s+[A-Z]?\d", re.IGNORECASE)
_WRAP = re.compile(r"(\w)-$")


def header_lines(lines: Sequence[Line], first: int, pitch: float) -> list[Line]:
    """Return the label lines just above line `first`, top to bottom; a caption, prose or a gap ends them."""
    header: list[Line] = []
    below = top(lines[first])
    index = first - 1
    while index >= 0 and len(header) < MAX_HEADER_LINES:
        line = lines[index]
        if below - top(line) > HEADER_GAP * pitch or is_data(line) or is_prose(line) or _CAPTION.match(text(line)):
            break
        header.append(line)
        below = top(line)
        index -= 1
    return header[::-1]


def column_labels(header: Sequence[Line], columns: Sequence[Span]) -> list[str] | None:
    """Return each column's label from the `header` lines ("" for none), or None when they do not fit the columns.

    The lines are read bottom up. Each cell labels the column it overlaps most (or whose slot holds it), and
    the other columns it overlaps. A column that a line leaves unlabelled takes the label of that line's
    nearest cell beside it when the cell reaches over its slot or its label so far is another column's too
    ("2000" printed over "N" and "%" gives "2000 N", "2000 %"), provided the cells still cover whole groups
    of the lines below.
    """
    count = len(columns)
    pieces: list[list[str]] = [[] for _ in range(count)]
    group = list(range(count))  # columns under one cell of a line share a group with the lines above
    for line in reversed(header):
        found = cells(unmarked(line))
        in_order = len(found) == count and all(_overlaps_slot(cell, k, columns) for k, cell in enumerate(found))
        spreads = [[k] for k in range(count)] if in_order else _spreads(found, columns)
        _span(found, spreads, columns, [joined(reversed(parts)) for parts in pieces])
        for cell, spread in zip(found, spreads, strict=True):
            if not _whole(spread, group):
                return None
            for k in spread:
                pieces[k].append(text(cell))
                group[k] = group[spread[0]]
    return [joined(reversed(parts)) for parts in pieces]


def _spreads(found: Sequence[Line], columns: Sequence[Span]) -> list[list[int]]:
    """Return the columns each cell of a line labels: the one it overlaps most, and the others it overlaps.

    A cell over the row names labels them alone (the header of the names, "Recruiters arrested", may run on
    over the gap to the first column of values).
    """
    best = [_best(cell, columns) for cell in found]
    spreads = []
    for cell, column in zip(found, best, strict=True):
        x0, x1 = cell[0].x0, cell[-1].x1
        over = [k for k, (c0, c1) in enumerate(columns) if x0 < c1 and x1 > c0 and (k == column or k not in best)]
        spreads.append([column] if column == 0 or not over else over)
    return spreads


def _span(found: Sequence[Line], spreads: list[list[int]], columns: Sequence[Span], labels: Sequence[str]) -> None:
    """Give a column that the line leaves unlabelled to the nearest cell beside it (not one over the row names)
    when that cell reaches over the column's slot, or when the column's label so far is another's too."""
    taken = {k for spread in spreads for k in spread}
    kinds = [label.rstrip("*") for label in labels]  # "%*" and "%**" are both percentages, footnoted
    changed = True
    while changed:
        changed = False
        for k in range(1, len(columns)):
            beside = [i for i, spread in enumerate(spreads) if spread[0] != 0 and (k + 1 in spread or k - 1 in spread)]
            if k in taken or not labels[k] or not beside:
                continue
            c0, c1 = columns[k]
            nearest = min(beside, key=lambda i: max(found[i][0].x0 - c1, c0 - found[i][-1].x1))
            if kinds.count(kinds[k]) > 1 or _overlaps_slot(found[nearest], k, columns):
                spreads[nearest] = sorted([*spreads[nearest], k])
                taken.add(k)
                changed = True


def usable(labels: Sequence[str]) -> bool:
    """Return True when every column but the first (row names) has a short label of its own."""
    named = [label for label in labels if label]
    if not all(labels[1:]) or len(set(named)) < len(named):
        return False
    return all(len(label.split()) <= MAX_LABEL_WORDS for label in labels)


def unlabelled_merged(labels: Sequence[str], columns: Sequence[Span]) -> list[Span]:
    """Return `columns` with each unlabelled one joined to its left neighbour when a narrow strip parts them.

    A number ending a row name ("250ter/a paragraph 1") makes a column of its own that no header names.
    """
    merged = [columns[0]]
    for label, column in zip(labels[1:], columns[1:], strict=True):
        if not label and column[0] - merged[-1][1] < NARROW:
            merged[-1] = (merged[-1][0], column[1])
        else:
            merged.append(column)
    return merged


def joined(parts: Iterable[str]) -> str:
    """Return the pieces of a label or a name joined top to bottom, a word broken by a hyphen made whole."""
    out = ""
    for part in parts:
        if out and _WRAP.search(out) and part[:1].islower():
            out = out[:-1] + part
        else:
            out = f"{out} {part}".strip()
    return out


def _overlaps_slot(cell: Line, index: int, columns: Sequence[Span]) -> bool:
    left = (columns[index - 1][1] + columns[index][0]) / 2 if index > 0 else float("-inf")
    right = (columns[index][1] + columns[index + 1][0]) / 2 if index + 1 < len(columns) else float("inf")
    return cell[0].x0 < right and cell[-1].x1 > left


def _best(cell: Line, columns: Sequence[Span]) -> int:
    """Return the column that `cell` overlaps most, or the one whose slot holds its centre."""
    x0, x1 = cell[0].x0, cell[-1].x1
    overlaps = [min(x1, c1) - max(x0, c0) for c0, c1 in columns]
    widest = max(range(len(columns)), key=lambda k: overlaps[k])
    return widest if overlaps[widest] > 0 else column_of((x0 + x1) / 2, columns)


def _whole(spread: list[int], group: list[int]) -> bool:
    """Return True when the columns `spread` are a union of whole groups."""
    inside = {group[k] for k in spread}
    return all(k in spread for k in range(len(group)) if group[k] in inside)
