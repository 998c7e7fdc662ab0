"""Does the answer adapter put the gold sentence first? The hand ranking with and without it, on dev questions.

    .venv/bin/python bench/answer_adapter_study.py [--adapter PATH ...]

For the library's dev tuning half (the documents the adapter never trained on, scripts/scorer_pairs.py)
and the seed set's dev split: each answerable question is retrieved once, its sentences ranked by
answering/evidence.py with the question's plain MiniLM vector ("off"), with the shipped adapter, and with
each --adapter file (a candidate written by scripts/train_answer_adapter.py --out). A sentence is gold when
it holds an evidence quote or lies inside one. Printed: the share of questions whose gold sentence ranks
first and in the top 3, the mean reciprocal rank, and the share whose answer's first sentence is gold.
The sets' indexes must exist (`assistant eval --set NAME` builds them). docs/answers.md "The answer
adapter" records the run that chose the adapter's constants.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from scorer_pairs import fitting_questions  # noqa: E402

from assistant.answering import evidence  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from assistant.embedding.answer_adapter import ADAPTER_FILE, answer_vector, load_adapter  # noqa: E402
from assistant.evaluation.evalset import EvalItem, load_dataset  # noqa: E402
from assistant.evaluation.labelled import same_text  # noqa: E402
from assistant.evaluation.sets import get_set  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402


def gold(item: EvalItem, text: str, source: str) -> bool:
    """Whether sentence `text` of `source` holds one of the item's evidence quotes or lies inside one."""
    return any(e.source == source and same_text(e.quote, text) for e in item.evidence)


def ranks(assistant: Assistant, items: list[EvalItem]) -> tuple[list[int], list[bool]]:
    """Return each question's rank of its first gold sentence (0: none among the candidates) and whether
    the answer's first sentence is gold."""
    out, first = [], []
    for item in items:
        hits = assistant.ask(item.question).hits
        found = assistant.extractive().assess(item.question, hits)
        quotable = [c for c in found.ranked if c.quotable]
        marks = [gold(item, c.unit.text, hits[c.hit].chunk.source) for c in quotable]
        out.append(marks.index(True) + 1 if True in marks else 0)
        primary = found.primary
        first.append(primary is not None and gold(item, primary.unit.text, hits[primary.hit].chunk.source))
    return out, first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapter", type=Path, nargs="*", default=[], help="candidate adapter files to compare")
    args = parser.parse_args()
    variants: list[tuple[str, Callable[[np.ndarray], np.ndarray]]] = [
        ("off", lambda q: q),
        (f"shipped ({ADAPTER_FILE.name})", answer_vector),
    ]
    variants += [(str(p), functools.partial(answer_vector, weights=load_adapter(p))) for p in args.adapter]
    trained = {r["id"] for r in fitting_questions()}
    for name in ("library", "seed"):
        chosen = get_set(name)
        assistant = Assistant.from_settings(chosen.settings(load_settings()))
        items = [i for i in load_dataset(chosen.questions) if i.split == "dev" and i.answerable and i.id not in trained]
        print(f"\n{name} dev{' tuning half' if name == 'library' else ''}: {len(items)} answerable questions")
        for label, adapt in variants:
            evidence.answer_vector = adapt  # type: ignore[assignment]
            found, first = ranks(assistant, items)
            with_gold = np.array([r for r in found if r > 0])
            print(
                f"  {label:32s} gold among candidates {len(with_gold)}: top-1 {np.mean(with_gold == 1):.3f}"
                f"  top-3 {np.mean(with_gold <= 3):.3f}  MRR {np.mean(1 / with_gold):.3f}"
                f"  answer's first sentence gold {np.mean(first):.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
