"""Choose how the learned answer scorer is used, on a dev split: ranking blend, penalties, abstention threshold.

    .venv/bin/python bench/scorer_study.py --set library --split dev        # answers: variants x thresholds
    .venv/bin/python bench/scorer_study.py --set library --split dev --support   # the support score's blend

Each variant answers every question once with abstention off, keeping its answerability ("fit"); the
threshold sweep then abstains wherever fit < T, so a variant's rows all come from the same answers. The
set's index must exist (`assistant eval --set NAME` builds it). Only the named split is read: decide on
dev, report test with `assistant eval`. docs/answers.md records the chosen values and this run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from answer_study import _at  # noqa: E402
from scorer_pairs import fitting_questions, tuning_documents  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from assistant.answering import extractive as answer_module  # noqa: E402
from assistant.answering import learned as learned_module  # noqa: E402
from assistant.answering import verify as verify_module  # noqa: E402
from assistant.config import load_settings  # noqa: E402
from assistant.evaluation.evalset import load_dataset  # noqa: E402
from assistant.evaluation.labelled import read_records, support_scores  # noqa: E402
from assistant.evaluation.metrics import aggregate, judge  # noqa: E402
from assistant.evaluation.sets import get_set  # noqa: E402
from assistant.output.contract import answer_to_json  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402

SHOWN = ("key_fact_recall", "all_facts_rate", "citation_precision", "citation_recall", "abstention_accuracy",
         "false_abstention_rate", "pass_rate")  # fmt: skip
# (name, answer scorer on, W_HAND, PENALISE_LEARNED)
VARIANTS = [
    ("hand", False, 0.0, True),
    ("learned w0.25 pen", True, 0.25, True),
    ("learned w0.25", True, 0.25, False),
    ("learned w0", True, 0.0, False),
    ("learned w0.5", True, 0.5, False),
    ("learned w1", True, 1.0, False),
]


def thresholds() -> list[float]:
    return [round(0.02 * i, 2) for i in range(1, 50)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="library")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--support", action="store_true", help="study the support score's blend instead")
    parser.add_argument("--only", nargs="*", default=None, help="variant names to run (default: all)")
    parser.add_argument("--sweep", action="store_true", help="print every threshold, not only the best")
    args = parser.parse_args()
    chosen_set = get_set(args.set)
    settings = chosen_set.settings(load_settings())
    assistant = Assistant.from_settings(settings)
    if args.support:
        return support_study(assistant, chosen_set.labelled, args.split)
    items = [i for i in load_dataset(chosen_set.questions) if i.split == args.split]
    if args.set == "library" and args.split == "dev":
        # Only the dev questions the scorer was not trained on (scripts/scorer_pairs.py, the tuning half).
        trained = {r["id"] for r in fitting_questions()}
        items = [i for i in items if i.id not in trained]
    print(f"{args.set} {args.split}: {len(items)} questions ({sum(not i.answerable for i in items)} unanswerable)")
    answer_module.ABSTAIN_BELOW = -1.0  # answer everything; the sweep decides abstention afterwards
    for name, on, w_hand, penalise in VARIANTS:
        if args.only and name not in args.only:
            continue
        assistant.settings = settings.replace(answer_scorer=on)
        assistant._extractive = None
        learned_module.W_HAND = w_hand
        answer_module.PENALISE_LEARNED = penalise
        started = time.perf_counter()
        rows, fits = [], []
        for item in items:
            answer = assistant.ask(item.question)
            extractive = assistant.extractive()
            fits.append(extractive.assess(item.question, answer.hits).fit)
            rows.append({"id": item.id, **answer_to_json(answer)})
        seconds = time.perf_counter() - started
        report(name, rows, fits, items, seconds, args.sweep)
    return 0


def report(
    name: str, rows: list[dict[str, Any]], fits: list[float], items: list[Any], seconds: float, every: bool
) -> None:
    """Print the variant's best thresholds: by pass rate, and the best key facts with false abstention <= 0.08."""
    by_id = {i.id: i for i in items}
    sweep = []
    for t in thresholds():
        metrics = aggregate([judge(_at(r, f, t), by_id[r["id"]]) for r, f in zip(rows, fits, strict=True)])
        sweep.append((t, metrics))
    answerable = [f for f, i in zip(fits, items, strict=True) if i.answerable]
    unanswerable = [f for f, i in zip(fits, items, strict=True) if not i.answerable]
    labels = [True] * len(answerable) + [False] * len(unanswerable)
    auc = roc_auc_score(labels, answerable + unanswerable) if unanswerable and answerable else float("nan")
    print(f"\n== {name}  ({seconds:.0f} s; answerability ROC AUC answerable vs not {auc:.3f})")
    print(f"{'T':>5} " + " ".join(f"{m[:14]:>14}" for m in SHOWN))
    best = max(sweep, key=lambda x: x[1]["pass_rate"] or 0)
    capped = [s for s in sweep if (s[1]["false_abstention_rate"] or 0) <= 0.08]
    rows_shown = {best[0]: "best pass"}
    if capped:
        rows_shown.setdefault(max(capped, key=lambda x: x[1]["abstention_accuracy"] or 0)[0], "false abst <= 0.08")
    rows_shown.setdefault(0.02, "never abstain")
    for t, metrics in sweep:
        if t in rows_shown or (every and 0.2 <= t <= 0.6):
            print(f"{t:5.2f} " + " ".join(f"{metrics[m] or 0:14.3f}" for m in SHOWN) + f"  <- {rows_shown.get(t, '')}")


def support_study(assistant: Assistant, folder: Path | None, split: str) -> int:
    """Print ROC AUC and the best operating point of the support score for several blends of the learned score."""
    assert folder is not None
    records = [r for r in read_records(folder / "support.jsonl") if r.get("split") == split]
    if split == "dev" and folder.name == "library":
        tuning = tuning_documents()  # the scorer was trained on the other half's pairs
        records = [r for r in records if r["source"] in tuning]
    gold = [bool(r["supported"]) for r in records]
    print(f"support {split}: {len(records)} pairs, {sum(gold)} supported")
    for w in (0.0, 0.25, 0.5, 0.75, 1.0):
        verify_module.W_LEARNED = w
        assistant.settings = assistant.settings.replace(answer_scorer=w > 0)
        scored = support_scores(assistant, records)
        scores = [s for s, _ in scored]
        auc = roc_auc_score(gold, scores)
        line = f"W_LEARNED {w:4.2f}: ROC AUC {auc:.3f};"
        for target in (0.90, 0.95):
            point = _operating_point(scores, gold, target)
            line += f" precision >= {target}: " + (
                f"T {point[0]:.3f} P {point[1]:.3f} R {point[2]:.3f};" if point else "none;"
            )
        print(line)
    return 0


def _operating_point(scores: list[float], gold: list[bool], precision: float) -> tuple[float, float, float] | None:
    """Return (threshold, precision, recall) of the lowest threshold reaching `precision`, or None."""
    positives = sum(gold)
    for t in sorted(set(scores)):
        chosen = [g for s, g in zip(scores, gold, strict=True) if s >= t]
        if chosen and sum(chosen) / len(chosen) >= precision:
            return t, sum(chosen) / len(chosen), sum(chosen) / positives
    return None


if __name__ == "__main__":
    sys.exit(main())
