"""Per-document access through the served app: the page's own API, corpus files and the HTTP API, with real sign-in.

The library of test_access.py (an open report, one restricted to investigators, one to finance) is served by the
real web app (build_app over build_ui) with an accounts database holding a trainee, a staff member in the
investigators group, one in finance only, and an admin. Each signs in through /login, or calls with an API token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from test_access import INVESTIGATION, LEDGER, OPEN, TEXTS, assistant, library  # noqa: F401  (fixtures)
from test_sign_in import PASSWORD, call, login

from assistant.accounts import conversations, tokens, users
from assistant.config import Settings
from assistant.pipeline import Assistant
from assistant.ui.blocks import build_ui, chat_messages
from assistant.ui.history_panel import WITHHELD, HistoryCallbacks
from assistant.ui.web import build_app

PEOPLE = {
    "tina": ("trainee", ()),
    "ivan": ("staff", ("investigators",)),
    "fay": ("staff", ("finance",)),
    "ada": ("admin", ()),
}
READS = {
    "tina": {OPEN},
    "ivan": {OPEN, INVESTIGATION},
    "fay": {OPEN, LEDGER},
    "ada": set(TEXTS),
}
NIGHTJAR = "How many suspected smugglers did Operation Nightjar identify?"


@pytest.fixture(scope="module")
def served(library: Settings, assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:  # noqa: F811
    settings = library.replace(
        accounts_db=tmp_path_factory.mktemp("access-web") / "accounts.db", login_failure_delay_s=0.0
    )
    for name, (role, groups) in PEOPLE.items():
        users.add_user(settings.accounts_path, name, role, PASSWORD, groups)
    with TestClient(build_app(build_ui(settings, assistant), settings, assistant)) as client:
        client.app_state = settings  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def client(served: TestClient) -> TestClient:
    served.cookies.clear()
    return served


# A word each document alone holds, which no question or query here uses.
MARKS = {OPEN: "Valletta", INVESTIGATION: "Ravenna", LEDGER: "3.2 million"}


def shown_sources(data: Any) -> set[str]:
    """Return which of the library's sources a response names or quotes anywhere (text, citations, tables)."""
    text = json.dumps(data, ensure_ascii=False)
    return {s for s in TEXTS if s in text or MARKS[s] in text}


@pytest.mark.parametrize("name", list(PEOPLE))
def test_the_page_lists_asks_and_serves_only_readable_documents(
    client: TestClient,
    library: Settings,  # noqa: F811 (the fixture)
    name: str,
) -> None:
    login(client, name)
    event, data = call(client, "refresh_library", [])
    assert event == "complete" and shown_sources(data) == READS[name]
    event, data = call(client, "ask", [NIGHTJAR, [], [], [], [], "hybrid+rerank", 10, "extractive"])
    assert event == "complete"
    assert shown_sources(data) <= READS[name]
    said = json.dumps(data)
    assert ("42" in said) == (INVESTIGATION in READS[name])
    for source in TEXTS:
        path = quote(str((library.corpus_dir / source).resolve()))
        got = client.get(f"/gradio_api/file={path}")
        assert got.status_code == (200 if source in READS[name] else 404), (name, source)
        if got.status_code == 404:
            assert TEXTS[source][:20] not in got.text
    # The catalog names every restricted document and its groups: it is no document, and never served.
    catalog = quote(str((library.corpus_dir / "catalog.toml").resolve()))
    assert client.get(f"/gradio_api/file={catalog}").status_code == 404


@pytest.mark.parametrize("name", list(PEOPLE))
def test_the_http_api_answers_within_the_tokens_access(served: TestClient, name: str) -> None:
    settings: Settings = served.app_state  # type: ignore[attr-defined]
    served.cookies.clear()
    bearer = {"authorization": f"Bearer {tokens.create_token(settings.accounts_path, name)}"}
    chat = served.post(
        "/v1/chat/completions",
        json={"model": "policy-assistant", "messages": [{"role": "user", "content": NIGHTJAR}]},
        headers=bearer,
    )
    assert chat.status_code == 200
    body = chat.json()
    assert {c["source"] for c in body["citations"]} <= READS[name]
    assert ("42" in body["choices"][0]["message"]["content"]) == (INVESTIGATION in READS[name])
    listed = served.get("/api/documents", headers=bearer).json()
    assert shown_sources(listed) == READS[name]
    found = served.post("/api/search", json={"query": "smuggling port Kestrel Nightjar", "k": 10}, headers=bearer)
    assert shown_sources(found.json()) <= READS[name]


def test_a_session_cookie_does_not_open_the_http_api(client: TestClient) -> None:
    login(client, "ada")
    assert client.get("/config").status_code == 200  # the page is open to the signed-in admin
    assert client.get("/api/documents").status_code == 401  # the API wants a token


def test_a_revoked_token_or_removed_user_is_refused_by_the_api_at_once(served: TestClient, tmp_path: Path) -> None:
    settings: Settings = served.app_state  # type: ignore[attr-defined]
    users.add_user(settings.accounts_path, "temp", "staff", PASSWORD)
    bearer = {"authorization": f"Bearer {tokens.create_token(settings.accounts_path, 'temp')}"}
    assert served.get("/api/documents", headers=bearer).status_code == 200
    users.remove_user(settings.accounts_path, "temp")
    assert served.get("/api/documents", headers=bearer).status_code == 401


def test_a_reopened_answer_is_withheld_once_its_document_is_hidden(served: TestClient, assistant: Assistant) -> None:  # noqa: F811
    settings: Settings = served.app_state  # type: ignore[attr-defined]
    tina, request = users.get_user(settings.accounts_path, "tina"), gr.Request(username="tina")
    assert tina is not None
    question = "When was the Harbour Watch pilot launched?"
    answer = assistant.ask(question, user=tina)
    assert not answer.abstained and OPEN in {c.source for s in answer.statements for c in s.citations}
    now = HistoryCallbacks(settings, chat_messages, lambda user: frozenset())
    current, _ = now.save(None, [(question, answer)], request)
    assert now.open(current.id, request)[1] == [(question, answer)]  # as it was given
    later = HistoryCallbacks(settings, chat_messages, lambda user: frozenset({OPEN}))  # the report restricted since
    (_, shown), *_ = later.open(current.id, request)[1]
    assert shown.abstained and shown.reason == WITHHELD and not shown.hits and not shown.statements
    assert "Valletta" not in json.dumps(later.open(current.id, request)[0])


def test_a_removed_accounts_conversations_go_with_it(served: TestClient) -> None:
    settings: Settings = served.app_state  # type: ignore[attr-defined]
    db = settings.accounts_path
    users.add_user(db, "leaver", "trainee", PASSWORD)
    conversations.create(db, "leaver", "Private notes")
    users.remove_user(db, "leaver")
    users.add_user(db, "leaver", "trainee", PASSWORD)  # someone else, later, under the same name
    assert conversations.list_for(db, "leaver") == []
