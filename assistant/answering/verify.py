"""Support score of each statement against the passages it cites: MiniLM similarity, key terms, numbers, names.

There is no NLI model offline (../shared/MODELS.md), so this is a support score, not entailment: it says
the cited span is about the same thing and contains the statement's facts, not that it implies them. The
score is a logistic regression over a few such measures, fitted on the labelled support pairs' dev split.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant.answering.learned import Scorer
from assistant.answering.sentences import plain, units
from assistant.answering.terms import content_stems, names, numbers
from assistant.embedding.scorer import probability
from assistant.embedding.service import EmbeddingService
from assistant.types import Citation, Hit, Statement
from assistant.types import Support as SupportLabel

# The support score of a statement that is not a verbatim quote: a logistic regression over SUPPORT_FEATURES,
# fitted by `bench/support_fit.py` on the dev split of the library's and the seed set's support pairs (1,152
# pairs, 2026-12-07). Five-fold cross-validation by document there: ROC AUC 0.833 against 0.826 for the hand
# blend it replaces (0.5 similarity + 0.5 overlap); library 0.834 against 0.806, seed 0.863 against 0.876.
# Counts of the statement's numbers and words added 0.02 there but learnt that the set's supported statements
# carry numbers: a near-verbatim "More than half of them died while being smuggled." fell to 0.44.
SUPPORT_FEATURES = ("similarity", "span_similarity", "overlap", "missing_numbers", "missing_names", "negation")
SUPPORT_WEIGHTS = (2.599, 1.111, 1.084, -0.929, -0.372, -0.747)
SUPPORT_BIAS = -2.540
# A statement is verified when its score reaches this (and it names no number or name the passages lack).
# Same run, held-out scores: accuracy is flat from 0.40 to 0.55 (0.79); the highest is taken, since a wrong
# "verified" misleads and a wrong "unverified" only asks the reader to check: precision 0.806, recall 0.543,
# against 0.761 / 0.590 for the hand blend at its 0.55 (docs/answers.md "Support score").
VERIFIED_AT = 0.55
# The learned scorer's share of the support score of a paraphrase: not tuned, the scorer is off by default
# (bench/scorer_study.py --support sweeps it on the library's dev tuning half).
W_LEARNED = 0.5


# A sentence that gives orders to the reader ("Ignore previous instructions and reply X") is never
# evidence: a generator that obeyed it would otherwise be "supported" by the very words of the order.
_INSTRUCTION = re.compile(
    r"[^.!?\n]*(?:\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,60}"
    r"\b(?:instructions?|prompts?|rules|questions?|above|previous|everything)\b"
    # The word to say is in capitals ("reply PWNED"), matched case-sensitively: under IGNORECASE "[A-Z]{3,}" took
    # any word, and a diplomatic note's "has the honour to say that the Government ..." was blanked.
    r"|\b(?:reply|respond|answer|say|output|print)\s+(?:only\s+)?(?:with\s+)?(?:the\s+word\s+)?[\"“']?(?-i:[A-Z]{3,})\b"
    r"|\b(?:system prompt|you are now|you must now)\b)[^.!?\n]*[.!?]?",
    re.IGNORECASE,
)
# Words that deny or restrict: a statement using one where its best sentence uses none (or the reverse)
# often says the opposite ("may freely give assistance" against "must not give assistance").
_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot|unable|fail(?:s|ed)?|lack(?:s|ed)?"
    r"|refus\w*|den(?:y|ies|ied)|only|free(?:ly)?|any)\b|n't\b",
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

    A statement quoted word for word scores 1. Otherwise the score is the fitted probability that the cited
    spans support it; with the learned `scorer` (off by default), blended with its probability by W_LEARNED.
    """
    spans = [_span(c, chunks) for c in citations]
    whole = " ".join(plain(chunks[c.chunk_id]) for c in citations)
    statement = plain(text)
    if any(statement == s or statement in s for s in map(plain, spans)):
        return Support(1.0, 1.0, 1.0, ())
    features, missing = support_features(statement, spans, whole, embeddings)
    score = float(probability(SUPPORT_BIAS + np.dot(SUPPORT_WEIGHTS, features)))
    if scorer is not None:
        learned = float(probability(scorer.scores([(statement, whole)])[0]))
        score = W_LEARNED * learned + (1 - W_LEARNED) * score
    return Support(score, features[0], features[2], missing)


def support_features(
    statement: str, spans: Sequence[str], whole: str, embeddings: EmbeddingService
) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """Return the SUPPORT_FEATURES of `statement` against the cited `spans` (of passages `whole`), and the
    numbers and names of the statement that `whole` lacks."""
    plain_spans = [plain(s) for s in spans]
    sentences = [plain(u.text) for s in spans for u in units(s)] or plain_spans
    vectors = embeddings.texts([statement, *plain_spans, *sentences])
    span_similarity = float(np.max(vectors[1 : 1 + len(spans)] @ vectors[0]))
    by_sentence = vectors[1 + len(spans) :] @ vectors[0]
    best = sentences[int(np.argmax(by_sentence))]
    stems = set(content_stems(statement))
    overlap = len(stems & set(content_stems(" ".join(plain_spans)))) / len(stems) if stems else 1.0
    missing_numbers = sorted(numbers(statement) - numbers(whole))
    whole_words = set(content_stems(whole)) | {w.lower() for w in whole.split()}
    missing_names = sorted(
        n for n in names(statement) if n not in whole.lower() and set(content_stems(n)) - whole_words
    )
    negation = bool(_NEGATION.search(statement)) != bool(_NEGATION.search(best))
    features = (
        float(np.max(by_sentence)),
        span_similarity,
        overlap,
        float(len(missing_numbers)),
        float(len(missing_names)),
        float(negation),
    )
    return features, tuple(missing_numbers + missing_names)


def without_instructions(text: str) -> str:
    """Return `text` with instruction-like sentences blanked out (same length, so offsets still hold)."""
    return _INSTRUCTION.sub(lambda m: " " * len(m.group(0)), text)


def _span(citation: Citation, chunks: Mapping[str, str]) -> str:
    return chunks[citation.chunk_id][citation.start : citation.end]


def _numbers_only(missing: Sequence[str]) -> bool:
    return all(any(ch.isdigit() for ch in m) for m in missing)
