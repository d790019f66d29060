"""The test databases: emptying a PostgreSQL database between tests (SQLite files are new)."""

from __future__ import annotations

from sqlalchemy import text

from storage.engine import create_engine


async def truncate_pg(url: str) -> None:
    """Empty every table but the migrations' record, and restart the numbering."""
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
