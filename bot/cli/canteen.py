"""The canteen in and out of files: import menus, export a day's orders for the kitchen."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot import terminal
from bot.cli.common import (
    audit_export,
    check_table_format,
    community_or_default_id,
    fail,
    open_linli,
    run_async,
)

menu_app = typer.Typer(help="The canteen's menus.")
orders_app = typer.Typer(help="The canteen's orders.")


@menu_app.command("import")
def menu_import(
    file: Annotated[Path, typer.Argument(help="a .csv (date,meal,dishes,price) or .toml file")],
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
) -> None:
    """Publish menus (all or nothing: a bad row names itself and nothing is imported)."""
    if not file.exists():
        fail(f"{file} does not exist")

    async def main() -> int:
        from bot.files.menus import import_menus, read_menus
        from storage.engine import transaction

        specs = read_menus(file)
        linli = await open_linli(create_default=community is None)
        try:
            async with transaction(linli.maker) as session:
                community_id = await community_or_default_id(session, community)
                return await import_menus(session, community_id, specs)
        finally:
            await linli.close()

    print(f"published {run_async(main)} menus")


@orders_app.command("export")
def orders_export(
    day: Annotated[str, typer.Option("--date", help="the day, e.g. 2026-11-26")],
    format: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
    out: Annotated[Path | None, typer.Option(help="file to write (csv: default stdout)")] = None,
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
) -> None:
    """Export a day's orders for the kitchen (by meal and address)."""
    from datetime import date as date_type

    check_table_format(format, out)
    try:
        wanted = date_type.fromisoformat(day)
    except ValueError:
        fail(f"--date must be a day like 2026-11-26, not {day!r}")

    async def main() -> bytes | str:
        from bot.files.activities import write_roster
        from bot.files.menus import ORDER_FIELDS, order_rows

        linli = await open_linli(create_default=False)
        try:
            async with linli.read_maker() as session:
                community_id = await community_or_default_id(session, community, create=False)
                rows = await order_rows(session, community_id, wanted)
            await audit_export(linli.maker, "export.orders", community_id, f"day:{wanted}")
        finally:
            await linli.close()
        return write_roster(rows, format, out, ORDER_FIELDS)

    data = run_async(main)
    if out is None:
        terminal.write(str(data))
