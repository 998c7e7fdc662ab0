"""Sign-in in front of the real app (build_ui on the seed index, build_app), driven over HTTP with TestClient.

Accounts live in a fresh SQLite file per module. The app trusts X-Forwarded-For here (trusted_proxy) so that
each test signs in from its own address and one test's failures never lock out another's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from assistant.accounts import audit, sessions, tokens, users
from assistant.config import Settings
from assistant.ui.blocks import Callbacks, build_ui
from assistant.ui.web import build_app
from assistant.ui.web_gate import SESSION_COOKIE, logout_token
from assistant.ui.web_login import LOCKED, WRONG, is_https

PASSWORD = "long enough"
HTML = {"accept": "text/html,application/xhtml+xml"}
_addresses = count(1)


@pytest.fixture(scope="module")
def settings(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    db = tmp_path_factory.mktemp("sign-in") / "accounts.db"
    return seed_settings.replace(accounts_db=db, login_failure_delay_s=0.0, trusted_proxy=True)


@pytest.fixture(scope="module")
def app(settings: Settings, assistant) -> FastAPI:  # type: ignore[no-untyped-def]
    users.add_user(settings.accounts_path, "admin", "admin", PASSWORD)
    return build_app(build_ui(settings, assistant), settings, assistant)


@pytest.fixture(scope="module")
def running(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:  # the lifespan starts Gradio's queue
        yield client


@pytest.fixture
def client(running: TestClient) -> TestClient:
    running.cookies.clear()
    running.headers["x-forwarded-for"] = f"10.1.0.{next(_addresses)}"
    return running


def add(settings: Settings, name: str, role: str = "trainee") -> str:
    users.add_user(settings.accounts_path, name, role, PASSWORD)
    return name


def login_form(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD, **headers: str) -> Any:
    csrf = login_form(client)
    form = {"username": name, "password": password, "csrf": csrf}
    return client.post("/login", data=form, headers=headers, follow_redirects=False)


def call(client: TestClient, api: str, data: list[Any], **headers: str) -> tuple[str, Any]:
    """Run a Gradio API endpoint through the queue; return (SSE event, its data)."""
    started = client.post(f"/gradio_api/call/{api}", json={"data": data}, headers=headers)
    assert started.status_code == 200, started.text
    stream = client.get(f"/gradio_api/call/{api}/{started.json()['event_id']}", headers=headers).text
    event, _, payload = stream.strip().rpartition("event: ")[2].partition("\ndata: ")
    return event.strip(), json.loads(payload) if payload.strip() not in ("", "null") else None


def test_without_accounts_the_app_serves_the_local_user(seed_settings: Settings, assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = seed_settings.replace(accounts_db=tmp_path / "accounts.db")
    with TestClient(build_app(build_ui(settings, assistant), settings, assistant)) as client:
        assert client.get("/", headers=HTML).status_code == 200
        assert client.get("/config").status_code == 200
        assert client.get("/login", follow_redirects=False).headers["location"] == "/"
        event, data = call(client, "export_md", [[], "Current answer"])
        assert event == "complete"  # nothing to export, but allowed: the local user has every right
    assert not (tmp_path / "accounts.db").exists()


def test_with_an_account_nothing_is_served_before_sign_in(client: TestClient, settings: Settings) -> None:
    page = client.get("/", headers=HTML, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login"
    corpus_file = settings.corpus_dir.resolve() / "catalog.toml"
    for method, path in [
        ("GET", "/"),
        ("GET", "/config"),
        ("GET", "/gradio_api/info"),
        ("GET", f"/gradio_api/file={corpus_file}"),
        ("GET", f"/file={corpus_file}"),
        ("POST", "/gradio_api/queue/join"),
        ("GET", "/gradio_api/queue/data?session_hash=x"),
        ("POST", "/gradio_api/upload"),
        ("POST", "/gradio_api/call/ask"),
        ("GET", "/gradio_api/heartbeat/x"),
    ]:
        response = client.request(method, path)
        assert response.status_code == 401, (path, response.status_code)
        assert "named_endpoints" not in response.text and "Human metadata" not in response.text
    assert client.get("/config", headers={"authorization": "Bearer not-a-token"}).status_code == 401


def test_sign_in_gives_a_new_session_id_with_safe_cookie_flags(client: TestClient, settings: Settings) -> None:
    add(settings, "fixed")
    csrf = login_form(client)
    planted = sessions.create_session(settings.accounts_path, "admin")  # even a real id offered by the client
    client.cookies.set(SESSION_COOKIE, planted)
    form = {"username": "fixed", "password": PASSWORD, "csrf": csrf}
    response = client.post("/login", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert session_id != planted and sessions.session_user(settings.accounts_path, planted) is None
    flags = {f.strip().lower() for f in cookie.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= flags and "secure" not in flags
    assert sessions.session_user(settings.accounts_path, session_id) == "fixed"
    client.cookies.set(SESSION_COOKIE, session_id)
    assert client.get("/", headers=HTML).status_code == 200 and client.get("/config").status_code == 200
    assert "sign-in" in [e.action for e in audit.recent(settings.accounts_path) if e.user == "fixed"]


def test_cookies_are_secure_over_https(app: FastAPI, settings: Settings) -> None:
    add(settings, "secure")
    client = TestClient(app, base_url="https://testserver", headers={"x-forwarded-for": "10.2.0.1"})
    cookie = next(c for c in login(client, "secure").headers.get_list("set-cookie") if SESSION_COOKIE in c)
    assert "secure" in cookie.lower()


def test_forwarded_https_counts_only_behind_a_trusted_proxy(settings: Settings) -> None:
    scope = {"type": "http", "scheme": "http", "path": "/", "headers": [(b"x-forwarded-proto", b"https")]}
    assert is_https(Request(scope), settings)
    assert not is_https(Request(scope), settings.replace(trusted_proxy=False))


def test_forged_forms_are_refused(client: TestClient, settings: Settings) -> None:
    add(settings, "csrf")
    login_form(client)
    bad = client.post("/login", data={"username": "csrf", "password": PASSWORD, "csrf": "guess"})
    assert bad.status_code == 403 and SESSION_COOKIE not in bad.headers.get("set-cookie", "")
    cross = login(client, "csrf", origin="https://evil.example")
    assert cross.status_code == 403
    assert login(client, "csrf", origin="http://testserver").status_code == 303
    refused = client.post("/logout", data={"csrf": "guess"})
    assert refused.status_code == 403 and client.get("/config").status_code == 200  # still signed in


def test_lockout_after_repeated_failures(client: TestClient, settings: Settings) -> None:
    add(settings, "locky")
    for _ in range(5):
        failed = login(client, "locky", "wrong password")
        assert failed.status_code == 401 and WRONG in failed.text
    elsewhere = {"x-forwarded-for": "10.3.0.1"}  # this address is locked out by now
    assert WRONG in login(client, "nobody-at-all", "wrong password", **elsewhere).text  # same words: unknown name
    refused = login(client, "locky", PASSWORD)  # the right password, the 6th attempt
    assert refused.status_code == 429 and LOCKED in refused.text and SESSION_COOKIE not in str(refused.headers)
    actions = [e.action for e in audit.recent(settings.accounts_path, 100) if e.user == "locky"]
    assert actions.count("sign-in-failed") == 5 and "sign-in-locked" in actions


def test_sign_out_ends_the_session_on_the_server(client: TestClient, settings: Settings) -> None:
    add(settings, "leaving")
    login(client, "leaving")
    session_id = client.cookies[SESSION_COOKIE]
    out = client.post("/logout", data={"csrf": logout_token(session_id)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert sessions.session_user(settings.accounts_path, session_id) is None
    client.cookies.set(SESSION_COOKIE, session_id)  # replayed after sign-out
    assert client.get("/config").status_code == 401


def test_removal_password_change_and_revoked_tokens_take_effect_at_once(client: TestClient, settings: Settings) -> None:
    db = settings.accounts_path
    for name, change in [("gone", lambda: users.remove_user(db, "gone")), ("moved", None)]:
        add(settings, name)
        login(client, name)
        assert client.get("/config").status_code == 200
        users.set_password(db, name, "another password") if change is None else change()
        assert client.get("/config").status_code == 401
        client.cookies.clear()
    add(settings, "robot", "staff")
    token = tokens.create_token(db, "robot")
    bearer = {"authorization": f"Bearer {token}"}
    assert client.get("/config", headers=bearer).status_code == 200
    tokens.revoke_tokens(db, "robot")
    assert client.get("/config", headers=bearer).status_code == 401


def test_a_trainee_is_refused_staff_and_evaluator_actions_through_the_api(
    client: TestClient, settings: Settings
) -> None:
    add(settings, "tina")
    login(client, "tina")
    for api, data, words in [
        ("add_files", [None, []], "Uploading documents needs a staff account; you are signed in as a trainee."),
        ("run", ["smuggling", 1, [], [], []], "Drafting briefing notes needs a staff account"),
        ("run_2", [None, None, "bm25", False, 1], "Running evaluations needs an evaluator account"),
    ]:
        event, data = call(client, api, data)
        assert event == "error" and words in json.dumps(data), (api, event, data)
    event, data = call(client, "show_user", [])
    assert event == "complete" and "tina" in data[0] and "trainee" in data[0] and "Sign out" in data[0]
    assert [d.get("visible") for d in data[1:]] == [False, False, False]
    event, _ = call(client, "export_md", [[], "Current answer"])  # a trainee's own right
    assert event == "complete" and "export" not in [e.action for e in audit.recent(settings.accounts_path, 5)]


def test_callbacks_check_the_user_themselves(settings: Settings, assistant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add(settings, "trainee2")
    callbacks = Callbacks(settings, assistant)
    with pytest.raises(gr.Error, match="needs a staff account; you are signed in as a trainee"):
        callbacks.add_files([str(tmp_path / "x.txt")], [], gr.Request(username="trainee2"))
    with pytest.raises(gr.Error, match="Your session has ended: sign in again."):
        callbacks.add_files([], [], gr.Request(username="no-such-user"))
    out = list(
        callbacks.ask(
            "How many migrant deaths were recorded in 2016?",
            [],
            [],
            [],
            [],
            "bm25",
            5,
            "extractive",
            gr.Request(username="trainee2"),
        )
    )
    assert "7,934" in json.dumps(out[-1][0])
    asked = [e for e in audit.recent(settings.accounts_path, 5) if e.user == "trainee2"]
    assert [(e.action, e.detail) for e in asked] == [("ask", "How many migrant deaths were recorded in 2016?")]
