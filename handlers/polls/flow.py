"""Where one respondent stands in a poll, and how a question is put to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.polls.rules import (
    Answer,
    Kept,
    applies,
    describe_answer,
    how_to_answer,
    labels,
    next_question,
    no_longer_asked,
)
from handlers.types import Button, Reply
from storage import polls as store
from storage.models import Poll, PollAnswer, PollQuestion, PollResponse, QuestionKind, Resident

KIND_NAMES = {QuestionKind.RATING: "评分", QuestionKind.TEXT: "填空"}


@dataclass
class Progress:
    """A poll's questions, and the response (if any) of the resident or their household."""

    poll: Poll
    questions: list[PollQuestion]
    response: PollResponse | None
    answers: dict[int, PollAnswer] = field(default_factory=dict)  # by question id

    @property
    def kept(self) -> dict[int, Kept]:
        """Return the answers by question position, in the form the rules read."""
        positions = {q.id: q.position for q in self.questions}
        return {
            positions[a.question_id]: Kept(list(a.choices), a.rating, a.text, a.skipped)
            for a in self.answers.values()
            if a.question_id in positions
        }

    @property
    def next(self) -> PollQuestion | None:
        """Return the first question still to answer."""
        return next_question(self.questions, self.kept)

    @property
    def complete(self) -> bool:
        """Tell whether the response was completed."""
        return self.response is not None and self.response.completed_at is not None

    def may_change(self, question_id: int) -> bool:
        """Tell whether a question of this poll is answered, or asked given the answers."""
        question = self.question(question_id)
        if question is None:
            return False
        kept = self.kept
        return question.position in kept or applies(question, kept)

    def question(self, question_id: int) -> PollQuestion | None:
        """Return one of this poll's questions by id."""
        return next((q for q in self.questions if q.id == question_id), None)

    async def keep(
        self, session: AsyncSession, question: PollQuestion, answer: Answer, now: datetime
    ) -> None:
        """Keep an answer; forget those it makes skipped; reopen the response if it has a gap."""
        assert self.response is not None
        await store.save_answer(
            session,
            self.response,
            question.id,
            now,
            choices=answer.choices,
            rating=answer.rating,
            text=answer.text,
            skipped=answer.skipped,
        )
        self.answers = await store.answers(session, self.response.id)
        dropped = no_longer_asked(self.questions, self.kept)
        if dropped:
            await store.drop_answers(session, self.response.id, dropped)
            self.answers = {k: v for k, v in self.answers.items() if k not in dropped}
        if self.response.completed_at is not None and self.next is not None:
            # A changed answer opened a question not answered yet: complete it first.
            self.response.completed_at = None

    async def finish(self, now: datetime) -> None:
        """Mark the response complete (once)."""
        assert self.response is not None
        if self.response.completed_at is None:
            self.response.completed_at = now

    def summary(self) -> list[str]:
        """Return the answers in words, one line per question answered."""
        kept = self.kept
        return [
            f"{q.position}. {q.text} → {describe_answer(q, kept[q.position])}"
            for q in self.questions
            if q.position in kept
        ]


async def load_progress(
    session: AsyncSession,
    poll: Poll,
    resident: Resident | None,
    *,
    create: bool,
    now: datetime | None = None,
) -> Progress | None:
    """Return where a resident stands in a poll, starting their response if ``create``.

    None when the resident is unknown, or a household poll does not know their household.
    """
    if resident is None:
        return None
    respondent = store.respondent_key(poll, resident)
    if respondent is None:
        return None
    questions = await store.questions(session, poll.id)
    response = await store.response_of(session, poll.id, resident.id, respondent)
    if response is None and create:
        assert now is not None
        response = await store.start(session, poll.id, resident.id, respondent, now)
    if response is not None and create:
        # Answering: its answers are read and changed under the lock, so two taps at once
        # cannot keep an answer that the other one's skip rule removes.
        response = await store.lock_response(session, response)
    answers = await store.answers(session, response.id) if response is not None else {}
    return Progress(poll, questions, response, answers)


def question_reply(
    poll: Poll,
    progress: Progress,
    question: PollQuestion,
    channel: str,
    picked: list[int],
    lead: list[str] | None = None,
) -> Reply:
    """Put one question: progress, its text, and its choices (buttons, or numbers to type)."""
    total = len(progress.questions)
    kind = KIND_NAMES.get(QuestionKind(question.kind), "单选")
    if question.kind == QuestionKind.CHOICE and question.max_choices > 1:
        kind = f"可多选,最多 {min(question.max_choices, len(labels(question)))} 项"
    optional = "" if question.required else ",可不答"
    lines = [*(lead or []), f"第 {question.position}/{total} 题({kind}{optional})", question.text]
    before = progress.kept.get(question.position)
    if before is not None:
        lines.append(f"(原来的回答:{describe_answer(question, before)})")
    base = f"{poll.id}:{question.id}"
    rows: list[tuple[Button, ...]] = []
    names = labels(question)
    if question.kind == QuestionKind.CHOICE and question.max_choices > 1:
        if channel == "telegram":  # tap to tick, then 选好了
            rows = [
                (Button(("✓ " if n in picked else "") + name, f"pt:{base}:{n}"),)
                for n, name in enumerate(names, 1)
            ]
            rows.append((Button("选好了", f"pd:{base}"),))
            if picked:
                lines.append("已选:" + "、".join(names[n - 1] for n in picked))
            lines.append("点选项打勾,选好后点“选好了”;也可以直接回复编号,如“1 3”。")
        else:
            lines += [f"{n}. {name}" for n, name in enumerate(names, 1)]
            lines.append(how_to_answer(question))
    elif question.kind == QuestionKind.CHOICE:
        rows = [(Button(name, f"pa:{base}:{n}"),) for n, name in enumerate(names, 1)]
    elif question.kind == QuestionKind.RATING:
        rows = [tuple(Button(f"{n}分", f"pa:{base}:{n}") for n in range(1, 6))]
        lines.append("5 分最满意,1 分最不满意。")
    else:
        lines.append(how_to_answer(question))
    if not question.required and rows:
        rows.append((Button("跳过", f"ps:{base}"),))
    return Reply("\n".join(lines), tuple(rows))
