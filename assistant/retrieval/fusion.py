"""Score fusion: reciprocal-rank fusion, min-max normalisation, and weighted sums of normalised scores.

Both the hybrid first stage (BM25 + dense) and the second stage (BM25, passage and best-sentence
cosines) combine scores on different scales the same way: each min-max normalised over the candidates,
then weighted and summed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from assistant.config import Settings
from assistant.index.store import Ranked


def minmax(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Return `values` scaled to [0, 1], the lowest at 0 and the highest at 1; all ones when they are all equal.

    Equal scores are all the best there is: a list of one BM25 hit must still outrank the candidates BM25
    did not return, which score 0, and a feature on which every candidate ties adds the same to each.
    """
    array = np.asarray(values, dtype=np.float64)
    if not len(array):
        return array
    lo, hi = float(np.min(array)), float(np.max(array))
    return (array - lo) / (hi - lo) if hi > lo else np.ones_like(array)


def rrf(rankings: Sequence[Sequence[int]], k: int = 60) -> Ranked:
    """Return (item, score) by reciprocal-rank fusion of `rankings`, best first, ties by item."""
    scores: dict[int, float] = defaultdict(float)
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] += 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def weighted_fusion(score_lists: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float]) -> Ranked:
    """Return (item, score) by a weighted sum of each list's min-max normalised scores, best first, ties by item.

    An item missing from a list scores 0 there, as low as that list's last item: it was not in that
    retriever's top candidates.
    """
    scores: dict[int, float] = defaultdict(float)
    for pairs, weight in zip(score_lists, weights, strict=True):
        if not pairs:
            continue
        normalised = minmax([s for _, s in pairs])
        for (item, _), value in zip(pairs, normalised, strict=True):
            scores[item] += weight * float(value)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def fuse(keyword: Ranked, dense: Ranked, settings: Settings) -> Ranked:
    """Return the hybrid ranking of the two candidate lists, by the configured fusion."""
    if settings.fusion == "rrf":
        return rrf([[r for r, _ in keyword], [r for r, _ in dense]], settings.rrf_k)
    w = settings.fusion_bm25_weight
    return weighted_fusion([keyword, dense], [w, 1.0 - w])


def combine(features: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """Return the weighted sum of each feature min-max normalised over the candidates."""
    total = np.zeros(len(next(iter(features.values()))), dtype=np.float64)
    for name, weight in weights.items():
        if weight:
            total += weight * minmax(features[name])
    return total
