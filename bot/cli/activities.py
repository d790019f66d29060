"""Community activities in and out of files: import a programme, export a roster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot import terminal
from bot.cli.common import (
    audit_export,
    check_table_format,
    cli_actor,
    community_or_default_id,
    fail,
    open_linli,
    run_async,
)

events_app = typer.Typer(help="Community activities.")


@events_app.command("import")
def events_import(
    file: Annotated[Path, typer.Argument(help="a .toml ([[activity]] tables) or .csv file")],
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
) -> None:
    """Import activities (all or nothing: a bad row names itself and nothing is imported)."""

    async def main() -> list[str]:
        from zoneinfo import ZoneInfo

        from bot.files.activities import import_specs, read_specs
        from storage import audit
        from storage.engine import transaction

        specs = read_specs(file)
        linli = await open_linli(create_default=community is None)
        try:
            async with transaction(linli.maker) as session:
                community_id = await community_or_default_id(session, community)
                zone = ZoneInfo(linli.config.community.timezone)
                created = await import_specs(session, community_id, specs, zone)
                await audit.record(
                    session, cli_actor(), "activity.import", community_id=community_id
                )
                return [f"#{a.id} {a.title}" for a in created]
        finally:
            await linli.close()

    if not file.exists():
        fail(f"{file} does not exist")
    for line in run_async(main):
        print(f"imported {line}")


@events_app.command("export")
def events_export(
    activity_id: Annotated[int, typer.Argument(help="the activity's number")],
    format: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
    out: Annotated[Path | None, typer.Option(help="file to write (csv: default stdout)")] = None,
) -> None:
    """Export an activity's sign-ups with check-in codes."""
    check_table_format(format, out)

    async def main() -> bytes | str:
        from zoneinfo import ZoneInfo

        from bot.files.activities import roster_rows, write_roster
        from storage import activities

        linli = await open_linli(create_default=False)
        try:
            async with linli.read_maker() as session:
                activity = await activities.get(session, activity_id)
                if activity is None:
                    raise ValueError(f"there is no activity #{activity_id}")
                zone = ZoneInfo(linli.config.community.timezone)
                rows = await roster_rows(session, activity_id, zone)
            await audit_export(
                linli.maker, "export.roster", activity.community_id, f"activity:{activity_id}"
            )
        finally:
            await linli.close()
        return write_roster(rows, format, out)

    data = run_async(main)
    if out is None:
        terminal.write(str(data))
