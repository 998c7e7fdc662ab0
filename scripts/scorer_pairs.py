"""Labelled (question or statement, sentence or passage, label) pairs to train the answer scorer on.

Only data the project may fit on (docs/evaluation.md, "The split protocol"), and not all of it: the
library's dev documents are halved (`tuning_documents`), and the answerer's constants that use the
scorer (blend, abstention threshold) are chosen on the half the scorer never saw, with the seed set's
dev split, which it never saw either (bench/scorer_study.py). Training takes:
- PolicyQA dev, the dev half of its policies (`policy_split`): the sentences holding a question's answer
  span are positives, the other sentences of its paragraph and of other paragraphs are negatives;
- the library's dev questions on its fitting half: the graded sentences of selection.jsonl ("answers" 1,
  "unrelated" 0; "context" is left out, neither answer nor off the point), each evidence quote as a
  positive, and as negatives the sentences BM25 ranks highest for the question in documents that do not
  hold its answer: every dev document for an unanswerable question (near misses teach abstention),
  other documents for an answerable one;
- the library support set's dev pairs on the fitting half (statement, passage, supported): the same
  scorer serves verification.

SciFact's train split has no rationale sentences in its BEIR form (document-level judgments only), so it
is not used for a sentence scorer.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s

from assistant.answering.sentences import units
from assistant.errors import LoadError
from assistant.evaluation.labelled import read_records
from assistant.evaluation.policyqa import policy_split
from assistant.evaluation.sets import POLICYQA_SOURCE, SETS
from assistant.index.keywords import tokenize
from assistant.ingest.catalog import load_catalog
from assistant.ingest.loaders import load_file
from assistant.ingest.sentences import sentence_spans

REPO = Path(__file__).resolve().parent.parent
# Negatives per PolicyQA question: other sentences of its paragraph, then of other paragraphs.
PARAGRAPH_NEGATIVES = 3
POLICY_NEGATIVES = 2
# BM25 negatives per eval question from documents that do not answer it.
NEAR_MISSES = 8  # an unanswerable question: its best-matching sentences anywhere
OTHER_DOCUMENT_NEGATIVES = 3  # an answerable one: the best-matching sentences of other documents
MIN_UNIT_CHARS = 25  # shorter units are headings and page furniture the answerer never quotes


@dataclass(frozen=True, slots=True)
class Pair:
    query: str  # a question, or a statement to verify
    text: str  # a sentence, or a passage
    label: float  # 1: answers or supports, 0: does not
    origin: str  # which data it came from, for the counts
    source: str = ""  # the library document `text` comes from ("" for PolicyQA)


def policyqa_questions(source: Path) -> Iterator[tuple[str, list[str], list[str], list[list[str]]]]:
    """Yield each question of PolicyQA's dev policies: its answer sentences, its paragraph's other sentences and
    the sentences of its policy's other paragraphs."""
    data = json.loads(source.read_text(encoding="utf-8"))["data"]
    titles = [p["title"] for p in data]
    for policy in data:
        if policy_split(policy["title"], titles) != "dev":
            continue
        spans_of = [sentence_spans(p["context"]) for p in policy["paragraphs"]]
        sentences = [
            [p["context"][a:b] for a, b in spans] for p, spans in zip(policy["paragraphs"], spans_of, strict=True)
        ]
        for i, paragraph in enumerate(policy["paragraphs"]):
            spans = spans_of[i]
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                a, b = answer["answer_start"], answer["answer_start"] + len(answer["text"])
                inside = [j for j, (s, e) in enumerate(spans) if s < b and a < e]
                if not inside:
                    continue
                rest = [s for j, s in enumerate(sentences[i]) if j not in inside]
                others = [group for k, group in enumerate(sentences) if k != i]
                yield qa["question"].strip(), [sentences[i][j] for j in inside], rest, others


def policyqa_pairs(source: Path, rng: random.Random) -> Iterator[Pair]:
    """Yield the answer-sentence pairs of PolicyQA's dev policies."""
    for question, answers, rest, others in policyqa_questions(source):
        for text in answers:
            yield Pair(question, text, 1.0, "policyqa")
        for text in rng.sample(rest, min(PARAGRAPH_NEGATIVES, len(rest))):
            yield Pair(question, text, 0.0, "policyqa")
        elsewhere = [s for group in others for s in group]
        for text in rng.sample(elsewhere, min(POLICY_NEGATIVES, len(elsewhere))):
            yield Pair(question, text, 0.0, "policyqa")


def selection_pairs(path: Path, question_ids: set[str], sources: set[str]) -> Iterator[Pair]:
    """Yield the graded sentences of the questions `question_ids` from `sources`: "answers" 1, "unrelated" 0.

    A dev question's retrieved passages may come from test documents: those sentences are left out.
    """
    for record in read_records(path):
        if record["id"] not in question_ids:
            continue
        for sentence in record["sentences"]:
            if sentence["label"] in ("answers", "unrelated") and sentence["source"] in sources:
                label = float(sentence["label"] == "answers")
                yield Pair(record["question"], sentence["text"], label, "selection", sentence["source"])


