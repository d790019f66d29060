"""Fixtures of the end-to-end tests: the Telegram Bot API emulator, and linli polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.app import App, open_app
from bot.channels.telegram.channel import TelegramChannel
from bot.config import TelegramConfig
from tests.peers.telegram_peer import TOKEN, Peer
from tests.support.chat import make_config


@pytest.fixture
def peer() -> Iterator[Peer]:
    running = Peer()
    yield running
    running.close()


@pytest.fixture
async def linli(peer: Peer, db_url: str) -> AsyncIterator[tuple[App, TelegramChannel]]:
    from tests.support.databases import truncate_pg

    if db_url.startswith("postgresql"):
        await truncate_pg(db_url)
    app = await open_app(make_config(db_url))
    # One message a second to a chat is Telegram's rule; the emulator has none, and a test
    # that waited a second per reply would mostly wait (the limiter has its own tests).
    config = TelegramConfig(
        token=TOKEN, base_url=peer.bot_url, poll_timeout=0, rate_per_chat=30, rate_per_second=1000
    )
    channel = TelegramChannel(app, config)
    channel.inbox.retry_seconds = 0.05  # a chat whose send failed tries again soon
    await channel.start()
    yield app, channel
    await channel.stop()
    await app.close()
