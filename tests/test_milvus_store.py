"""The Milvus store on a real Milvus Lite engine: ingest -> ask, updates, crash recovery, store switches.

The seed index is moved into Milvus from a copy of the session's FAISS index (no second embedding).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli.run import main
from assistant.config import Settings
from assistant.errors import IndexMissingError
from assistant.index.generations import current_generation, load_index
from assistant.index.milvus_store import MilvusStore, release
from assistant.index.milvus_update import PENDING_FILE
from assistant.index.store import StoreTarget
from assistant.ingest.update import ingest
from assistant.output.text import render_text
from assistant.pipeline import Assistant
from assistant.retrieval.retrieve import Retriever
from tests.conftest import CORPUS

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
DEATHS = "How many migrant deaths were recorded in 2016?"
KYIV = "Who co-hosted the Kyiv expert meeting?"


def moved_to_milvus(seed_settings: Settings, root: Path, **changes: str) -> tuple[Settings, object]:
    """Return Milvus settings for a copy of the seed index in `root`, and the ingest report of the move."""
    shutil.copytree(seed_settings.index_dir, root / "index", ignore=shutil.ignore_patterns(".lock"))
    settings = seed_settings.replace(index_dir=root / "index", store="milvus", **changes)
    return settings, ingest(settings)


def milvus_store(settings: Settings) -> MilvusStore:
    store = load_index(settings.index_dir, StoreTarget.from_settings(settings), settings.milvus_token).store
    assert isinstance(store, MilvusStore)
    return store


def collection_rows(store: MilvusStore) -> list[dict[str, str]]:
    """Return every row of the collection (id, doc_id, source), read from Milvus itself."""
    return store.client.query(store.collection, filter="", output_fields=["id", "doc_id", "source"], limit=16384)


def assert_collection_matches_index(store: MilvusStore) -> None:
    rows = collection_rows(store)
    assert sorted(r["id"] for r in rows) == sorted(c.id for c in store.chunks)
    assert store.count() == len(store.chunks)


@pytest.fixture(scope="module")
def milvus_seed(seed_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings, report = moved_to_milvus(seed_settings, tmp_path_factory.mktemp("milvus-seed"))
    assert report.store_changed and not (report.added or report.updated or report.removed)  # type: ignore[attr-defined]
    return settings


def test_the_seed_index_moves_into_milvus_whole(seed_settings: Settings, milvus_seed: Settings) -> None:
    faiss = load_index(seed_settings.index_dir).store
    store = milvus_store(milvus_seed)
    assert [c.id for c in store.chunks] == [c.id for c in faiss.chunks]
    assert_collection_matches_index(store)
    assert (milvus_seed.index_dir / "milvus.db").is_dir()  # Milvus Lite, beside the index by default


def test_ask_on_milvus_quotes_the_cited_fact(milvus_seed: Settings, assistant: Assistant) -> None:
    on_milvus = Assistant.from_settings(milvus_seed)
    answer = on_milvus.ask(DEATHS)
    assert not answer.abstained
    first = answer.statements[0]
    assert "7,934" in first.text and first.support == "verified"
    cited = next(h.chunk for h in answer.hits if h.chunk.id == first.citations[0].chunk_id)
    assert "7,934" in cited.text[first.citations[0].start : first.citations[0].end]
    # The same answers, word for word, as from the FAISS store.
    assert render_text(answer) == render_text(assistant.ask(DEATHS))
    assert "Lithuania" in render_text(on_milvus.ask(KYIV)) and render_text(on_milvus.ask(KYIV)) == render_text(
        assistant.ask(KYIV)
    )


def test_store_flag_on_search_and_ask(milvus_seed: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--index-dir", str(milvus_seed.index_dir), "--corpus-dir", str(milvus_seed.corpus_dir)]
    assert main([*where, "search", DEATHS, "--store", "milvus", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert any("7,934" in h["text"] for h in hits[:3])
    assert main([*where, "ask", DEATHS, "--store", "milvus", "--json", "--mode", "hybrid"]) == 0
    assert "7,934" in json.loads(capsys.readouterr().out)["answer"]
    # Asking the FAISS store of an index that lives in Milvus says how to build it there.
    assert main([*where, "search", DEATHS, "--store", "faiss"]) == 1
    assert "assistant ingest --store faiss" in capsys.readouterr().err


def small_milvus(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "000_ecf764e4fb7f4f22.txt", corpus / "kyiv.txt")
    (corpus / "athens.md").write_text(
        "# Athens workshop\n\nThe workshop in Athens gathered border police from ten countries.\n", "utf-8"
    )
    from assistant.config import load_settings

    return load_settings(
        Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=tmp_path / "index", store="milvus"
    )


def test_changed_and_deleted_documents_leave_nothing_in_the_collection(tmp_path: Path) -> None:
    settings = small_milvus(tmp_path)
    ingest(settings)
    store = milvus_store(settings)
    athens_docs = {c.doc_id for c in store.chunks if c.source == "athens.md"}
    assert athens_docs <= {r["doc_id"] for r in collection_rows(store)}

    (settings.corpus_dir / "athens.md").write_text("# Athens workshop\n\nIt ended with twelve recommendations.\n")
    assert ingest(settings).updated == ["athens.md"]
    store = milvus_store(settings)
    assert not athens_docs & {r["doc_id"] for r in collection_rows(store)}  # the old version's chunks are gone
    assert_collection_matches_index(store)

    (settings.corpus_dir / "athens.md").unlink()
    assert ingest(settings).removed == ["athens.md"]
    store = milvus_store(settings)
    assert not [r for r in collection_rows(store) if r["source"] == "athens.md"]
    assert_collection_matches_index(store)


CRASH_AFTER_MILVUS_WRITES = """
import os
from pathlib import Path

