"""Our retriever as a LangChain `BaseRetriever`, for users who build their own chains.

The core pipeline never imports this module, so LangChain is loaded only by those who ask for it:

    from assistant.langchain_retriever import AssistantRetriever
    lc = AssistantRetriever(retriever=Retriever.from_settings(settings), k=5)
    docs = lc.invoke("how many migrant deaths were recorded in 2016")
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from assistant.retrieval.hits import hit_json
from assistant.retrieval.retrieve import Retriever
from assistant.types import Filters, Hit


def hit_document(hit: Hit) -> Document:
    """Return a hit as a LangChain Document: the chunk text, with the rest of its JSON (`hit_json`) as metadata."""
    metadata = {k: v for k, v in hit_json(hit).items() if k != "text"}
    return Document(page_content=hit.chunk.text, metadata=metadata, id=hit.chunk.id)


class AssistantRetriever(BaseRetriever):
    """Delegates to `Retriever.search`; k, mode and filters are fixed per adapter instance."""

    retriever: Any  # a Retriever; typed loosely so pydantic does not try to validate it
    k: int | None = None
    mode: str | None = None
    filters: Filters | None = None

    model_config = {"arbitrary_types_allowed": True}

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        retriever: Retriever = self.retriever
        return [hit_document(h) for h in retriever.search(query, k=self.k, mode=self.mode, filters=self.filters).hits]
