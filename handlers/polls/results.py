"""Results of a poll: counts and percentages, ratings, free text grouped by topic, a chart.

Counted from complete responses only (a questionnaire left half-way is not a response). The
response rate is against the audience as it stands: residents, or households when a household
answers once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.charts import Bar, Chart, Panel
from handlers.polls.rules import OTHER_LABEL, labels
from nlp.tokenizer import content_words
from nlp.topics import TOPICS, classify
from storage.models import Poll, PollQuestion, QuestionKind

# Free-text answers shown per topic group, and the most frequent words listed.
EXAMPLES_PER_GROUP = 3
TOP_WORDS = 8
# Residents see a word from others' free text only if this many answers hold it.
SHARED_BY = 3


@dataclass
class QuestionResult:
    """The tally of one question."""

    question: PollQuestion
    answered: int = 0
    counts: list[int] = field(default_factory=list)  # per option, "其他" last
    ratings: list[int] = field(default_factory=lambda: [0] * 5)  # how many gave 1…5
    texts: list[str] = field(default_factory=list)  # free text, and the words for "其他"

    @property
    def mean(self) -> float | None:
        """Return the mean rating (None if nobody rated)."""
        given = sum(self.ratings)
        return sum(n * (i + 1) for i, n in enumerate(self.ratings)) / given if given else None


def tally(
    questions: Sequence[PollQuestion], rows: Sequence[tuple[int, list[Any], int | None, str, bool]]
) -> list[QuestionResult]:
    """Count the answers (question id, choices, rating, text, skipped) of complete responses."""
    results = {q.id: QuestionResult(q, counts=[0] * len(labels(q))) for q in questions}
    for question_id, choices, rating, text, skipped in rows:
        result = results.get(question_id)
        if result is None or skipped:
            continue
        result.answered += 1
        for number in choices:
            if 1 <= int(number) <= len(result.counts):
                result.counts[int(number) - 1] += 1
        if rating is not None and 1 <= rating <= 5:
            result.ratings[rating - 1] += 1
        if text:
            result.texts.append(text)
    return [results[q.id] for q in questions]


def _percent(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.0f}%" if whole else "0%"


def group_texts(texts: Sequence[str]) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Group free-text answers by topic (largest first) and return the most frequent words."""
    groups: dict[str, list[str]] = {}
    for text in texts:
        groups.setdefault(classify(text).topic, []).append(text)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0] == "other"))
    words = Counter(w for text in texts for w in set(content_words(text)) if len(w) > 1)
    return [(TOPICS[t], items) for t, items in ordered], [
        w for w, _ in words.most_common(TOP_WORDS)
    ]


def results_text(
    poll: Poll,
    results: Sequence[QuestionResult],
    completed: int,
    audience: int,
    verbatim: bool = True,
) -> str:
    """Return the results in words, as staff (``verbatim``) or residents read them in chat.

    Residents read what others wrote only as topics and common words, never word for word.
    """
    unit = "户" if poll.per_household else "人"
    lines = [
        f"【结果】{poll.title}",
        f"共 {completed} {unit}填写,应答率 {_percent(completed, audience)}"
        f"({completed}/{audience} {unit})。",
    ]
    several = len(results) > 1
    for result in results:
        q = result.question
        lines.append("")
        lines.append(f"{'第 ' + str(q.position) + ' 题:' if several else ''}{q.text}")
        if q.kind == QuestionKind.CHOICE:
            if q.max_choices > 1:
                lines.append(f"(可多选,{result.answered} {unit}作答)")
            for label, count in zip(labels(q), result.counts, strict=True):
                lines.append(f"· {label}:{count}({_percent(count, result.answered)})")
            others = result.texts if q.other and verbatim else []
            if others:
                lines.append(f"  “{OTHER_LABEL}”写的:" + ";".join(others[:5]))
        elif q.kind == QuestionKind.RATING:
            mean = result.mean
            shown = f"平均 {mean:.1f} 分" if mean is not None else "还没有人评分"
            lines.append(f"{shown},{sum(result.ratings)} {unit}评分")
            lines.append(" ".join(f"{i}分:{n}" for i, n in enumerate(result.ratings, 1)))
        else:
            lines.extend(_text_lines(result.texts, verbatim))
    return "\n".join(lines)


def _text_lines(texts: Sequence[str], verbatim: bool) -> list[str]:
    if not texts:
        return ["还没有人填写。"]
    groups, words = group_texts(texts)
    lines = [f"{len(texts)} 条意见,按话题:"]
    for topic, items in groups:
        shown = ":" + ";".join(t[:40] for t in items[:EXAMPLES_PER_GROUP]) if verbatim else ""
        lines.append(f"· {topic}({len(items)} 条){shown}")
    if not verbatim:  # residents: only words several people wrote, never one person's words
        words = _shared_words(texts)
    if words:
        lines.append("常见词:" + "、".join(words))
    return lines


def _shared_words(texts: Sequence[str]) -> list[str]:
    """Return the common words written by at least SHARED_BY answers (none below SHARED_BY)."""
    counts = Counter(w for text in texts for w in set(content_words(text)) if len(w) > 1)
    return [w for w, n in counts.most_common(TOP_WORDS) if n >= SHARED_BY]


def chart_of(
    poll: Poll, results: Sequence[QuestionResult], completed: int, audience: int
) -> Chart | None:
    """Return the bar chart of the choice and rating questions (None if there are none)."""
    unit = "户" if poll.per_household else "人"
    panels = []
    for result in results:
        q = result.question
        if q.kind == QuestionKind.CHOICE:
            bars = tuple(
                Bar(label, count, f"{count} {unit}({_percent(count, result.answered)})")
                for label, count in zip(labels(q), result.counts, strict=True)
            )
            caption = f"可多选,{result.answered} {unit}作答" if q.max_choices > 1 else ""
        elif q.kind == QuestionKind.RATING:
            bars = tuple(Bar(f"{i} 分", n, f"{n} {unit}") for i, n in enumerate(result.ratings, 1))
            mean = result.mean
            caption = f"平均 {mean:.1f} 分" if mean is not None else "还没有人评分"
        else:
            continue
        title = f"{q.position}. {q.text}" if len(results) > 1 else q.text
        panels.append(Panel(title, bars, caption))
    if not panels:
        return None
    subtitle = f"{completed} {unit}填写,应答率 {_percent(completed, audience)}"
    return Chart(poll.title, subtitle, tuple(panels))
