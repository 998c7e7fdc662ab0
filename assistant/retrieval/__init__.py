"""Retrieval: BM25 and dense candidates, fused, reranked by best sentence, filtered inside the store."""

from __future__ import annotations
