"""Where a quote stands on a page: its characters found among the page's glyphs, as one box per line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

# A run of fewer matching letters is as likely chance as the quote (a word such as "migrants" recurs all
# over a page): shorter runs neither place a quote nor extend it.
MIN_RUN = 12
# The matched runs may spread over at most this many times the quote's length on the page: a running
# header or footnote the cleaner dropped from the chunk lies between them, a stray far-off word does not.
MAX_SPREAD = 1.6
# Glyphs whose vertical centres differ by less than this share of their height stand on one line.
SAME_LINE = 0.5


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle as fractions of the page image's width and height, origin at the top left."""

    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True, slots=True)
class Glyph:
    """One character of a page's text with its box (an OCR word gives each of its letters the word's box)."""

    char: str
    box: Box


def letter_key(text: str) -> tuple[str, list[int]]:
    """Return the letters and digits of `text`, lower-cased, and the index in `text` of each.

    Spaces, line breaks, hyphens and punctuation are dropped on both sides, so the cleaned chunk text
    ("smuggling") meets the page's ("smug-\\ngling").
    """
    kept = [(ch.lower(), i) for i, ch in enumerate(text) if ch.isalnum()]
    return "".join(ch for ch, _ in kept), [i for _, i in kept]


def match_span(page_text: str, quote: str) -> tuple[int, int, int] | None:
    """Return (start, end, letters matched) of `quote` in `page_text` (char offsets), or None when it is not there.

    An exact match of the letters wins; otherwise the runs the two share (the longest, and those near it
    in order) give the span, so a quote interrupted on the page by a header still lands in its place.
    """
    page_key, page_at = letter_key(page_text)
    quote_key, _ = letter_key(quote)
    if not page_key or not quote_key:
        return None
    found = page_key.find(quote_key)
    if found >= 0:
        return page_at[found], page_at[found + len(quote_key) - 1] + 1, len(quote_key)
    matcher = SequenceMatcher(None, page_key, quote_key, autojunk=False)
    kept = [m for m in matcher.get_matching_blocks() if m.size >= MIN_RUN]
    if not kept:
        return None
    longest = max(kept, key=lambda m: m.size)
    limit = MAX_SPREAD * len(quote_key)
    # The runs are in page order; keep those within reach of the longest, so one far-off run does not
    # stretch the highlight across the page.
    near = [m for m in kept if abs(m.a - longest.a) <= limit and abs(m.a + m.size - longest.a - longest.size) <= limit]
    first, last = near[0], near[-1]
    if last.a + last.size - first.a > limit:
        first = last = longest
    matched = sum(m.size for m in near if first.a <= m.a <= last.a)
    return page_at[first.a], page_at[last.a + last.size - 1] + 1, matched


def line_boxes(glyphs: Sequence[Glyph]) -> tuple[Box, ...]:
    """Return one box per line covered by `glyphs` (in reading order), each the union of its glyphs' boxes."""
    lines: list[Box] = []
    for glyph in glyphs:
        if not glyph.char.strip() or glyph.box.bottom <= glyph.box.top:
            continue  # spaces and line breaks have no useful box
        box = glyph.box
        if lines and _same_line(lines[-1], box):
            last = lines[-1]
            left, top = min(last.left, box.left), min(last.top, box.top)
            lines[-1] = Box(left, top, max(last.right, box.right), max(last.bottom, box.bottom))
        else:
            lines.append(box)
    return tuple(lines)


def _same_line(a: Box, b: Box) -> bool:
    height = max(a.bottom - a.top, b.bottom - b.top)
    return abs((a.top + a.bottom) / 2 - (b.top + b.bottom) / 2) < SAME_LINE * height


def quote_boxes(glyphs: Sequence[Glyph], quote: str) -> tuple[tuple[Box, ...], int]:
    """Return the boxes of `quote` on a page of `glyphs` (one per line) and the letters matched; ((), 0) if absent."""
    found = match_span("".join(g.char for g in glyphs), quote)
    if found is None:
        return (), 0
    start, end, matched = found
    return line_boxes(glyphs[start:end]), matched
