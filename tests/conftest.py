"""Shared fixtures: the real seed corpus indexed once per test session, with the real models."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose index (in a temp folder) holds the shipped seed corpus, built once."""
    from assistant.ingest.update import ingest

    index_dir = tmp_path_factory.mktemp("seed-index")
    settings = load_settings(Path("/nonexistent/assistant.toml"), environ={}, corpus_dir=CORPUS, index_dir=index_dir)
    report = ingest(settings)
    assert not report.skipped, report.skipped
    return settings


@pytest.fixture(scope="session")
def retriever(seed_settings: Settings):  # type: ignore[no-untyped-def]
    from assistant.retrieval.retrieve import Retriever

    return Retriever.from_settings(seed_settings)


@pytest.fixture(scope="session")
def assistant(seed_settings: Settings):  # type: ignore[no-untyped-def]
    from assistant.pipeline import Assistant

    return Assistant.from_settings(seed_settings)
