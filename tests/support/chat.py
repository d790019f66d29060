"""Helpers the tests share: making staff and residents, reading what linli stored and sent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.channels.plaintext import render
from storage import communities
from storage import staff as staff_store
from storage.engine import transaction
from storage.models import OutboxMessage, Resident, Suggestion
from tests.conftest import Chat


async def make_staff(app, name: str, channel: str = "console") -> Chat:
    """Give ``name`` staff rights in the default community and return their chat."""
    async with transaction(app.maker) as session:
        community = await communities.ensure_default(session)
        await staff_store.add(session, channel, name, community.id)
    return Chat(app, name, channel)


async def resident(app, name: str, **fields: Any) -> Chat:
    """Return a resident who has said hello (so they exist), with profile fields set."""
    chat = Chat(app, name)
    await chat.say("你好")
    if fields:
        async with transaction(app.maker) as session:
            me = await session.scalar(select(Resident).where(Resident.display_name == name))
            for key, value in fields.items():
                setattr(me, key, value)
    return chat


async def profile_of(app, name: str) -> Resident:
    """Return a resident's row as stored."""
    async with app.read_maker() as session:
        found = await session.scalar(select(Resident).where(Resident.display_name == name))
        assert found is not None
        return found


async def suggestions(app) -> list[Suggestion]:
    """Return every stored suggestion, in order."""
    async with app.read_maker() as session:
        return list(await session.scalars(select(Suggestion).order_by(Suggestion.id)))


async def outbox_to(app, recipient: str) -> list[OutboxMessage]:
    """Return the messages queued for someone, in order."""
    async with app.read_maker() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        return list(await session.scalars(stmt.order_by(OutboxMessage.id)))


async def shown(chat: Chat, text: str = "", **fields: Any) -> str:
    """Return what a channel without buttons shows (choices as numbers)."""
    return "\n".join(render(r) for r in await chat.say(text, **fields))
