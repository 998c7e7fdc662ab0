"""The answerer seam's contract, run against both answerers through `Assistant.ask`: one body, two backends.

The generative answerer talks to a local OpenAI-compatible endpoint whose "model" reads the passages it
is sent: it quotes the sentence sharing most words with the question and cites its passage, or replies
that the documents do not say. A new answerer proves itself by passing the same tests.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest

from assistant.answering.generative import NOT_FOUND
from assistant.config import ANSWERERS, Settings
from assistant.pipeline import Assistant
from assistant.types import Answer
from tests.fake_openai import FakeOpenAI

ANSWERABLE = (
    "How many migrant deaths were recorded in 2016?",
    "Who co-hosted the Expert Meeting in Kyiv?",
    "What are the four pillars of IOM's approach to counter migrant smuggling?",
)
OUT_OF_CORPUS = "What is the recipe for lasagne?"
_WORD = re.compile(r"[a-z]{4,}")
_QUESTION_WORDS = frozenset(
    ["what", "which", "when", "where", "were", "many", "much", "does", "that", "this", "with", "from", "into", "about"]
)


def reading_model(system: str, user: str) -> str:
    """Reply like a model that reads: the passage sentence holding most of the question's words, cited."""
    question = user.rsplit("Question:", 1)[1].split("\n", 1)[0].lower()
    wanted = set(_WORD.findall(question)) - _QUESTION_WORDS
    best, best_share = "", 0.0
    for n, text in re.findall(r'<passage id="(\d+)"[^>]*>\n(.*?)\n</passage>', user, flags=re.S):
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
            share = len(wanted & set(_WORD.findall(sentence.lower()))) / max(len(wanted), 1)
            if share > best_share and len(sentence) > 30:
                best, best_share = f"{sentence.strip()} [{n}]", share
    return best if best_share >= 0.5 else NOT_FOUND


@pytest.fixture(scope="module")
def endpoint() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.reply = reading_model
        yield fake


@pytest.fixture(scope="module", params=ANSWERERS)
def answerer(request: pytest.FixtureRequest, seed_settings: Settings, assistant: Assistant) -> Assistant:
    """The seed assistant set to answer with each answerer in turn."""
    if request.param == "extractive":
        return assistant
    fake: FakeOpenAI = request.getfixturevalue("endpoint")
    settings = seed_settings.replace(generator_base_url=fake.url, generator_model="reader", answerer="generative")
    return Assistant(settings, assistant.retriever, embeddings=assistant.embeddings)


@pytest.fixture(scope="module")
def answers(answerer: Assistant) -> dict[str, Answer]:
    return {q: answerer.ask(q) for q in (*ANSWERABLE, OUT_OF_CORPUS)}


@pytest.mark.parametrize("question", ANSWERABLE)
def test_an_answerable_question_gets_verified_statements(answers: dict[str, Answer], question: str) -> None:
    answer = answers[question]
    assert answer.question == question
    assert not answer.abstained, answer.reason
    assert any(s.support == "verified" for s in answer.statements)


@pytest.mark.parametrize("question", ANSWERABLE)
def test_every_statement_cites_a_hit_with_a_span_inside_its_chunk(answers: dict[str, Answer], question: str) -> None:
    answer = answers[question]
    chunks = {h.chunk.id: h.chunk for h in answer.hits}
    numbers: dict[str, int] = {}
    for statement in answer.statements:
        assert statement.citations, statement.text
        for c in statement.citations:
            assert c.chunk_id in chunks  # a citation points at a passage the answerer was given
            assert 0 <= c.start < c.end <= len(chunks[c.chunk_id].text)
            chunk = chunks[c.chunk_id]
            # The page is the one the quote starts on, which need not be the passage's first.
            assert (c.source, c.title, c.page) == (chunk.source, chunk.title, chunk.page_of(c.start))
            # [1], [2], ... by first appearance; a passage cited again keeps its number.
            assert numbers.setdefault(c.chunk_id, len(numbers) + 1) == c.n


def test_an_out_of_corpus_question_abstains_and_keeps_the_related_hits(answers: dict[str, Answer]) -> None:
    answer = answers[OUT_OF_CORPUS]
    assert answer.abstained
    assert not any(s.support == "verified" for s in answer.statements)
    assert answer.reason.startswith("The documents in the corpus do not say: “What is the recipe for lasagne?”")
    assert len(answer.hits) >= 10  # shown to the user as related passages
    assert [h.rank for h in answer.hits[:10]] == list(range(1, 11))


def test_timings_name_every_stage(answers: dict[str, Answer]) -> None:
    for answer in answers.values():
        timings = answer.timings_ms
        assert set(timings) >= {"retrieve", "rerank", "answer", "total"}
        assert timings["retrieve"] + timings["rerank"] + timings["answer"] <= timings["total"]


def test_each_of_eight_parallel_questions_gets_its_own_timings(assistant: Assistant) -> None:
    """One retriever serves every question: its timings must travel with each answer, not through it.

    Half the questions skip the second stage (bm25), half use it; a question that read another's
    timings would show a rerank time it never spent, or none where it spent one.
    """
    modes = ["bm25", "hybrid+rerank"] * 4
    start = threading.Barrier(len(modes))
    results: list[tuple[str, Answer] | BaseException] = []
    lock = threading.Lock()

    def ask(mode: str) -> None:
        start.wait()
        try:
            outcome: tuple[str, Answer] | BaseException = (mode, assistant.ask(ANSWERABLE[0], mode=mode))
        except BaseException as exc:  # noqa: BLE001 (reported by the test below)
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=ask, args=(mode,)) for mode in modes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(results) == len(modes) and not [r for r in results if isinstance(r, BaseException)], results
    for mode, answer in results:  # type: ignore[misc]
        timings = answer.timings_ms
        assert (timings["rerank"] > 0) == (mode == "hybrid+rerank"), (mode, timings)
        assert timings["retrieve"] + timings["rerank"] + timings["answer"] <= timings["total"], (mode, timings)
