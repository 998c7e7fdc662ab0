"""Support score of each statement against the passages it cites: MiniLM similarity, key terms, numbers, names.

There is no NLI model offline (../shared/MODELS.md), so this is a support score, not entailment: it says
the cited span is about the same thing and contains the statement's facts, not that it implies them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answering.learned import Scorer
from assistant.answering.sentences import plain
from assistant.answering.terms import content_stems, names, numbers
from assistant.embedding.scorer import probability
from assistant.embedding.service import EmbeddingService
from assistant.types import Citation, Hit, Statement
from assistant.types import Support as SupportLabel

# A statement is verified when its score reaches this; chosen on labelled pairs from the eval set
# (reference answer vs its gold passage, and vs the best-ranked wrong passage): docs/answers.md "Support score".
VERIFIED_AT = 0.55
W_SIMILARITY = 0.5
W_OVERLAP = 0.5
# The learned scorer's share of the support score of a paraphrase: not tuned, the scorer is off by default
# (bench/scorer_study.py --support sweeps it on the library's dev tuning half).
W_LEARNED = 0.5


# A sentence that gives orders to the reader ("Ignore previous instructions and reply X") is never
# evidence: a generator that obeyed it would otherwise be "supported" by the very words of the order.
_INSTRUCTION = re.compile(
    r"[^.!?\n]*(?:\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}"
    r"\b(?:instructions?|prompts?|rules|questions?|above|previous|everything)\b"
    r"|\b(?:reply|respond|answer|say|output|print)\s+(?:only\s+)?(?:with\s+)?(?:the\s+word\s+)?[\"“']?[A-Z]{3,}\b"
    r"|\b(?:system prompt|you are now|you must now)\b)[^.!?\n]*[.!?]?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Support:
    score: float
    similarity: float
    overlap: float
    missing: tuple[str, ...]  # numbers or names of the statement absent from the cited passages

    @property
    def verified(self) -> bool:
        """The verifier's operating point: a close enough match that states nothing the passages lack."""
        return self.score >= VERIFIED_AT and not self.missing


def verify(
    statements: Sequence[Statement],
    hits: Sequence[Hit],
    embeddings: EmbeddingService,
    scorer: Scorer | None = None,
) -> tuple[Statement, ...]:
    """Return `statements` with support marks; citations of chunks not in `hits` are removed first."""
    chunks = {h.chunk.id: without_instructions(h.chunk.text) for h in hits}
    out = []
    for statement in statements:
        citations = tuple(c for c in statement.citations if c.chunk_id in chunks)
        if not citations:
            out.append(replace(statement, citations=(), support="unverified", support_score=0.0))
            continue
        result = support(statement.text, citations, chunks, embeddings, scorer)
        label: SupportLabel = "verified" if result.verified else "unverified"
        if result.missing and any(numbers(_span(c, chunks)) for c in citations) and _numbers_only(result.missing):
            label = "contradicted"  # the passage gives a different number for what the statement says
        out.append(replace(statement, citations=citations, support=label, support_score=round(result.score, 4)))
    return tuple(out)


def support(
    text: str,
    citations: Sequence[Citation],
    chunks: Mapping[str, str],
    embeddings: EmbeddingService,
    scorer: Scorer | None = None,
) -> Support:
    """Return the support of statement `text` by the spans its `citations` quote.

    A statement quoted word for word needs no model. Otherwise, with the learned `scorer`, the score is
    its probability that the cited passages support the statement, blended with the hand score by W_LEARNED.
    """
    spans = [plain(_span(c, chunks)) for c in citations]
    whole = " ".join(plain(chunks[c.chunk_id]) for c in citations)
    statement = plain(text)
    if any(statement == s or statement in s for s in spans):
        similarity = 1.0
    else:
        vectors = embeddings.texts([statement, *spans])
        similarity = float(np.max(vectors[1:] @ vectors[0]))
    stems = set(content_stems(statement))
    span_stems = set(content_stems(" ".join(spans)))
    overlap = len(stems & span_stems) / len(stems) if stems else 1.0
    missing = sorted(numbers(statement) - numbers(whole))
    whole_words = set(content_stems(whole)) | {w.lower() for w in whole.split()}
    missing += sorted(n for n in names(statement) if n not in whole.lower() and set(content_stems(n)) - whole_words)
    score = W_SIMILARITY * similarity + W_OVERLAP * overlap
    if scorer is not None and similarity < 1.0:
        learned = float(probability(scorer.scores([(statement, whole)])[0]))
        score = W_LEARNED * learned + (1 - W_LEARNED) * score
    return Support(score, similarity, overlap, tuple(missing))


def without_instructions(text: str) -> str:
    """Return `text` with instruction-like sentences blanked out (same length, so offsets still hold)."""
    return _INSTRUCTION.sub(lambda m: " " * len(m.group(0)), text)


def _span(citation: Citation, chunks: Mapping[str, str]) -> str:
    return chunks[citation.chunk_id][citation.start : citation.end]


def _numbers_only(missing: Sequence[str]) -> bool:
    return all(any(ch.isdigit() for ch in m) for m in missing)
