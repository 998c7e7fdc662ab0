"""`/api/*` against a real server: each role's rights, and no restricted document in any answer to an outsider."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from assistant.config import Settings
from assistant.pipeline import Assistant
from tests.api_server import TOKEN_OF, make_library, running, serve_app
from tests.test_access import ADMIN, GROUPS, INSIDER, INVESTIGATION, LEDGER, OUTSIDER, TRAINEE, readable

NIGHTJAR = "How many suspected smugglers did Operation Nightjar identify?"
# Words only the restricted documents hold: an answer that shows one has shown a restricted document.
SECRET_WORDS = {INVESTIGATION: ("Ravenna", "17 forged", INVESTIGATION), LEDGER: ("Kestrel", "3.2 million", LEDGER)}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_library(tmp_path_factory.mktemp("api-rest"))


@pytest.fixture(scope="module")
def server(library: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    eval_dir = tmp_path_factory.mktemp("api-eval")
    (eval_dir / "nightjar.jsonl").write_text(json.dumps(EVAL_ITEM) + "\n", encoding="utf-8")
    with running(serve_app(library, Assistant.from_settings(library), eval_dir=eval_dir)) as url:
        yield url


EVAL_ITEM = {
    "id": "n1",
    "question": NIGHTJAR,
    "answerable": True,
    "answer": "42 suspected smugglers.",
    "must_include": [["42"]],
    "evidence": [{"source": INVESTIGATION, "quote": "Operation Nightjar identified 42 suspected smugglers"}],
    "type": "factoid",
}


def call(server: str, method: str, path: str, user: str | None = "ivan", **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN_OF[user]}"} if user else {}
    return httpx.request(method, f"{server}{path}", headers=headers, timeout=300, **kwargs)  # type: ignore[arg-type]


def test_ask_returns_the_ask_json_object(server: str) -> None:
    body = call(server, "POST", "/api/ask", json={"question": NIGHTJAR, "k": 5}).json()
    assert {"question", "answer", "abstained", "statements", "citations", "retrieved", "timings_ms"} <= set(body)
    assert "42" in body["answer"] and not body["abstained"]
    assert body["citations"][0]["source"] == INVESTIGATION and body["statements"][0]["citations"] == [1]


@pytest.mark.parametrize("user", [TRAINEE, INSIDER, OUTSIDER, ADMIN])
def test_no_response_shows_a_document_the_caller_may_not_read(server: str, user) -> None:  # type: ignore[no-untyped-def]
    hidden = [s for s in GROUPS if s not in readable(user)]
    responses = [
        call(server, "POST", "/api/ask", user.name, json={"question": NIGHTJAR}),
        call(server, "POST", "/api/ask", user.name, json={"question": "Who did the Coral Fund pay in 2022?"}),
        call(
            server, "POST", "/api/search", user.name, json={"query": "smuggling port forged papers Coral Fund", "k": 10}
        ),
        call(
            server,
            "POST",
            "/api/search",
            user.name,
            json={"query": "invoices auditors", "filters": {"sources": [LEDGER]}},
        ),
        call(server, "GET", "/api/documents", user.name),
    ]
    assert [r.status_code for r in responses] == [200] * 5
    for response in responses:
        for source in hidden:
            for word in SECRET_WORDS[source]:
                assert word not in response.text, (user.name, response.url, word)
    listed = {d["source"] for d in responses[-1].json()["documents"]}
    assert listed == readable(user)
    found = {h["source"] for h in responses[2].json()["hits"]}
    assert found <= readable(user) and (INVESTIGATION in found) == (INVESTIGATION in readable(user))


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/api/brief", {"json": {"topic": "smuggling"}}),
        ("POST", "/api/documents", {"files": {"files": ("a.txt", b"A note on smuggling.")}}),
        ("POST", "/api/eval", {"json": {"dataset": "nightjar.jsonl"}}),
        ("DELETE", "/api/documents/0123abcd", {}),
    ],
)
def test_a_trainee_may_not_brief_upload_eval_or_delete(server: str, method: str, path: str, kwargs: dict) -> None:  # type: ignore[type-arg]
    response = call(server, method, path, "tina", **kwargs)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["type"] == "permission_error" and "trainee may not" in error["message"]
    assert call(server, method, path, None, **kwargs).status_code == 401


def test_staff_may_not_delete_nor_run_evals(server: str) -> None:
    assert call(server, "DELETE", "/api/documents/0123abcd", "ivan").status_code == 403
    assert call(server, "POST", "/api/eval", "ivan", json={"dataset": "nightjar.jsonl"}).status_code == 403


def test_a_brief_comes_as_markdown_or_docx(server: str) -> None:
    md = call(server, "POST", "/api/brief", json={"topic": "Operation Nightjar", "questions": 2})
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert md.text.startswith("# Briefing note: Operation Nightjar") and "[^1]" in md.text and "42" in md.text
    docx = call(server, "POST", "/api/brief", json={"topic": "Operation Nightjar", "questions": 2, "format": "docx"})
    assert docx.status_code == 200 and "attachment" in docx.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(docx.content)) as package:
        assert "42 suspected smugglers" in package.read("word/document.xml").decode()
    outsider = call(server, "POST", "/api/brief", "fay", json={"topic": "Operation Nightjar", "questions": 2})
    assert outsider.status_code == 200 and "Ravenna" not in outsider.text and INVESTIGATION not in outsider.text


def test_an_eval_set_runs_inline_or_by_name(server: str) -> None:
    by_name = call(server, "POST", "/api/eval", "eve", json={"dataset": "nightjar.jsonl"}).json()
    assert by_name["run"]["questions"] == 1 and by_name["run"]["dataset"] == "nightjar.jsonl"
    inline = call(server, "POST", "/api/eval", "eve", json={"jsonl": json.dumps(EVAL_ITEM)}).json()
    assert without_latency(inline["metrics"]) == without_latency(by_name["metrics"])
    assert '"n": 1' in json.dumps(inline["metrics"])
    for dataset in ("../../pyproject.toml", "missing.jsonl", "/etc/passwd"):
        response = call(server, "POST", "/api/eval", "eve", json={"dataset": dataset})
        assert response.status_code == 404 and response.json()["error"]["code"] == "dataset_not_found"
    broken = call(server, "POST", "/api/eval", "eve", json={"jsonl": "{not json"})
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]["message"]


def without_latency(metrics: object) -> object:
    if isinstance(metrics, dict):
        return {k: without_latency(v) for k, v in metrics.items() if k != "latency_ms"}
    return metrics


def test_the_openapi_schema_lists_every_endpoint(server: str) -> None:
    schema = httpx.get(f"{server}/openapi.json").json()
    assert {"/v1/chat/completions", "/v1/models", "/api/ask", "/api/search", "/api/documents", "/api/brief"} <= set(
        schema["paths"]
    )
    assert "/api/eval" in schema["paths"] and "delete" in schema["paths"]["/api/documents/{doc_id}"]
