"""The persisted index: the store seam (FAISS or Milvus), keyword tokenising, and atomically published generations."""

from __future__ import annotations
