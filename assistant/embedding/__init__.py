"""Embedding: the sentence-transformers model (the embedder seam), its shared caches, and the on-disk vector cache."""

from __future__ import annotations
