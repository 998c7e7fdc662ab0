"""The API's limits against a real server: per-token rate (429 + Retry-After), the answer gate, the body cap."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from assistant.api import Limits
from assistant.api.limits import TokenBuckets
from assistant.config import Settings
from assistant.pipeline import Assistant
from tests.api_server import make_library, running, serve_app

ASK = {"model": "policy-assistant", "messages": [{"role": "user", "content": "Where was Harbour Watch launched?"}]}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # One answer at a time: the gate is easy to fill.
    return replace(make_library(tmp_path_factory.mktemp("api-limits")), concurrency_limit=1)


@pytest.fixture(scope="module")
def assistant(library: Settings) -> Assistant:
    return Assistant.from_settings(library)


@pytest.fixture(scope="module")
def server(library: Settings, assistant: Assistant) -> Iterator[str]:
    limits = Limits(rate_per_minute=6, burst=3, gate_wait_s=0.5, max_body_bytes=64 * 1024)
    with running(serve_app(library, assistant, limits=limits)) as url:
        yield url


def chat(server: str, token: str, body: object = ASK) -> httpx.Response:
    return httpx.post(
        f"{server}/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


def test_a_token_over_its_rate_gets_429_with_retry_after(server: str) -> None:
    assert [chat(server, "tok-trainee").status_code for _ in range(3)] == [200] * 3  # the burst
    refused = chat(server, "tok-trainee")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 10  # 6 a minute: one per 10 s
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert chat(server, "tok-insider").status_code == 200  # another token has its own bucket


def test_a_full_gate_answers_429_and_a_freed_one_answers(server: str, assistant: Assistant) -> None:
    assert assistant.gate.acquire(timeout=10)  # as the chat would while it answers
    try:
        busy = chat(server, "tok-evaluator")
        assert busy.status_code == 429 and busy.headers["Retry-After"] == "5"
        assert busy.json()["error"]["code"] == "server_busy"
    finally:
        assistant.gate.release()
    assert chat(server, "tok-evaluator").status_code == 200


def test_requests_queue_at_the_gate_within_its_wait(library: Settings, assistant: Assistant) -> None:
    """With a wait long enough, concurrent requests on one slot all get answered, one after another."""
    limits = Limits(rate_per_minute=600, burst=600, gate_wait_s=60)
    with running(serve_app(library, assistant, limits=limits)) as url:
        tokens = ["tok-trainee", "tok-insider", "tok-outsider", "tok-evaluator", "tok-admin"] * 2
        with concurrent.futures.ThreadPoolExecutor(len(tokens)) as pool:
            codes = list(pool.map(lambda t: chat(url, t).status_code, tokens))
    assert codes == [200] * len(tokens)


def test_a_body_over_the_cap_is_a_413(server: str) -> None:
    big = {**ASK, "padding": "x" * 100_000}
    response = chat(server, "tok-admin", big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "request_too_large"


def test_a_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = TokenBuckets(rate_per_minute=60, burst=2, clock=lambda: now[0])
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(1.0)  # one request a second
    now[0] = 0.5
    assert buckets.take("a") == pytest.approx(0.5)
    now[0] = 1.0
    assert buckets.take("a") == 0.0 and buckets.take("b") == 0.0
    now[0] = 100.0  # an idle bucket refills to its burst, no further
    assert [buckets.take("a") for _ in range(3)][-1] > 0
