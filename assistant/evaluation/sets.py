"""The named evaluation sets: each a question file over its own corpus, with its labelled sets beside it.

`assistant eval --set NAME` indexes the set's corpus into its own folder under .cache/eval-index/, so
running one never touches the index the chat serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.errors import AssistantError

INDEX_ROOT = Path(".cache/eval-index")
POLICYQA_SOURCE = Path("../shared/benchmarks/policyqa/dev.json")
POLICYQA_DIR = Path(".cache/policyqa")


@dataclass(frozen=True, slots=True)
class EvalSet:
    name: str
    questions: Path  # JSON lines of EvalItem records, each with its split
    corpus: Path  # the documents the questions are about
    labelled: Path | None = None  # folder holding support.jsonl, selection.jsonl and briefing.jsonl
    about: str = ""

    def settings(self, settings: Settings) -> Settings:
        """Return `settings` pointed at this set's corpus and its own index folder."""
        return settings.replace(corpus_dir=self.corpus, index_dir=INDEX_ROOT / self.name)


SETS: dict[str, EvalSet] = {
    "seed": EvalSet(
        "seed",
        Path("eval/questions.jsonl"),
        Path("corpus"),
        Path("eval/seed"),
        "the customer's 5 seed documents (the answerer was tuned on these before the split)",
    ),
    "library": EvalSet(
        "library",
        Path("eval/library/questions.jsonl"),
        Path("shared/library/docs"),
        Path("eval/library"),
        "real public documents beyond the seed corpus (shared/library/SOURCES.md)",
    ),
    "policyqa": EvalSet(
        "policyqa",
        POLICYQA_DIR / "questions.jsonl",
        POLICYQA_DIR / "corpus",
        None,
        "PolicyQA dev (privacy policies, out of domain), converted from " + str(POLICYQA_SOURCE),
    ),
}


def get_set(name: str) -> EvalSet:
    """Return the named set, converting PolicyQA first when its files are not there yet."""
    try:
        chosen = SETS[name]
    except KeyError:
        raise AssistantError(f"No evaluation set {name!r}; the sets are {', '.join(SETS)}.") from None
    if name == "policyqa" and not chosen.questions.is_file():
        from assistant.evaluation.policyqa import convert

        if not POLICYQA_SOURCE.is_file():
            raise AssistantError(f"PolicyQA is converted from {POLICYQA_SOURCE}, which is not there.")
        convert(POLICYQA_SOURCE, POLICYQA_DIR)
    return chosen
