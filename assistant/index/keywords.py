"""Keywords: the BM25 tokens of a text, and the text of a chunk that both retrievers index."""

from __future__ import annotations

from collections.abc import Sequence

import bm25s
import Stemmer

from assistant.types import Chunk

STEMMER = Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Return BM25 tokens: lower-cased, English stop words removed, Snowball-stemmed."""
    tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=STEMMER, return_ids=False, show_progress=False)
    return [list(t) for t in tokens]


def indexed_text(chunk: Chunk) -> str:
    """Return the text both retrievers index for a chunk: the title and section give it context."""
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"
