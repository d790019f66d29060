"""Accuracy of the shipped topic and intent models on held-out sets, and in cross-validation.

Prints figures; asserts nothing. The blind sets in tests/data were written by people who saw
only the topic/intent list, never the training data. ``--cv K`` also retrains K times on the
training data (needs the dev extra, about a minute per model).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from nlp import intents, topics
from nlp.resources import data_path
from nlp.train import cross_validate, read_tsv

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def report(name: str, rows: list[tuple[str, str]], predict) -> None:
    wrong: Counter[tuple[str, str]] = Counter()
    for label, text in rows:
        guess = predict(text)
        if guess != label:
            wrong[(label, guess)] += 1
    accuracy = 1 - sum(wrong.values()) / len(rows)
    confusions = ", ".join(f"{a}→{b} {n}" for (a, b), n in wrong.most_common(4))
    print(f"{name:22s} {accuracy:.3f} on {len(rows)} messages; most confused: {confusions}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cv", type=int, default=0, help="also K-fold cross-validate")
    args = parser.parse_args()
    for name in ("blind-topics.tsv", "blind-topics-2.tsv"):
        report(f"topics  {name}", read_tsv(DATA / name), lambda t: topics.classify(t).topic)
    for name in ("blind-intents.tsv", "blind-intents-2.tsv"):
        report(f"intents {name}", read_tsv(DATA / name), lambda t: intents.understand(t).intent)
    if args.cv:
        for task, featurize, labels, file in (
            ("topics", topics.featurizer(), list(topics.TOPICS), "topics-train.tsv"),
            ("intents", intents.featurizer(), list(intents.INTENTS), "intents-train.tsv"),
        ):
            rows = read_tsv(data_path(file))
            accuracy = cross_validate(rows, featurize, labels, 20.0, args.cv)
            print(
                f"{task:8s} {args.cv}-fold cross-validation {accuracy:.3f} on {len(rows)} examples"
            )


if __name__ == "__main__":
    main()
