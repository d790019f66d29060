"""Processes starting at once migrate in turn; --no-migrate refuses a schema not at the newest."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import NotMigrated, open_app
from storage.engine import create_engine
from storage.migrate import is_current, upgrade
from tests.conftest import PG_ADMIN_URL
from tests.support.chat import make_config
from tests.support.cli import LINLI


@pytest.fixture
async def empty_pg(pg_server: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database (the shared one is migrated already)."""
    name = f"linli_empty_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def _upgrade(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _four_processes_upgrade(url: str, cwd: Path) -> list[tuple[int, str]]:
    """Run ``linli db upgrade`` in four processes at once; return each exit code and stderr."""
    env = {**os.environ, "LINLI_DATABASE_URL": url, "PYTHONIOENCODING": "utf-8"}
    processes = [
        await asyncio.create_subprocess_exec(
            *LINLI, "db", "upgrade", cwd=cwd, env=env, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(4)
    ]
    done = []
    for process in processes:
        _, err = await process.communicate()
        done.append((process.returncode or 0, err.decode(errors="replace")[-300:]))
    return done


async def _current(url: str) -> bool:
    engine = create_engine(url)
    try:
        return await is_current(engine)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_four_processes_migrating_an_empty_postgresql_at_once(empty_pg, tmp_path) -> None:
    done = await _four_processes_upgrade(empty_pg, tmp_path)
    assert [code for code, _ in done] == [0, 0, 0, 0], done
    assert await _current(empty_pg)


async def test_four_processes_migrating_a_new_sqlite_file_at_once(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/linli.db"
    done = await _four_processes_upgrade(url, tmp_path)
    assert [code for code, _ in done] == [0, 0, 0, 0], done
    assert await _current(url)


async def test_no_migrate_refuses_a_database_that_needs_migrating(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/linli.db"
    with pytest.raises(NotMigrated, match="linli db upgrade"):
        await open_app(make_config(url), migrate=False)
    await _upgrade(url)
    linli = await open_app(make_config(url), migrate=False)  # at the newest schema: starts
    await linli.close()
