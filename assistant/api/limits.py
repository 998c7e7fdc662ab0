"""Limits on API callers: request body size, a per-token rate, and the answer gate shared with the UI.

The gate is `Assistant.gate`, a bounded semaphore of `settings.concurrency_limit` slots: whoever computes an
answer (the UI's chat, an API request) holds one slot meanwhile. An API request waits up to `gate_wait_s` for
a slot, so that a burst of clients queues instead of failing, and only then answers 429 with Retry-After.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import anyio

from assistant.api.errors import ApiError

MAX_BODY_BYTES = 2 * 1024 * 1024  # a JSON request: a question, a conversation, an inline eval set
RATE_PER_MINUTE = 60
# 20 clients on 4 slots at ~1-2 s an answer on 2 cores wait ~5-10 s in turn (eval/benchmarks/api.md): 30 s
# lets such a burst queue; a caller kept out longer than that is told to come back rather than held on.
GATE_WAIT_S = 30.0
GATE_RETRY_AFTER_S = 5
_POLL_S = 0.02  # polled, not waited on in a worker thread: waiting threads would starve the answering ones


@dataclass(frozen=True, slots=True)
class Limits:
    rate_per_minute: float = RATE_PER_MINUTE
    burst: int = RATE_PER_MINUTE  # requests a token may send at once after an idle minute
    gate_wait_s: float = GATE_WAIT_S
    max_body_bytes: int = MAX_BODY_BYTES


class TokenBuckets:
    """One token bucket per API token: `burst` requests at once, refilled at `rate_per_minute`."""

    def __init__(self, rate_per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens left, when counted)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Spend one request of `key`'s bucket and return 0, or return the seconds until one is available."""
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > 10_000:  # forget buckets that have refilled: they are as good as new
                self._buckets = {k: v for k, v in self._buckets.items() if v[0] + (now - v[1]) * self.rate < self.burst}
            return 0.0

    def check(self, key: str) -> None:
        """Raise a 429 with Retry-After when `key` has used up its requests."""
        wait = self.take(key)
        if wait > 0:
            raise ApiError(
                429,
                f"Too many requests for this token: at most {self.rate * 60:g} a minute; retry in {math.ceil(wait)} s.",
                "rate_limit_error",
                "rate_limit_exceeded",
                headers={"Retry-After": str(math.ceil(wait))},
            )


@contextlib.asynccontextmanager
async def answer_slot(gate: threading.BoundedSemaphore, wait_s: float) -> AsyncIterator[None]:
    """Hold one of the gate's slots for the block; wait up to `wait_s` for one, then raise a 429.

    API requests wait in line (an asyncio lock wakes its waiters first come, first served); only the one at
    the head polls the gate, which it shares with the chat's threads. Polling alone let a late request
    overtake one that had waited long: p95 15 s under 20 clients (eval/benchmarks/api.md).
    """
    try:
        with anyio.fail_after(wait_s):
            async with _line():
                while not gate.acquire(blocking=False):
                    await anyio.sleep(_POLL_S)
    except TimeoutError:
        raise ApiError(
            429,
            f"The assistant is answering as many questions as it can; retry in {GATE_RETRY_AFTER_S} s.",
            "rate_limit_error",
            "server_busy",
            headers={"Retry-After": str(GATE_RETRY_AFTER_S)},
        ) from None
    try:
        yield
    finally:
        gate.release()


_lines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _line() -> asyncio.Lock:
    """Return the running event loop's line of API requests waiting for the gate (a lock is bound to one loop)."""
    loop = asyncio.get_running_loop()
    lock = _lines.get(loop)
    if lock is None:
        lock = _lines[loop] = asyncio.Lock()
    return lock
