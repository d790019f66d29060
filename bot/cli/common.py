"""What every command-line area shares.

The config, opening linli, communities by slug, errors for the operator, who runs the command,
and the record of what left the database.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

Result = TypeVar("Result")
# The --config given to the root command; every area reads the config through load_config().
state: dict[str, Any] = {"config_path": None}

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config file (default: ./linli.toml)")
]


def cli_actor() -> str:
    """Return who runs the command line, for the audit log (``cli:operating-system-user``)."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment (a container without one)
        return "cli"


async def audit_export(
    engine_or_maker: Any, action: str, community_id: int | None, target: str
) -> None:
    """Record that personal data left the database by the command line."""
    from sqlalchemy.ext.asyncio import AsyncEngine

    from storage import audit
    from storage.engine import session_factory, transaction

    maker = (
        session_factory(engine_or_maker)
        if isinstance(engine_or_maker, AsyncEngine)
        else engine_or_maker
    )
    async with transaction(maker) as session:
        await audit.record(session, cli_actor(), action, community_id=community_id, target=target)


def fail(message: str, code: int = 2) -> None:
    """Print an error for the operator and exit non-zero."""
    print(f"linli: error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def check_table_format(format: str, out: Path | None) -> None:
    """Refuse a table export's --format other than csv/xlsx, and xlsx without --out."""
    if format not in ("csv", "xlsx"):
        fail(f"--format must be csv or xlsx, not {format!r}")
    if format == "xlsx" and out is None:
        fail("--format xlsx needs --out FILE")


def run_async(make: Callable[[], Coroutine[Any, Any, Result]]) -> Result:
    """Run a coroutine, turning config and database problems into clear errors."""
    from bot.app import NotMigrated
    from bot.config import ConfigError
    from storage.communities import InvalidSlug
    from storage.engine import DatabaseUnavailable

    try:
        return asyncio.run(make())
    except (
        ConfigError,
        DatabaseUnavailable,
        InvalidSlug,
        NotMigrated,
        ValueError,
        OSError,
    ) as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def load_config() -> Any:
    """Load the config named by --config (or ./linli.toml, or the defaults)."""
    from bot.config import load

    return load(state["config_path"])


async def open_linli(create_default: bool = True, migrate: bool = True) -> Any:
    """Open linli on the configured database, with logging set up for a command."""
    import logging

    from bot.app import open_app

    config = load_config()
    logging.basicConfig(
        level=config.log.level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Request logs hold secrets in their URLs: a Bot API URL holds the bot's token (httpx logs
    # it at INFO), a WeChat API URL its access token (wechatpy and urllib3, at DEBUG).
    for noisy in ("apscheduler", "alembic", "httpx", "wechatpy", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return await open_app(config, create_default=create_default, migrate=migrate)


async def find_community(session: Any, slug: str) -> Any:
    """Return the community with ``slug``; an unknown slug is an error for the operator."""
    from storage import communities

    found = await communities.get_by_slug(session, slug)
    if found is None:
        raise ValueError(f"no community with slug {slug!r}")
    return found


async def community_or_default_id(session: Any, slug: str | None, create: bool = True) -> int:
    """Return the id of the community named, or of the one community a small deployment has.

    With several communities and none named, that is an error: acting on whichever came first
    would touch the wrong residents.
    """
    from storage import communities

    found = await find_community_id(session, slug)
    if found is not None:
        return found
    every = await communities.list_all(session)
    if len(every) > 1:
        slugs = ", ".join(c.slug for c in every[:10]) + (", …" if len(every) > 10 else "")
        raise ValueError(f"there are {len(every)} communities: give --community SLUG ({slugs})")
    if every:
        return every[0].id
    if not create:
        raise ValueError("there is no community yet")
    return (await communities.ensure_default(session)).id


async def find_community_id(session: Any, slug: str | None) -> int | None:
    """Return the id of the community with ``slug`` (None for None)."""
    return None if slug is None else (await find_community(session, slug)).id