import assistant.index.milvus_update as update
from assistant.config import load_settings
from assistant.ingest.update import ingest


def die(*args, **kwargs):
    os._exit(9)  # killed after the Milvus writes, before the manifest is published: no cleanup of any kind


update.publish = die
ingest(load_settings(Path("/nonexistent.toml")))
"""


def test_an_update_killed_before_its_manifest_is_finished_by_the_next_ingest(tmp_path: Path) -> None:
    settings = small_milvus(tmp_path)
    ingest(settings)
    before = milvus_store(settings)
    old_generation = current_generation(settings.index_dir)
    old_athens = {c.doc_id for c in before.chunks if c.source == "athens.md"}
    release(StoreTarget.from_settings(settings))  # a Milvus Lite file admits one process: let the child in

    (settings.corpus_dir / "athens.md").write_text("# Athens workshop\n\nIt ended with twelve recommendations.\n")
    (settings.corpus_dir / "lagos.md").write_text("# Lagos\n\nThe Lagos round table trained forty customs officers.\n")
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
        "ASSISTANT_STORE": "milvus",
    }
    child = subprocess.run([sys.executable, "-c", CRASH_AFTER_MILVUS_WRITES], cwd=REPO, env=env, capture_output=True)
    assert child.returncode == 9, child.stderr.decode()[-2000:]

    # The collection changed, the manifest did not, and the record of what was touched survived.
    assert current_generation(settings.index_dir) == old_generation
    assert (settings.index_dir / PENDING_FILE).is_file()
    stale = milvus_store(settings)
    assert [c.id for c in stale.chunks] == [c.id for c in before.chunks]
    in_collection = {r["doc_id"] for r in collection_rows(stale)}
    assert not old_athens & in_collection and any(r["source"] == "lagos.md" for r in collection_rows(stale))
    # A reader in between gets the old index's chunks only: a hit the manifest does not know is skipped.
    hits = Retriever.from_settings(settings).search("customs officers trained in Lagos", k=5, mode="hybrid").hits
    assert hits and all(h.chunk.source in {"kyiv.txt", "athens.md"} for h in hits)

    report = ingest(settings)
    assert report.recovered and set(report.updated + report.added) == {"athens.md", "lagos.md"}
    store = milvus_store(settings)
    assert_collection_matches_index(store)
    assert {c.source for c in store.chunks} == {"kyiv.txt", "athens.md", "lagos.md"}
    assert not (settings.index_dir / PENDING_FILE).exists()
    assert not ingest(settings).changed  # and once finished, a rerun has nothing left to do


def test_switching_the_store_rebuilds_and_a_mismatch_is_explained(seed_settings: Settings, tmp_path: Path) -> None:
    settings, report = moved_to_milvus(seed_settings, tmp_path, milvus_collection="first")
    seed_ids = [c.id for c in load_index(seed_settings.index_dir).store.chunks]
    with pytest.raises(IndexMissingError, match="assistant ingest --store faiss"):
        Retriever.from_settings(settings.replace(store="faiss"))

    other = settings.replace(milvus_collection="second")  # another collection is another store: copied there
    assert ingest(other).store_changed
    store = milvus_store(other)
    assert store.collection == "second" and [c.id for c in store.chunks] == seed_ids
    assert_collection_matches_index(store)

    back = ingest(settings.replace(store="faiss"))
    assert back.store_changed and not back.added
    index = load_index(settings.index_dir, StoreTarget("faiss"))
    assert type(index.store).__name__ == "FaissStore" and [c.id for c in index.store.chunks] == seed_ids
    assert index.manifest.store == StoreTarget("faiss")


def test_a_second_process_is_told_the_lite_file_is_in_use(milvus_seed: Settings) -> None:
    milvus_store(milvus_seed)  # this process holds the Milvus Lite file open
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(milvus_seed.index_dir), "ASSISTANT_STORE": "milvus"}
    child = subprocess.run(
        [sys.executable, "-m", "assistant", "search", DEATHS], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert child.returncode == 1
    assert "is open in another process" in child.stderr and "milvus-lite server" in child.stderr
    assert "Traceback" not in child.stderr and len(child.stderr.strip().splitlines()) == 1
