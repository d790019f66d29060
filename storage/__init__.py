"""Persistence: SQLAlchemy models, queries that take a session, migrations, engine setup."""
