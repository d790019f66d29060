"""What every command-line area shares: who runs it, and the record of what left the database."""

from __future__ import annotations

from typing import Any


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
