"""The migrations build exactly the schema the models describe (on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

# The package imports every module that declares tables: the same metadata the migrations see.
from storage.models import Base


async def test_migrations_match_the_models(app) -> None:
    def differences(connection) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with app.engine.connect() as conn:
        found = await conn.run_sync(differences)
    assert found == []


async def test_upgrading_a_populated_database_keeps_every_row(db_url: str) -> None:
    from sqlalchemy import text

    from storage.engine import create_engine
    from storage.migrate import upgrade
    from tests.support.databases import truncate_pg

    engine = create_engine(db_url)
    try:
        if db_url.startswith("postgresql"):
            await truncate_pg(db_url)
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(engine, "0010")
        async with engine.begin() as conn:
            for statement in (
                "INSERT INTO communities (id, slug, name, created_at)"
                " VALUES (1, 'c', 'C', '2026-01-01')",
                "INSERT INTO residents (id, community_id, display_name, delivery_eligible, tags,"
                " consents, active, created_at) VALUES (7, 1, '张', false,"
                " '[\"老人\", \"老人\", \"志愿者\"]', '{}', true, '2026-01-01')",
                "INSERT INTO channel_accounts (resident_id, channel, external_id, created_at)"
                " VALUES (7, 'telegram', '42', '2026-01-01')",
            ):
                await conn.execute(text(statement))
        await upgrade(engine)
        async with engine.connect() as conn:
            accounts = (await conn.execute(text("SELECT count(*) FROM channel_accounts"))).scalar()
            tags = (await conn.execute(text("SELECT tag FROM resident_tags ORDER BY tag"))).all()
        assert accounts == 1  # not lost to a copied-and-dropped residents table
        assert [t for (t,) in tags] == ["志愿者", "老人"]
    finally:
        await engine.dispose()
