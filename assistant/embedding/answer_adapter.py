"""The answer adapter: a linear map that moves a question's MiniLM vector toward the sentences that answer it.

MiniLM places a question beside the sentences that repeat its words; the sentence that answers it
("There are currently 56 beds in the Nauruan hospital" for "How many beds ...?") often lies further off.
The adapter is one matrix and a bias over the frozen model's 384 dimensions, fitted by
`scripts/train_answer_adapter.py` (`make adapter`) so that a question's mapped vector scores its answer
sentences above the other sentences of the same passage or document. The model stays frozen, so the
index's sentence vectors serve as they are and a question costs one 384 x 384 product. The weights are
a plain float32 array (`answer_adapter.npy`, read with pickling off): 0.6 MB, committed, so a fresh
install works offline. docs/answers.md "The answer adapter" has its data and measures.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from assistant.errors import ConfigError

ADAPTER_FILE = Path(__file__).resolve().parent / "answer_adapter.npy"


@functools.cache
def load_adapter(path: Path = ADAPTER_FILE) -> np.ndarray:
    """Return the adapter as a (dim, dim + 1) float32 array: the matrix, then the bias as its last column."""
    try:
        weights = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The answer adapter cannot be read ({path}): run `make adapter`. ({exc})") from exc
    if weights.ndim != 2 or weights.shape[1] != weights.shape[0] + 1 or not np.isfinite(weights).all():
        raise ConfigError(f"The answer adapter {path} is not a (dim, dim + 1) array of numbers: run `make adapter`.")
    return weights.astype(np.float32)


def answer_vector(question_vector: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Return the L2-normalised adapted vector of a normalised question vector.

    A vector of another size (an embedder the adapter was not fitted for) is returned unchanged.
    """
    w = load_adapter() if weights is None else weights
    if question_vector.shape != (w.shape[0],):
        return question_vector
    mapped = w[:, :-1] @ question_vector + w[:, -1]
    norm = float(np.linalg.norm(mapped))
    return (mapped / norm).astype(np.float32) if norm > 0 else question_vector
