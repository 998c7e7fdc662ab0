"""The API's request bodies: what each endpoint reads, with types that answer 400 when wrong.

Unknown fields are ignored (clients send `temperature`, `user`, `seed` and more); the OpenAI fields we accept
but do not use are declared so that a wrong type in them is still a 400, as the official API does.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr

from assistant.config import AnswererName, RetrievalMode
from assistant.types import Filters

MODEL = "policy-assistant"
MAX_K = 100
MAX_HISTORY = 10  # earlier user turns used to rewrite a follow-up; older ones no longer help


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FiltersIn(Body):
    sources: list[StrictStr] = []
    organisations: list[StrictStr] = []
    years: list[StrictStr] = []

    def to_filters(self) -> Filters:
        return Filters(frozenset(self.sources), frozenset(self.organisations), frozenset(self.years))


def filters_of(given: FiltersIn | None) -> Filters:
    return given.to_filters() if given else Filters()


class TextPart(Body):
    type: StrictStr
    text: StrictStr | None = None


class Message(Body):
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: StrictStr | list[TextPart] | None = None

    def text(self) -> str:
        """Return the message's text: the string, or its text parts joined (images and other parts are ignored)."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(p.text or "" for p in self.content or [] if p.type == "text")


class StreamOptions(Body):
    include_usage: StrictBool = False


class ChatRequest(Body):
    model: StrictStr
    messages: list[Message] = Field(min_length=1)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    # Accepted and ignored: the answer is quoted from the documents, not sampled.
    temperature: float | None = None
    top_p: float | None = None
    n: int | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: StrictStr | list[StrictStr] | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    user: StrictStr | None = None
    # Our extensions, optional: how to retrieve, and which documents to answer from.
    mode: RetrievalMode | None = None
    k: int | None = Field(None, ge=1, le=MAX_K)
    filters: FiltersIn | None = None


class AskRequest(Body):
    question: StrictStr
    history: list[StrictStr] = Field([], max_length=MAX_HISTORY)
    mode: RetrievalMode | None = None
    answerer: AnswererName | None = None
    k: int | None = Field(None, ge=1, le=MAX_K)
    filters: FiltersIn | None = None


class SearchRequest(Body):
    query: StrictStr
    mode: RetrievalMode | None = None
    k: int | None = Field(None, ge=1, le=MAX_K)
    filters: FiltersIn | None = None


class BriefRequest(Body):
    topic: StrictStr
    questions: int = Field(6, ge=1, le=8)
    format: Literal["md", "docx"] = "md"
    mode: RetrievalMode | None = None
    filters: FiltersIn | None = None


class EvalRequest(Body):
    """An eval set: `dataset` names a JSONL file under eval/, or `jsonl` holds one inline (one item per line)."""

    dataset: StrictStr | None = None
    jsonl: StrictStr | None = None
    limit: int | None = Field(None, ge=1)
    mode: RetrievalMode | None = None
    baselines: StrictBool = False
