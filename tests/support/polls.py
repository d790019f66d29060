"""Polls for tests: a poll made as staff would, residents to answer it, the answers stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.channels.plaintext import render
from handlers.polls.specs import read_spec, to_rows
from storage import communities
from storage import polls as store
from storage.engine import transaction
from storage.models import PollAnswer, PollQuestion, PollResponse, Resident
from tests.support import ZONE
from tests.support.chat import Chat

NOW = datetime(2025, 11, 3, 10, 0, tzinfo=ZONE)  # a Monday morning


WEEK = timedelta(days=7)


RATING = {"text": "您对现在的服务中心满意吗?", "kind": "rating"}


async def make_poll(
    app,
    questions: list[dict[str, Any]],
    *,
    title: str = "服务中心二楼做什么",
    at: datetime = NOW,
    closes: datetime | None = None,
    community_id: int | None = None,
    **fields: Any,
) -> tuple[int, list[int]]:
    """Store a poll as a definition is read (read_spec, to_rows); return its id and questions'."""
    raw = {"title": title, "closes": closes or at + WEEK, "question": questions, **fields}
    if community_id is None:
        community_id = await community(app)
    poll, rows = to_rows(read_spec(raw), community_id, ZONE, at, "console:小王")
    async with transaction(app.maker) as session:
        await store.create(session, poll, rows)
        return poll.id, [q.id for q in rows]


async def resident(
    app, name: str, channel: str = "console", at: datetime = NOW, **fields: Any
) -> Person:
    """A resident who has said hello (joined, privacy notice read), with some fields set."""
    person = Person(app, name, channel, at)
    await person.say("你好", start_payload="c-default")
    if fields:
        async with transaction(app.maker) as session:
            me = await session.scalar(select(Resident).where(Resident.display_name == name))
            for key, value in fields.items():
                setattr(me, key, value)
    return person


async def answers_of(app, poll_id: int, name: str) -> dict[int, tuple]:
    """A resident's answers by question position: (choices, rating, text, skipped)."""
    async with app.read_maker() as session:
        rows = await session.execute(
            select(PollQuestion.position, PollAnswer)
            .join(PollAnswer, PollAnswer.question_id == PollQuestion.id)
            .join(PollResponse, PollResponse.id == PollAnswer.response_id)
            .join(Resident, Resident.id == PollResponse.resident_id)
            .where(PollResponse.poll_id == poll_id, Resident.display_name == name)
        )
        return {p: (list(a.choices), a.rating, a.text, a.skipped) for p, a in rows}


SKIPPING = [
    {"text": "您家有车吗?", "options": ["有", "没有"]},
    {
        "text": "车停在哪里?",
        "options": ["地下车库", "路边"],
        "skip_if": {"question": 1, "option": 2},
    },
    RATING,
]


class Person(Chat):
    """A Chat whose messages arrive at ``at`` (the dispatcher's "now")."""

    def __init__(self, app, user: str, channel: str = "console", at: datetime = NOW) -> None:
        super().__init__(app, user, channel)
        self.at = at

    async def say(self, text: str = "", **fields):
        fields.setdefault("received_at", self.at)
        return await super().say(text, **fields)

    async def shown(self, text: str = "", **fields) -> str:
        """What the person reads on a channel without buttons (choices as numbers)."""
        return "\n".join(render(r) for r in await self.say(text, **fields))

    async def buttons(self, text: str = "", **fields) -> tuple[str, list[str]]:
        """The replies' text and the payloads of their buttons."""
        replies = await self.say(text, **fields)
        data = [b.data for r in replies for row in r.buttons for b in row]
        return "\n".join(r.text for r in replies), data


async def community(app, slug: str = "default", name: str = "阳光花园") -> int:
    async with transaction(app.maker) as session:
        if slug == "default":
            return (await communities.ensure_default(session, name)).id
        return (await communities.add(session, slug, name)).id
