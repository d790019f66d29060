"""Residents' suggestions out of the database: the export for staff and analysts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import (
    audit_export,
    fail,
    find_community_id,
    load_config,
    run_async,
)

suggestions_app = typer.Typer(help="Residents' suggestions.")


@suggestions_app.command("export")
def suggestions_export(
    format: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv",
    out: Annotated[Path | None, typer.Option(help="file to write (default: stdout)")] = None,
    community: Annotated[str | None, typer.Option(help="only this community")] = None,
    with_names: Annotated[
        bool, typer.Option("--with-names", help="include residents' names")
    ] = False,
) -> None:
    """Export suggestions as CSV or JSON lines."""
    if format not in ("csv", "jsonl"):
        fail(f"--format must be csv or jsonl, not {format!r}")

    async def main() -> None:
        from bot.files.suggestions import export_suggestions
        from storage.engine import check_connection, create_engine, session_factory
        from storage.migrate import upgrade
        from storage.scoping import Scope

        # The database alone, not open_linli(): the dispatcher's handlers and language models it
        # loads took longer than exporting the largest community.
        engine = create_engine(load_config().database.url)
        try:
            await check_connection(engine)
            await upgrade(engine)
            async with session_factory(engine, read_only=True)() as session:
                community_id = await find_community_id(session, community)
                scope = Scope.operator() if community_id is None else Scope.of(community_id)
                # Streamed to the file as rows come, not gathered first (bounded memory).
                await export_suggestions(session, scope, format, out, with_names=with_names)
            action = "export.suggestions" + (".with_names" if with_names else "")
            await audit_export(engine, action, community_id, str(out or "stdout"))
        finally:
            await engine.dispose()

    run_async(main)
