"""Split a passage into quotable units (sentences, list items, heading runs) with exact char offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.ingest.sentences import sentence_spans

# A run of 3+ upper-case words glued to a normal sentence ("3 ENHANCE STATES CAPACITY ... A crucial aspect"),
# as PDF transcriptions write headings inline: the heading and the sentence are separate units.
# It must open the line or follow a sentence end, so that a list of acronyms ("EUROPOL, EUBAM, EU
# Member States") inside a sentence is not taken for one.
_CAPS_RUN = re.compile(r"(?:^|(?<=[.!?:] ))((?:\d{1,2}\s+)*(?:\b[A-Z][A-Z'’&\-()/]+[?:]?\s+){3,})(?=[A-Z][a-z])")
_BULLET = re.compile(r"^\s*(?:[-*•▪◦·o]|\d{1,2}[.)])\s+")
_MARKUP = re.compile(r"\*\*|<sup>\d+</sup>|\*")


@dataclass(frozen=True, slots=True)
class Unit:
    """A quotable span of a chunk: `text == chunk_text[start:end]`."""

    start: int
    end: int
    text: str
    line: int  # index of the line it lies on: units of one list share nothing else
    bullet: bool  # the unit opens a list item
    heading: bool  # an upper-case heading run, not a sentence

    @property
    def intro(self) -> bool:
        """True when the unit introduces what follows ("... the following four pillars:")."""
        return self.text.rstrip().endswith(":")


def units(text: str) -> list[Unit]:
    """Return the units of `text` in order; whitespace around each is trimmed, offsets are exact."""
    out: list[Unit] = []
    offset = 0
    for index, line in enumerate(text.split("\n")):
        line_start = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        bullet = bool(_BULLET.match(line))
        # A short line with no closing punctuation is a title or heading ("Expert Meeting on ..."), not a sentence.
        title = (
            not bullet
            and len(line.split()) <= 15
            and not line.rstrip().endswith((".", "!", "?", ":", ";", "”", '"', ")"))
        )
        first_on_line = True
        for seg_start, seg_end, heading in _caps_segments(line):
            segment = line[seg_start:seg_end]
            spans = [(0, len(segment))] if heading else sentence_spans(segment)
            for s_start, s_end in spans:
                start, end = _trim(line, seg_start + s_start, seg_start + s_end)
                if end - start < 2:
                    continue
                out.append(
                    Unit(
                        line_start + start,
                        line_start + end,
                        line[start:end],
                        index,
                        bullet and first_on_line,
                        heading or title,
                    )
                )
                first_on_line = False
    return out


def plain(text: str) -> str:
    """Return `text` for display: markdown emphasis and footnote marks removed, whitespace collapsed."""
    return " ".join(_MARKUP.sub("", text).split())


def _caps_segments(line: str) -> list[tuple[int, int, bool]]:
    """Return (start, end, is_heading) pieces of `line`, cutting upper-case heading runs from sentences."""
    pieces: list[tuple[int, int, bool]] = []
    cursor = 0
    for match in _CAPS_RUN.finditer(line):
        if match.start() > cursor:
            pieces.append((cursor, match.start(), False))
        pieces.append((match.start(), match.end(), True))
        cursor = match.end()
    if cursor < len(line):
        pieces.append((cursor, len(line), False))
    return pieces


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\r-*•▪◦·":
        start += 1
    # A list marker ("o ", "1. ") opening the unit is not part of the quote.
    marker = _BULLET.match(text[start:end])
    if marker and marker.end() < end - start:
        start += marker.end()
    while end > start and text[end - 1] in " \t\r":
        end -= 1
    return start, end
