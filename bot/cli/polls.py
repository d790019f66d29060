"""`linli polls import|export|list`: questionnaires from the command line.

A poll imported here is only stored: the running scheduler (`linli run`) invites its audience
when it opens, reminds them before it closes and reports the results after.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot import terminal

polls_app = typer.Typer(help="Polls and questionnaires.")


@polls_app.command("import")
def polls_import(
    file: Annotated[Path, typer.Argument(help="a .toml file: title, closes, question tables")],
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
) -> None:
    """Store a poll (all or nothing); the scheduler invites its audience when it opens.

    Nothing is sent from here: a running `linli run` invites the audience at the opening time.
    """
    from bot.cli.common import community_or_default_id, fail, open_linli, run_async

    if not file.is_file():
        fail(f"{file} does not exist")

    async def main() -> str:
        from zoneinfo import ZoneInfo

        from bot.files.polls import import_poll, local, read_poll_file
        from storage.engine import transaction
        from storage.types import utcnow

        spec = read_poll_file(file)
        linli = await open_linli(create_default=community is None)
        try:
            async with transaction(linli.maker) as session:
                community_id = await community_or_default_id(session, community)
                zone = ZoneInfo(linli.config.community.timezone)
                poll, questions = await import_poll(
                    session, community_id, spec, zone, utcnow(), file
                )
                opens, closes = local(poll.opens_at, zone), local(poll.closes_at, zone)
                return (
                    f"imported poll #{poll.id} {poll.title} "
                    f"({len(questions)} questions, opens {opens}, closes {closes})"
                )
        finally:
            await linli.close()

    print(terminal.visible(str(run_async(main))))


@polls_app.command("export")
def polls_export(
    poll_id: Annotated[int, typer.Argument(help="the poll's number")],
    format: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
    out: Annotated[Path | None, typer.Option(help="file to write (csv: default stdout)")] = None,
) -> None:
    """Export a poll's responses, one row each (no names or addresses if it is anonymous)."""
    from bot.cli.common import audit_export, check_table_format, open_linli, run_async

    check_table_format(format, out)

    async def main() -> bytes | str:
        from zoneinfo import ZoneInfo

        from bot.files.activities import write_roster
        from bot.files.polls import export_table
        from bot.files.spreadsheet import xlsx_text
        from storage import polls

        linli = await open_linli(create_default=False)
        try:
            async with linli.read_maker() as session:
                poll = await polls.get(session, poll_id)
                if poll is None:
                    raise ValueError(f"there is no poll #{poll_id}")
                zone = ZoneInfo(linli.config.community.timezone)
                fields, rows = await export_table(session, poll, zone)
            await audit_export(linli.maker, "export.poll", poll.community_id, f"poll:{poll_id}")
        finally:
            await linli.close()
        if format == "xlsx":
            rows = xlsx_text(rows)
        return write_roster(rows, format, out, fields)

    data = run_async(main)
    if out is None:
        terminal.write(str(data))


@polls_app.command("list")
def polls_list(
    community: Annotated[str | None, typer.Option(help="only this community")] = None,
    limit: Annotated[int, typer.Option(min=1, help="how many, newest first")] = 20,
) -> None:
    """List polls: opening and closing times, completed responses of the audience."""
    from bot.cli.common import find_community_id, open_linli, run_async

    async def main() -> list[str]:
        from zoneinfo import ZoneInfo

        from bot.files.polls import list_lines
        from storage.scoping import Scope
        from storage.types import utcnow

        linli = await open_linli(create_default=False)
        try:
            async with linli.read_maker() as session:
                community_id = await find_community_id(session, community)
                scope = Scope.operator() if community_id is None else Scope.of(community_id)
                zone = ZoneInfo(linli.config.community.timezone)
                year = utcnow().astimezone(zone).year  # ages in the audience count by it
                return await list_lines(session, scope, zone, year, limit)
        finally:
            await linli.close()

    print(terminal.visible("\n".join(run_async(main))) or "no polls")
