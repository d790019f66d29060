"""Talking to linli as people do: chats, one way to make staff and residents, what was stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.channels.plaintext import render
from bot.config import Config, DatabaseConfig
from handlers.types import Incoming, Reply
from storage import communities
from storage import staff as staff_store
from storage.engine import transaction
from storage.models import OutboxMessage, Resident, Suggestion


def make_config(url: str, **sections: dict) -> Config:
    """Return a config on ``url`` with some sections overridden."""
    raw = {"database": DatabaseConfig(url=url).model_dump(), **sections}
    return Config.model_validate(raw)


class Chat:
    """Say things to linli as someone, and read the replies."""

    def __init__(self, app: App, user: str, channel: str = "console") -> None:
        self.app = app
        self.user = user
        self.channel = channel

    async def say(self, text: str = "", **fields) -> list[Reply]:
        incoming = Incoming(self.channel, self.user, text, display_name=self.user, **fields)
        return await self.app.dispatcher.handle(incoming)

    async def text(self, message: str = "", **fields) -> str:
        return "\n".join(r.text for r in await self.say(message, **fields))


async def make_staff(
    app: App,
    name: str = "小王",
    channel: str = "console",
    community_id: int | None = None,
    greet: bool = False,
) -> Chat:
    """Give ``name`` staff rights (in the default community unless one is named); their chat.

    With ``greet`` they have said hello, so the privacy notice is behind them.
    """
    async with transaction(app.maker) as session:
        if community_id is None:
            community_id = (await communities.ensure_default(session)).id
        await staff_store.add(session, channel, name, community_id)
    chat = Chat(app, name, channel)
    if greet:
        await chat.say("你好")
    return chat


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
