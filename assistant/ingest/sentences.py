"""Sentences of a text, line by line: one splitter for chunking, the reranker and the answerer's quotable units.

A line break always ends a sentence (a heading, a list item or a table row is never run into the next
line); within a line, nupunkt finds the sentence ends, except in a table row line ("Year: 2019 | Apprehensions:
1,234."), which is one unit whatever its cells hold ("No. 5", "U.S."). Offsets are exact, whitespace trimmed.
"""

from __future__ import annotations

import nupunkt

from assistant.ingest.tables import is_row_line


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of each sentence of `text`, in order, without surrounding whitespace."""
    spans = []
    offset = 0
    for line in text.split("\n"):
        pieces = [(0, len(line))] if is_row_line(line) else nupunkt.sent_spans(line)
        for start, end in pieces:
            piece = line[start:end]
            trimmed_start = start + len(piece) - len(piece.lstrip())
            trimmed_end = start + len(piece.rstrip())
            if trimmed_end > trimmed_start:
                spans.append((offset + trimmed_start, offset + trimmed_end))
        offset += len(line) + 1
    return spans
