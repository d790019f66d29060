"""Train the topic and intent models from the labelled data in ``nlp/data``.

Run ``python -m nlp.train`` (needs the ``dev`` extra for scikit-learn). Training is
deterministic: the same data gives the same ``nlp/models/*.json``.
``--cv K`` also prints K-fold cross-validated accuracy; ``--eval FILE`` scores a held-out
TSV (label<TAB>text) that was not used for training.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

from nlp.features import Features
from nlp.linear import LinearModel
from nlp.resources import data_path, model_path

# A model's features of a text (the words, pairs and cues the weights are for).
Featurize = Callable[[str], Features]

# Features whose weights are all below this are dropped from the shipped model.
PRUNE = 0.2


def read_tsv(path: Path) -> list[tuple[str, str]]:
    """Read ``label<TAB>text`` lines, skipping comments and blanks."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        rows.append((label.strip(), text.strip()))
    return rows


def fit(
    rows: list[tuple[str, str]], featurize: Featurize, labels: list[str], c: float
) -> LinearModel:
    """Fit a multinomial logistic regression and return it as a LinearModel."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    vocab: dict[str, int] = {}
    indptr, indices, values, y = [0], [], [], []
    for label, text in rows:
        names = sorted(featurize(text).names)
        for name in names:
            indices.append(vocab.setdefault(name, len(vocab)))
            values.append(1.0 / math.sqrt(len(names)))
        indptr.append(len(indices))
        y.append(labels.index(label))
    x = csr_matrix((values, indices, indptr), shape=(len(rows), len(vocab)))
    clf = LogisticRegression(C=c, max_iter=3000, tol=1e-6)
    clf.fit(x, y)
    # Two labels give one row of weights (the second label's score against the first's):
    # as a softmax over [0, score] they give the same probabilities.
    coef = clf.coef_ if len(labels) > 2 else [[0.0] * len(vocab), clf.coef_[0]]
    bias = clf.intercept_ if len(labels) > 2 else [0.0, clf.intercept_[0]]
    weights = {}
    for name, col in vocab.items():
        w = [float(coef[k][col]) for k in range(len(labels))]
        if max(abs(v) for v in w) >= PRUNE:
            weights[name] = w
    return LinearModel(labels, [float(b) for b in bias], weights)


def accuracy(model: LinearModel, rows: list[tuple[str, str]], featurize: Featurize) -> float:
    """Return the share of rows whose label the model predicts."""
    hits = sum(model.predict(featurize(text).names).label == label for label, text in rows)
    return hits / len(rows)


def cross_validate(
    rows: list[tuple[str, str]], featurize: Featurize, labels: list[str], c: float, k: int
) -> float:
    """Return k-fold cross-validated accuracy (deterministic, stratified by position)."""
    correct = 0
    for fold in range(k):
        train = [r for i, r in enumerate(rows) if i % k != fold]
        test = [r for i, r in enumerate(rows) if i % k == fold]
        model = fit(train, featurize, labels, c)
        correct += round(accuracy(model, test, featurize) * len(test))
    return correct / len(rows)


def urgent_rows() -> list[tuple[str, str]]:
    """Return the emergency training rows: every urgent-*.tsv, and ordinary messages as none.

    Emergencies are repeated so that both sides weigh alike (there are many more ordinary
    messages than emergencies).
    """
    rows = [
        ("none" if label == "none" else "urgent", text)
        for path in sorted(data_path("").glob("urgent-*.tsv"))
        for label, text in read_tsv(path)
    ]
    ordinary = [
        ("none", t)
        for f in ("topics-train.tsv", "intents-train.tsv")
        for _, t in read_tsv(data_path(f))
    ]
    return rows + [r for r in rows if r[0] == "urgent"] * 3 + ordinary


def _task(name: str) -> tuple[Featurize, list[str], str, str, float]:
    if name == "urgent":
        from nlp import urgent

        return urgent.features, ["none", "urgent"], "", "urgent.json", 5.0
    if name == "topics":
        from nlp import topics

        return topics.featurizer(), list(topics.TOPICS), "topics-train.tsv", "topics.json", 20.0
    from nlp import intents

    return intents.featurizer(), list(intents.INTENTS), "intents-train.tsv", "intents.json", 20.0


def main() -> None:
    """Train the requested models and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("task", nargs="*", default=["topics", "intents"])
    parser.add_argument("--cv", type=int, default=0, help="also report K-fold CV accuracy")
    parser.add_argument("--eval", type=Path, action="append", default=[], help="held-out TSV")
    parser.add_argument("-C", type=float, default=None, help="inverse regularisation strength")
    args = parser.parse_args()
    for task in args.task:
        featurize, labels, data_file, model_file, c = _task(task)
        c = args.C or c
        rows = urgent_rows() if task == "urgent" else read_tsv(data_path(data_file))
        model = fit(rows, featurize, labels, c)
        model.save(model_path(model_file))
        print(f"{task}: {len(rows)} examples, {len(model.weights)} features kept, C={c}")
        if args.cv:
            cv = cross_validate(rows, featurize, labels, c, args.cv)
            print(f"{task}: {args.cv}-fold cross-validated accuracy {cv:.3f}")
        for path in args.eval:
            held = [r for r in read_tsv(path) if r[0] in labels]
            if held:
                print(f"{task}: accuracy on {path.name} {accuracy(model, held, featurize):.3f}")


if __name__ == "__main__":
    main()
