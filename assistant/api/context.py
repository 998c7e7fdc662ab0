"""What every endpoint shares: the assistant and its settings, the limits, and how to run an answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from starlette.concurrency import run_in_threadpool

from assistant.api.auth import Caller
from assistant.api.limits import Limits, answer_slot
from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ApiContext:
    settings: Settings
    assistant: Assistant
    caller: Caller  # the FastAPI dependency that gives the request's User (401, 429)
    limits: Limits
    eval_dir: Path  # named eval sets are JSONL files under it

    async def answering(self, work: Callable[[], T]) -> T:
        """Return `work()` run in a worker thread while holding a slot of the assistant's gate (else 429)."""
        async with answer_slot(self.assistant.gate, self.limits.gate_wait_s):
            return await run_in_threadpool(work)

    @staticmethod
    async def in_thread(work: Callable[[], T]) -> T:
        """Return `work()` run in a worker thread, off the event loop (ingest, file listing)."""
        return await run_in_threadpool(work)
