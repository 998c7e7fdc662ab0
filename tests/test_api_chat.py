"""`/v1/chat/completions` spoken by real clients (the openai package, LangChain's ChatOpenAI, curl) to a real server.

The server is uvicorn on a free port serving the API over the access tests' library: an open report, a note
restricted to investigators and a ledger restricted to finance.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import openai
import pytest

from assistant.config import Settings
from assistant.pipeline import Assistant
from tests.api_server import make_library, running, serve_app
from tests.test_access import INVESTIGATION, LEDGER

NIGHTJAR = "How many suspected smugglers did Operation Nightjar identify?"
MODEL = "policy-assistant"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_library(tmp_path_factory.mktemp("api-chat"))


@pytest.fixture(scope="module")
def server(library: Settings) -> Iterator[str]:
    with running(serve_app(library, Assistant.from_settings(library))) as url:
        yield url


def client(server: str, token: str = "tok-insider") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key=token, max_retries=0, timeout=120)


def test_the_openai_client_gets_a_cited_answer(server: str) -> None:
    reply = client(server).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": NIGHTJAR}], temperature=0.2
    )
    content = reply.choices[0].message.content or ""
    assert "42" in content and "[1]" in content and "Sources:" in content
    extra = reply.model_extra or {}
    assert extra["abstained"] is False
    [cited] = [c for c in extra["citations"] if c["source"] == INVESTIGATION]
    assert "42 suspected smugglers" in cited["quote"] and cited["title"] == "Operation Nightjar"
    assert set(cited) == {"n", "source", "title", "page", "quote", "url"}
    assert reply.model == MODEL and reply.choices[0].finish_reason == "stop" and reply.usage is not None


def test_a_streamed_reply_joins_into_the_same_answer(server: str) -> None:
    messages = [{"role": "user", "content": NIGHTJAR}]
    whole = client(server).chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
    chunks = list(
        client(server).chat.completions.create(
            model=MODEL,
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) >= 2  # statements, then the sources
    [end] = [c for c in chunks if c.choices and c.choices[0].finish_reason == "stop"]
    assert (end.model_extra or {})["citations"] == (whole.model_extra or {})["citations"]
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


def test_earlier_user_turns_make_a_follow_up_answerable(server: str) -> None:
    reply = client(server).chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "Answer from the documents."},
            {"role": "user", "content": "What did Operation Nightjar find?"},
            {"role": "assistant", "content": "It identified 42 suspected smugglers [1]."},
            {"role": "user", "content": [{"type": "text", "text": "And how many passports were seized?"}]},
        ],
    )
    assert "17" in (reply.choices[0].message.content or "")


def test_a_user_outside_the_group_gets_an_abstention_naming_nothing_hidden(server: str) -> None:
    for stream in (False, True):
        response = httpx.post(
            f"{server}/v1/chat/completions",
            json={"model": MODEL, "messages": [{"role": "user", "content": NIGHTJAR}], "stream": stream},
            headers={"Authorization": "Bearer tok-outsider"},
            timeout=120,
        )
        assert response.status_code == 200 and INVESTIGATION not in response.text
        if stream:
            events = [json.loads(x[6:]) for x in response.text.split("\n") if x.startswith("data: {")]
            content = "".join(e["choices"][0]["delta"].get("content", "") for e in events)
            reply = events[-1]
        else:
            reply = response.json()
            content = reply["choices"][0]["message"]["content"]
        assert reply["abstained"] is True and reply["citations"] == []
        assert "do not say" in content and "42" not in content


def test_langchain_chat_openai_speaks_to_it(server: str) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=f"{server}/v1", api_key="tok-insider", model=MODEL, max_retries=0)  # type: ignore[arg-type]
    assert "42" in str(chat.invoke(NIGHTJAR).content)
    streamed = "".join(str(part.content) for part in chat.stream(NIGHTJAR))
    assert "42" in streamed and "[1]" in streamed


def test_curl_receives_server_sent_events(server: str) -> None:
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    body = json.dumps({"model": MODEL, "stream": True, "messages": [{"role": "user", "content": NIGHTJAR}]})
    out = subprocess.run(
        [curl, "-sN", "-i", f"{server}/v1/chat/completions", "-H", "Authorization: Bearer tok-insider",
         "-H", "Content-Type: application/json", "-d", body],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    head, _, events = out.partition("\n\n")  # text mode reads the header's \r\n as \n
    assert "200" in head.splitlines()[0] and "text/event-stream" in head
    lines = [line for line in events.split("\n") if line]
    assert all(line.startswith("data: ") for line in lines) and lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert "42" in "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)


def test_models_lists_the_assistant(server: str) -> None:
    assert [m.id for m in client(server).models.list()] == [MODEL]


def test_no_token_or_a_wrong_one_is_a_401_with_an_openai_error(server: str) -> None:
    with pytest.raises(openai.AuthenticationError) as raised:
        client(server, "not-a-token").chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    body = raised.value.body
    assert raised.value.status_code == 401
    assert isinstance(body, dict) and body["type"] == "authentication_error" and "Bearer" in body["message"]
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer tok-insider2"}):
        response = httpx.post(f"{server}/v1/chat/completions", json={"model": MODEL, "messages": []}, headers=headers)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"messages": "hello"}, "messages"),
        ({"messages": [{"role": "user", "content": 42}]}, "messages.0.content"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role"),
        ({"stream": "yes"}, "stream"),
        ({"temperature": "hot"}, "temperature"),
        ({"model": None}, "model"),
        ({"messages": []}, "messages"),
    ],
)
def test_wrong_types_are_a_400_with_an_openai_error(server: str, change: dict[str, object], param: str) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": NIGHTJAR}], **change}
    response = httpx.post(f"{server}/v1/chat/completions", json=body, headers={"Authorization": "Bearer tok-insider"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param and error["message"]
    assert set(error) == {"message", "type", "code", "param"}


def test_the_openai_client_raises_its_bad_request_error(server: str) -> None:
    with pytest.raises(openai.BadRequestError, match="last message must be the user"):
        client(server).chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello"}]
        )
    with pytest.raises(openai.BadRequestError, match="keep it under"):
        client(server).chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "why " * 1000}])
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client(server).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])


def test_unknown_fields_are_ignored(server: str) -> None:
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": NIGHTJAR, "name": "ivan"}],
        "logit_bias": {"1": 2},
        "tools": [],
        "response_format": {"type": "text"},
        "something_new": True,
    }
    response = httpx.post(
        f"{server}/v1/chat/completions", json=body, headers={"Authorization": "Bearer tok-insider"}, timeout=120
    )
    assert response.status_code == 200 and "42" in response.json()["choices"][0]["message"]["content"]


def test_a_filter_naming_a_hidden_document_does_not_open_it(server: str) -> None:
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": "Who did the Coral Fund pay?"}],
        "filters": {"sources": [LEDGER]},
    }
    response = httpx.post(
        f"{server}/v1/chat/completions", json=body, headers={"Authorization": "Bearer tok-insider"}, timeout=120
    )
    assert response.status_code == 200 and LEDGER not in response.text and "Kestrel" not in response.text
