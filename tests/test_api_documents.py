"""Uploading and removing documents through the API, against a real server on a library of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.ingest.catalog import load_catalog
from assistant.ingest.remove import RemoveError, remove_source
from assistant.pipeline import Assistant
from tests.api_server import TOKEN_OF, make_library, running, serve_app

PELICAN = b"Project Pelican\n\nProject Pelican trained 65 border guards in Tirana in 2024 to detect forged visas."
OSPREY = b"Project Osprey\n\nProject Osprey mapped 12 smuggling routes through the Aegean islands in 2023."


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_library(tmp_path_factory.mktemp("api-documents"))


@pytest.fixture(scope="module")
def server(library: Settings) -> Iterator[str]:
    with running(serve_app(library, Assistant.from_settings(library))) as url:
        yield url


def call(server: str, method: str, path: str, user: str, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN_OF[user]}"}
    return httpx.request(method, f"{server}{path}", headers=headers, timeout=300, **kwargs)  # type: ignore[arg-type]


def search_sources(server: str, user: str, query: str) -> set[str]:
    response = call(server, "POST", "/api/search", user, json={"query": query, "k": 10})
    assert response.status_code == 200
    return {hit["source"] for hit in response.json()["hits"]}


def test_an_upload_is_searchable_then_a_removal_takes_it_away(server: str, library: Settings) -> None:
    added = call(server, "POST", "/api/documents", "ivan", files={"files": ("pelican report.txt", PELICAN)})
    assert added.status_code == 201, added.text
    [source] = added.json()["stored"]
    assert source == "uploads/pelican_report.txt" and (library.corpus_dir / source).is_file()
    assert source in search_sources(server, "tina", "Pelican border guards Tirana")
    answer = call(server, "POST", "/api/ask", "tina", json={"question": "How many border guards did Pelican train?"})
    assert "65" in answer.json()["answer"]

    [doc] = [d for d in call(server, "GET", "/api/documents", "ada").json()["documents"] if d["source"] == source]
    removed = call(server, "DELETE", f"/api/documents/{doc['id']}", "ada")
    assert removed.status_code == 200 and removed.json()["removed"] == source
    assert not (library.corpus_dir / source).exists()
    assert source not in search_sources(server, "ada", "Pelican border guards Tirana")
    assert source not in {d["source"] for d in call(server, "GET", "/api/documents", "ada").json()["documents"]}
    assert call(server, "DELETE", f"/api/documents/{doc['id']}", "ada").status_code == 404  # gone


def test_an_upload_for_a_group_is_read_by_its_members_only(server: str, library: Settings) -> None:
    added = call(
        server,
        "POST",
        "/api/documents",
        "ivan",
        files={"files": ("osprey.txt", OSPREY)},
        data={"groups": "investigators"},
    )
    assert added.status_code == 201, added.text
    [source] = added.json()["stored"]
    assert load_catalog(library.corpus_dir)[source].groups == ("investigators",)
    assert source in search_sources(server, "ivan", "Osprey smuggling routes Aegean")
    assert source not in search_sources(server, "fay", "Osprey smuggling routes Aegean")
    assert "Osprey" not in call(server, "GET", "/api/documents", "fay").text

    [doc] = [d for d in call(server, "GET", "/api/documents", "ada").json()["documents"] if d["source"] == source]
    assert call(server, "DELETE", f"/api/documents/{doc['id']}", "ada").status_code == 200
    assert source not in load_catalog(library.corpus_dir)  # its readers went with it


def test_staff_may_restrict_an_upload_to_their_own_groups_only(server: str) -> None:
    refused = call(
        server, "POST", "/api/documents", "fay", files={"files": ("x.txt", OSPREY)}, data={"groups": "investigators"}
    )
    assert refused.status_code == 403 and "not a member of investigators" in refused.json()["error"]["message"]


def test_a_refused_file_says_why(server: str) -> None:
    response = call(server, "POST", "/api/documents", "ivan", files={"files": ("tool.exe", b"MZ...")})
    assert response.status_code == 400 and ".exe files are not accepted" in response.json()["error"]["message"]


def test_an_unknown_document_is_a_404(server: str) -> None:
    response = call(server, "DELETE", "/api/documents/does-not-exist", "ada")
    assert response.status_code == 404 and response.json()["error"]["code"] == "document_not_found"


def test_a_file_outside_the_corpus_is_not_removed(library: Settings, tmp_path: Path) -> None:
    outside = tmp_path / "keep.txt"
    outside.write_text("keep me", encoding="utf-8")
    for source in (str(outside), "../" * 8 + str(outside).lstrip("/")):
        with pytest.raises(RemoveError, match="not a file of the corpus folder"):
            remove_source(library, source)
    assert outside.is_file()
