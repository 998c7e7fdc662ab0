"""An on-disk cache of embeddings: .npy files named after the hash of the model and the texts."""

from __future__ import annotations

import hashlib
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def cached_vectors(
    embed: Callable[[Sequence[str]], np.ndarray],
    texts: Sequence[str],
    cache_dir: Path,
    tag: str,
    block: int = 512,
    verbose: bool = True,
) -> np.ndarray:
    """Return embed(texts), read from or written to a .npy file named after the texts' and model's hash.

    Encoding a BEIR corpus takes minutes on 2 cores; the cache makes every later run take seconds.
    """
    digest = hashlib.sha256(tag.encode())
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\0")
    path = cache_dir / f"{tag.replace('/', '_')}-{digest.hexdigest()[:16]}.npy"
    if path.is_file():
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            path.unlink(missing_ok=True)  # damaged or planted: recompute it below
    if not texts:
        return embed([])
    # Encode longest first in blocks so padding inside a batch is small; progress goes to stderr.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    parts = []
    started = time.perf_counter()
    for start in range(0, len(order), block):
        parts.append(embed([texts[i] for i in order[start : start + block]]))
        done = min(start + block, len(order))
        if verbose:
            seconds = time.perf_counter() - started
            print(f"\r{tag}: encoded {done}/{len(order)} in {seconds:.0f} s", end="", file=sys.stderr)
    if verbose:
        print(file=sys.stderr)
    vectors = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
    vectors[order] = np.vstack(parts)
    tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(tmp, vectors, allow_pickle=False)
        tmp.replace(path)  # never leave a half-written cache that a later run would trust
    except OSError as exc:
        # A read-only index folder must not break search; the vectors are just recomputed next time.
        warnings.warn(f"Could not cache vectors in {cache_dir}: {exc.strerror or exc}", stacklevel=2)
    return vectors
