"""Turn a message into the sparse binary features both classifiers use."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from itertools import pairwise

from nlp.resources import data_path
from nlp.tokenizer import compact, normalize, words


def load_lexicon(name: str) -> dict[str, list[str]]:
    """Load a ``label = [keywords]`` TOML lexicon shipped in ``nlp/data``."""
    with data_path(name).open("rb") as fh:
        raw = tomllib.load(fh)
    return {label: [normalize(k) for k in keywords] for label, keywords in raw.items()}


@dataclass(frozen=True)
class Features:
    """The features of one message, and the words and lexicon hits behind them."""

    names: frozenset[str]
    words: tuple[str, ...]
    hits: tuple[tuple[str, str], ...]  # (label, keyword) for each lexicon match


class Featurizer:
    """Words, word pairs, character n-grams, lexicon hits and pattern cues of a message."""

    def __init__(
        self,
        lexicon: dict[str, list[str]],
        patterns: dict[str, str] | None = None,
        *,
        pairs: bool = False,
        char_ngrams: tuple[int, ...] = (2, 3),
    ) -> None:
        """Compile the lexicon into one alternation and the named cue patterns.

        With ``pairs``, every two lexicon labels (and patterns) seen together also make a
        feature, so a linear model can tell "cancel + activity" from "cancel + meal".
        """
        self._pairs = pairs
        self._char_ngrams = char_ngrams
        self._label_of: dict[str, list[str]] = {}
        for label, keywords in lexicon.items():
            for keyword in keywords:
                self._label_of.setdefault(keyword, []).append(label)
        # Longest keywords first so "停车位" wins over "停车" at the same position.
        alternation = "|".join(
            re.escape(k) for k in sorted(self._label_of, key=len, reverse=True) if k
        )
        self._lexicon_re = re.compile(alternation) if alternation else None
        self._patterns = [(name, re.compile(p)) for name, p in (patterns or {}).items()]

    def __call__(self, text: str) -> Features:
        """Extract the features of ``text``."""
        norm = normalize(text)
        tokens = words(norm)
        chars = compact(norm)
        names: set[str] = {"w:" + t for t in tokens}
        names.update("b:" + a + "|" + b for a, b in pairwise(tokens))
        for n in self._char_ngrams:
            names.update(["c:" + chars[i : i + n] for i in range(len(chars) - n + 1)])
        hits: list[tuple[str, str]] = []
        if self._lexicon_re is not None:
            for match in self._lexicon_re.finditer(norm):
                keyword = match.group()
                for label in self._label_of[keyword]:
                    hits.append((label, keyword))
                    names.add("l:" + label)
        cues = {label for label, _ in hits}
        for name, pattern in self._patterns:
            if pattern.search(norm):
                names.add("p:" + name)
                cues.add(name)
        if self._pairs:
            ordered = sorted(cues)
            names.update(
                "x:" + a + "+" + b for i, a in enumerate(ordered) for b in ordered[i + 1 :]
            )
        names.add("n:" + _length_bucket(len(chars)))
        return Features(frozenset(names), tokens, tuple(hits))


def _length_bucket(n: int) -> str:
    if n <= 4:
        return "tiny"
    if n <= 10:
        return "short"
    if n <= 40:
        return "medium"
    return "long"
