"""Fixtures: a migrated database on SQLite and on PostgreSQL, and a linli app over it."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import App, open_app
from bot.config import Config, DatabaseConfig
from handlers.types import Incoming, Reply
from storage.engine import create_engine

PG_ADMIN_URL = os.environ.get("LINLI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
_pg_problem: str | None = None


def _pg_reachable() -> str | None:
    """Return why PostgreSQL cannot be used, or None when it can."""

    async def probe() -> None:
        engine = create_engine(PG_ADMIN_URL)
        try:
            async with asyncio.timeout(5), engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({type(exc).__name__})"
    return None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Create a scratch PostgreSQL database for this test run; drop it afterwards."""
    problem = _pg_reachable()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}; under CI=true PostgreSQL is required")
        pytest.skip(problem)
    name = f"linli_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        engine = create_engine(PG_ADMIN_URL)
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(sql))
        finally:
            await engine.dispose()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            names = (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                        "AND tablename <> 'alembic_version'"
                    )
                )
            ).scalars()
            tables = ", ".join(f'"{n}"' for n in names)
            if tables:
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/linli.db"
    return request.getfixturevalue("pg_server")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A SQLite database URL (for tests where the backend does not matter)."""
    return f"sqlite:///{tmp_path}/linli.db"


def make_config(url: str, **sections: dict) -> Config:
    """Return a config on ``url`` with some sections overridden."""
    raw = {"database": DatabaseConfig(url=url).model_dump(), **sections}
    return Config.model_validate(raw)


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    """A migrated, empty linli on each database."""
    if db_url.startswith("postgresql"):
        await _truncate_pg(db_url)
    linli = await open_app(make_config(db_url))
    yield linli
    await linli.close()


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


@pytest.fixture
def api() -> Iterator[Any]:
    """A fake of WeChat's HTTP API on 127.0.0.1 (tests/peers/wechat_api_fake.py, no wechatpy)."""
    from tests.peers.wechat_api_fake import FakeWeChatAPI

    with FakeWeChatAPI() as fake:
        yield fake
