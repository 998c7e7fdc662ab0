"""Sentences of a text, line by line: one splitter for chunking, the reranker and the answerer's quotable units.

A line break always ends a sentence (a heading, a list item or a table row is never run into the next
line); within a line, nupunkt finds the sentence ends. Offsets are exact, whitespace trimmed.
"""

from __future__ import annotations

import nupunkt


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) offsets of each sentence of `text`, in order, without surrounding whitespace."""
    spans = []
    offset = 0
    for line in text.split("\n"):
        for start, end in nupunkt.sent_spans(line):
            piece = line[start:end]
            trimmed_start = start + len(piece) - len(piece.lstrip())
            trimmed_end = start + len(piece.rstrip())
            if trimmed_end > trimmed_start:
                spans.append((offset + trimmed_start, offset + trimmed_end))
        offset += len(line) + 1
    return spans
