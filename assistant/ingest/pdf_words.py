"""A PDF page's words and printed lines, and the values among them (numbers, dates, operation codes).

These are the pieces the borderless table reader (ingest/pdf_borderless.py) works with, and the cheap
test on pypdf's text that decides which pages it reads at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_NUMBER = re.compile(r"^[(+\-–]?\d(?:[\d.,]*\d)?%?\)?$")  # 2019, 1,234, 6.8, 39%, (12); not "175," or "3."
_DATE = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}$")
_CODE = re.compile(r"^[A-Z]{1,5}-\d{2,}[A-Z]?$")  # an operation code such as RO-01330
_YEAR = re.compile(r"^(?:19|20)\d\d$")
NIL = frozenset({"-", "–", "—", "n/a", "x"})  # a table's "none" or "not known" (e02 prints "- -" and "x")
# "(1)" opens a subsection of an Act; it is not a value (the Migration Act, a01, has one on most lines).
_SUBSECTION = re.compile(r"^\(\d{1,3}[A-Za-z]?\)$")

# A value row has this many values at least, and values are half its tokens or more. Three (not two) keeps
# the Migration Act's amendment history ("s 7 ... ad No 175, 1980") out: with two, 22 of its pages would go
# to pdfplumber, with three none (docs/ingest.md, "Borderless tables").
MIN_VALUES = 3
# A page is read for tables when MIN_ROWS value rows fall within WINDOW consecutive lines of its text (e13
# prints up to seven lines of one return operation between two value rows).
MIN_ROWS = 3
WINDOW = 6

# Points. pdfplumber's words of one printed line differ in top by up to 1 pt (e13's type codes).
LINE_TOLERANCE = 3.0
# A gap wider than this between words starts a new cell (a space is 2-3 pt at 9-11 pt type).
CELL_GAP = 6.0
# A word smaller than this share of its line's largest is a footnote mark ("2001" with a raised "1").
SUPERSCRIPT = 0.8
# A cell of more words is a sentence: prose or a caption, not a table cell or a label.
MAX_CELL_WORDS = 8
# Lines further apart than this many line heights are not one table.
MAX_LINE_GAP = 2.5


@dataclass(frozen=True, slots=True)
class Word:
    """One word on a PDF page, in points from the page's top left."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


Line = list[Word]
Span = tuple[float, float]  # a column's left and right edge


def is_value(token: str) -> bool:
    """Return True for a number, percentage, date, operation code or nil ("-") as tables print them."""
    if token in NIL:
        return True
    if _SUBSECTION.match(token):
        return False
    return bool(_NUMBER.match(token) or _DATE.match(token) or _CODE.match(token))


def is_value_row(tokens: Sequence[str]) -> bool:
    """Return True when `tokens` hold MIN_VALUES values or more, and values are half of them at least."""
    values = sum(1 for t in tokens if is_value(t))
    return values >= MIN_VALUES and 2 * values >= len(tokens)


def looks_borderless(page_text: str) -> bool:
    """Return True when MIN_ROWS lines of values fall within WINDOW consecutive lines of `page_text`."""
    flags = [is_value_row(line.split()) for line in page_text.split("\n") if line.strip()]
    return any(flag and sum(flags[i : i + WINDOW]) >= MIN_ROWS for i, flag in enumerate(flags))


def page_words(page: object) -> list[Word]:
    """Return the words of a pdfplumber page (a change of type size ends a word: footnote marks stand apart)."""
    found = page.extract_words(extra_attrs=["size"])  # type: ignore[attr-defined]
    return [Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"], w["size"]) for w in found]


def printed_lines(words: Sequence[Word]) -> list[Line]:
    """Return the printed lines of `words`, top to bottom, each left to right."""
    lines: list[Line] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        if lines and word.top - lines[-1][0].top <= LINE_TOLERANCE:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def unmarked(line: Line) -> Line:
    """Return `line` without its footnote marks."""
    size = max(w.size for w in line)
    return [w for w in line if w.size >= SUPERSCRIPT * size]


def text(words: Sequence[Word]) -> str:
    """Return `words` joined by spaces."""
    return " ".join(w.text for w in words)


def printed(line: Line) -> tuple[str, str]:
    """Return `line` as pdfplumber's words join it, and with its footnote marks glued on as pypdf prints them."""
    glued: list[str] = []
    size = max(w.size for w in line)
    for previous, word in zip([None, *line], line, strict=False):
        if previous is not None and word.size < SUPERSCRIPT * size and word.x0 - previous.x1 < 1.0:
            glued[-1] += word.text
        else:
            glued.append(word.text)
    return text(line), " ".join(glued)


def cells(line: Line) -> list[Line]:
    """Return the words of `line` grouped into cells: runs of words closer than CELL_GAP."""
    found: list[Line] = []
    for word in line:
        if found and word.x0 - found[-1][-1].x1 <= CELL_GAP:
            found[-1].append(word)
        else:
            found.append([word])
    return found


def is_data(line: Line) -> bool:
    """Return True for a row of values: a value row, or MIN_VALUES values in three cells or more.

    The cells count where long names outnumber the values ("07/10/2020 RO-01543 Germany Bosnia &
    Herzegovina 24"). A line whose values are all years heads the columns of a table by year.
    """
    kept = unmarked(line)
    values = [w.text for w in kept if is_value(w.text)]
    if all(_YEAR.match(v) for v in values):
        return False
    if is_value_row([w.text for w in kept]):
        return True
    return len(values) >= MIN_VALUES and len(cells(kept)) >= 3 and not is_prose(line)


def is_prose(line: Line) -> bool:
    """Return True when a cell of `line` is a sentence rather than a value or a label."""
    return any(len(cell) > MAX_CELL_WORDS for cell in cells(unmarked(line)))


def top(line: Line) -> float:
    """Return the top of the highest word of `line`."""
    return min(w.top for w in line)


def near(upper: Line, lower: Line) -> bool:
    """Return True when `lower` follows `upper` within MAX_LINE_GAP line heights."""
    height = max(w.bottom - w.top for w in upper)
    return top(lower) - top(upper) <= MAX_LINE_GAP * height


def column_of(x: float, columns: Sequence[Span]) -> int:
    """Return the index of the column whose slot (its span, and up to halfway to each neighbour) holds `x`."""
    for index in range(len(columns) - 1):
        if x < (columns[index][1] + columns[index + 1][0]) / 2:
            return index
    return len(columns) - 1


def centre(word: Word) -> float:
    """Return the middle of `word` across the page."""
    return (word.x0 + word.x1) / 2
