"""Storage basics on both databases: aware timestamps, SQLite pragmas, concurrent writers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from storage import communities, suggestions
from storage.engine import DatabaseUnavailable, create_engine, normalize_url, transaction
from storage.models import Suggestion


async def test_timestamps_come_back_aware_in_utc(app) -> None:
    shanghai = timezone(timedelta(hours=8))
    moment = datetime(2026, 11, 25, 8, 0, tzinfo=shanghai)
    async with transaction(app.maker) as session:
        created = await suggestions.create(
            session,
            community_id=1,
            channel="console",
            text="x",
            topic="other",
            confidence=0.1,
            created_at=moment,
        )
        number = created.id
    async with app.read_maker() as session:
        found = await session.get(Suggestion, number)
    assert found.created_at == moment and found.created_at.tzinfo is not None
    assert found.created_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(app) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with transaction(app.maker) as session:
            await suggestions.create(
                session,
                community_id=1,
                channel="console",
                text="x",
                topic="other",
                confidence=0.1,
                created_at=datetime(2026, 1, 1),
            )


async def test_concurrent_writers_do_not_lose_updates(app) -> None:
    async def write(i: int) -> None:
        async with transaction(app.maker) as session:
            await suggestions.create(
                session,
                community_id=1,
                channel="console",
                text=f"t{i}",
                topic="other",
                confidence=0.1,
            )

    await asyncio.gather(*(write(i) for i in range(30)))
    async with app.read_maker() as session:
        assert await session.scalar(select(func.count()).select_from(Suggestion)) == 30


async def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 10000
    finally:
        await engine.dispose()


def test_urls_are_mapped_to_async_drivers() -> None:
    assert normalize_url("sqlite:///var/x.db").startswith("sqlite+linli_aiosqlite:")
    assert normalize_url("postgresql://u@h/db").startswith("postgresql+asyncpg:")
    with pytest.raises(DatabaseUnavailable, match="supports sqlite"):
        normalize_url("mysql://u@h/db")
    with pytest.raises(DatabaseUnavailable, match="not a valid database URL"):
        normalize_url("::nonsense::")


async def test_community_slugs_are_checked(app) -> None:
    async with transaction(app.maker) as session:
        with pytest.raises(communities.InvalidSlug):
            await communities.add(session, "Has Spaces", "x")


async def test_psycopg_driver_works_too(pg_server: str) -> None:
    from bot.app import open_app
    from tests.support.chat import Chat, make_config
    from tests.support.databases import truncate_pg

    await truncate_pg(pg_server)
    url = pg_server.replace("postgresql://", "postgresql+psycopg://")
    app = await open_app(make_config(url))
    try:
        assert "编号 1" in await Chat(app, "甲").text("楼道灯坏了")
    finally:
        await app.close()
