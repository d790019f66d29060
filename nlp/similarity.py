"""How alike two suggestions are, for offering residents to join an existing one."""

from __future__ import annotations

from nlp.tokenizer import content_words

# Two suggestions of the same topic at least this alike are offered for merging.
# Chosen on the labelled pairs in tests/nlp/test_nlp.py: same-problem pairs score 0.33–0.67,
# different problems of one topic 0.1 or less.
THRESHOLD = 0.3


def terms(text: str) -> list[str]:
    """Return the comparable terms of a text: its content words and their character pairs."""
    found: set[str] = set()
    for word in content_words(text):
        found.add(word)
        if len(word) > 2:
            found.update(word[i : i + 2] for i in range(len(word) - 1))
    return sorted(found)


def similarity(a: list[str] | set[str], b: list[str] | set[str]) -> float:
    """Return the Dice coefficient of two term sets (0 = nothing shared, 1 = the same)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return 0.0
    return 2 * len(sa & sb) / (len(sa) + len(sb))