def support_pairs(path: Path, sources: set[str]) -> Iterator[Pair]:
    """Yield the dev (statement, passage, supported) pairs whose passage comes from `sources`."""
    for record in read_records(path):
        if record.get("split") == "dev" and record["source"] in sources:
            label = float(bool(record["supported"]))
            yield Pair(record["statement"], record["passage"], label, "support", record["source"])


class SentenceIndex:
    """BM25 over the quotable units of a set's dev documents, by source file."""

    def __init__(self, corpus: Path, sources: Sequence[str]) -> None:
        catalog = load_catalog(corpus)
        self.units: list[tuple[str, str]] = []  # (source, text)
        for source in sorted(sources):
            path = corpus / source
            if not path.is_file():
                continue
            try:
                documents = load_file(path, source, catalog.get(source))
            except LoadError:  # a file the loaders refuse (a scan) has no units to offer
                continue
            for document in documents:
                self.units += [(source, u.text) for u in units(document.text) if len(u.text) >= MIN_UNIT_CHARS]
        self.bm25 = bm25s.BM25()
        self.bm25.index([t or ["_"] for t in tokenize([text for _, text in self.units])], show_progress=False)

    def best(self, question: str, k: int, excluded: set[str]) -> list[tuple[str, str]]:
        """Return the `k` (source, unit) BM25 ranks highest for `question`, outside the `excluded` sources."""
        tokens = tokenize([question])
        if not tokens[0] or not self.units:
            return []
        found, _ = self.bm25.retrieve([tokens[0]], k=min(len(self.units), 20 * k), show_progress=False)
        out: list[tuple[str, str]] = []
        for row in found[0]:
            source, text = self.units[int(row)]
            if source not in excluded and (source, text) not in out:
                out.append((source, text))
            if len(out) == k:
                break
        return out


def library_dev() -> list[dict[str, Any]]:
    """Return the library's dev question records."""
    return [r for r in read_records(REPO / SETS["library"].questions) if r.get("split") == "dev"]


def tuning_documents() -> set[str]:
    """Return the half of the library's dev documents kept out of training, for choosing the answerer's constants.

    Documents in hashed order go to whichever half has fewer questions so far, so the halves hold about
    as many questions each; a question on documents of both halves counts in the tuning half.
    """
    dev = sorted(_dev_sources("library"), key=lambda d: hashlib.sha256(d.encode()).hexdigest())
    records = library_dev()
    load = {d: sum(d in r.get("documents", []) for r in records) for d in dev}
    halves: tuple[set[str], set[str]] = (set(), set())
    for document in dev:
        smaller = min(halves, key=lambda h: sum(load[d] for d in h))
        smaller.add(document)
    return halves[1]


def question_pairs(records: Sequence[dict[str, Any]], index: SentenceIndex) -> Iterator[Pair]:
    """Yield library dev questions against their evidence quotes and against near misses."""
    for record in records:
        answered = {e["source"] for e in record.get("evidence", [])}
        for evidence in record.get("evidence", []):
            yield Pair(record["question"], evidence["quote"], 1.0, "library-evidence", evidence["source"])
        if record.get("answerable", True):
            negatives = index.best(record["question"], OTHER_DOCUMENT_NEGATIVES, answered)
        else:
            negatives = index.best(record["question"], NEAR_MISSES, set())
        for source, text in negatives:
            yield Pair(record["question"], text, 0.0, "library-near-miss", source)


def _dev_sources(set_name: str) -> set[str]:
    splits = json.loads((REPO / "eval" / set_name / "splits.json").read_text(encoding="utf-8"))
    return set(splits.get("dev", []))


def all_pairs(seed: int = 13, library: bool = True) -> list[Pair]:
    """Return every training pair, in a fixed shuffled order (PolicyQA's alone without `library`)."""
    rng = random.Random(seed)
    pairs = list(policyqa_pairs(REPO / POLICYQA_SOURCE, rng))
    if library:  # reads the library's fitting-half documents: ~15 s of PDF parsing on 2 cores
        pairs += library_pairs()
    rng.shuffle(pairs)
    return pairs


def library_pairs() -> list[Pair]:
    """Return the pairs of the library's fitting half: graded sentences, support pairs, evidence and near misses."""
    fitting = _dev_sources("library") - tuning_documents()
    records = fitting_questions(fitting)
    folder = REPO / "eval" / "library"
    pairs = list(selection_pairs(folder / "selection.jsonl", {r["id"] for r in records}, fitting))
    pairs += support_pairs(folder / "support.jsonl", fitting)
    pairs += question_pairs(records, SentenceIndex(REPO / SETS["library"].corpus, fitting))
    return pairs


def fitting_questions(fitting: set[str] | None = None) -> list[dict[str, Any]]:
    """Return the library dev questions the scorer is trained on: all their documents are in the fitting half."""
    if fitting is None:
        fitting = _dev_sources("library") - tuning_documents()
    return [r for r in library_dev() if set(r.get("documents", [])) <= fitting and _fitting_id(r)]


def _fitting_id(record: dict[str, Any]) -> bool:
    """A question naming no document is placed by its id's hash: half of them fit."""
    if record.get("documents"):
        return True
    return int(hashlib.sha256(record["id"].encode()).hexdigest(), 16) % 2 == 0
