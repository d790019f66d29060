"""The migrations build exactly the schema the models describe (on SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

# Every module that declares tables, so that the metadata is whole.
from storage import activity_models, broadcast_models, canteen_models  # noqa: F401
from storage.models import Base


async def test_migrations_match_the_models(app) -> None:
    def differences(connection) -> list:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with app.engine.connect() as conn:
        found = await conn.run_sync(differences)
    assert found == []
