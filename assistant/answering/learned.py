"""The learned core of the extractive answerer: the answer scorer's logits rank the sentences and judge answerability.

The hand-fitted ranking (answering/evidence.py) picks which units the cross-encoder reads, the best
SCORED quotable ones: reading every unit of ten passages would cost seconds. Each read unit's ranking
score becomes its logit plus W_HAND times the hand score; its answerability ("relevance") becomes the
logit's probability. Units it did not read rank below the ones it read and count as no answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from assistant.answering.evidence import Candidate
from assistant.embedding.scorer import probability

# Units the scorer reads per question: ~10 ms a unit on 2 cores, so 24 keep the answer inside the
# latency budget (p50 0.5 s). Not tuned: the scorer is off (docs/answers.md "The learned core").
SCORED = 24
# Weight of the hand-fitted ranking score beside the learned logit; 0.25 was the best of the variants
# bench/scorer_study.py ran on the library's dev tuning half (2026-12-07), none of which beat the hand ranking.
W_HAND = 0.25


class Scorer(Protocol):
    def scores(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray: ...


def rescore(question: str, candidates: Sequence[Candidate], scorer: Scorer) -> list[Candidate]:
    """Return `candidates` re-scored by the learned scorer, best first."""
    pool = [c for c in candidates if c.quotable][:SCORED]
    if not pool:
        return list(candidates)
    logits = scorer.scores([(question, c.unit.text) for c in pool])
    read = {id(c): float(x) for c, x in zip(pool, logits, strict=True)}
    scored = {id(c): read[id(c)] + W_HAND * c.score for c in pool}
    # Units not read rank just below the last one read, in their hand order (`candidates` is sorted by
    # it), so that rules adding a unit of the answer's passage "whatever its score" still reach them.
    below = min(scored.values()) - 1.0
    out, unread = [], 0
    for c in candidates:
        if id(c) in read:
            logit = read[id(c)]
            out.append(replace(c, score=scored[id(c)], relevance=float(probability(logit)), learned=logit))
        else:
            out.append(replace(c, score=below - 0.001 * unread, relevance=0.0))
            unread += 1
    out.sort(key=lambda c: (-c.score, c.hit, c.unit.start))
    return out
