"""The import path docs/retrieval.md promises for the LangChain adapter (it lives in assistant.retrieval)."""

from __future__ import annotations

from assistant.retrieval.langchain_adapter import AssistantRetriever, hit_document

__all__ = ["AssistantRetriever", "hit_document"]
