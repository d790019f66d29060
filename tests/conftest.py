"""Fixtures: a migrated database on SQLite and on PostgreSQL, and a linli app over it."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import App, open_app
from storage.engine import create_engine
from tests.support.chat import make_config
from tests.support.databases import truncate_pg

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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A database URL, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/linli.db"
    return request.getfixturevalue("pg_server")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A SQLite database URL (for tests where the backend does not matter)."""
    return f"sqlite:///{tmp_path}/linli.db"


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    """A migrated, empty linli on each database."""
    if db_url.startswith("postgresql"):
        await truncate_pg(db_url)
    linli = await open_app(make_config(db_url))
    yield linli
    await linli.close()


@pytest.fixture
def api() -> Iterator[Any]:
    """A fake of WeChat's HTTP API on 127.0.0.1 (tests/peers/wechat_api_fake.py, no wechatpy)."""
    from tests.peers.wechat_api_fake import FakeWeChatAPI

    with FakeWeChatAPI() as fake:
        yield fake


# Folders whose tests talk to an independent peer or run linli as a real process.
_END_TO_END = ("e2e", "peers", "cli")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the end-to-end tests (``-m "not e2e"`` leaves them out of a quick run)."""
    for item in items:
        parts = item.path.relative_to(_TESTS).parts
        if parts[0] in _END_TO_END:
            item.add_marker(pytest.mark.e2e)


_TESTS = Path(__file__).resolve().parent
