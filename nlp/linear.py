"""A multinomial linear model over sparse binary features, scored in pure Python."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Prediction:
    """The best label and its probability."""

    label: str
    confidence: float


class LinearModel:
    """Softmax over ``bias + Σ weights[f] / sqrt(n)`` for the binary features present.

    The weights come from a logistic regression trained offline on L2-normalised binary
    vectors (``nlp/train.py``), so scoring needs no ML library at run time.
    """

    def __init__(
        self, labels: list[str], bias: list[float], weights: dict[str, list[float]]
    ) -> None:
        """Hold the labels, their biases and each feature's weight per label."""
        self.labels = labels
        self.bias = bias
        self.weights = {f: tuple(w) for f, w in weights.items()}

    @classmethod
    def load(cls, path: Path) -> LinearModel:
        """Load a model written by ``save``."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(raw["labels"], raw["bias"], raw["weights"])

    def save(self, path: Path) -> None:
        """Write the model as compact, diff-friendly JSON (one feature per line)."""
        lines = [
            "{",
            f'"labels": {json.dumps(self.labels)},',
            f'"bias": {json.dumps([round(b, 4) for b in self.bias])},',
            '"weights": {',
        ]
        items = sorted(self.weights.items())
        for i, (feature, w) in enumerate(items):
            comma = "," if i < len(items) - 1 else ""
            row = json.dumps([round(x, 4) for x in w])
            lines.append(f"{json.dumps(feature, ensure_ascii=False)}: {row}{comma}")
        lines += ["}", "}"]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def scores(self, features: frozenset[str]) -> list[float]:
        """Return the raw score of every label for a feature set."""
        rows = list(filter(None, map(self.weights.get, features)))
        if not rows:
            return list(self.bias)
        scale = 1.0 / math.sqrt(len(features))
        # Column sums of the present features' weight rows, all in C (map/zip/sum).
        sums = map(sum, zip(*rows, strict=True))
        return [b + scale * s for b, s in zip(self.bias, sums, strict=True)]

    def predict(self, features: frozenset[str]) -> Prediction:
        """Return the most probable label for a feature set."""
        scores = self.scores(features)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        # exp(top - top) = 1: the best label's probability is 1 / total.
        return Prediction(self.labels[scores.index(top)], 1.0 / total)

    def weight(self, feature: str, label_index: int) -> float:
        """Return one feature's weight for one label (0 for unknown features)."""
        row = self.weights.get(feature)
        return row[label_index] if row is not None else 0.0
