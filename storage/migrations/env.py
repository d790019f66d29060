"""Alembic environment: linli passes a live connection in ``config.attributes``."""

from alembic import context

from storage.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - linli always passes one
    raise RuntimeError("run migrations with `linli db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copy; keep every migration batch-safe
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
