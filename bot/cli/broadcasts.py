"""`linli residents tag` and `linli broadcast send|report`: announcements from the command line.

A broadcast made here is stored as scheduled; the running worker (`linli run`, role all or
worker) fans it out when its time comes and sends it within the platforms' limits.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bot import terminal

residents_app = typer.Typer(help="Residents: tags for choosing audiences.")
broadcast_app = typer.Typer(help="Announcements to many residents.")


def parse_audience(text: str) -> dict[str, Any]:
    """Read all | building:3 | tag:老人 | age:60- | age:60-79 | age:-40 | activity:12."""
    kind, _, value = text.partition(":")
    if kind == "all" and not value:
        return {"kind": "all"}
    if kind == "building" and value:
        return {"kind": "building", "building": value}
    if kind == "tag" and value:
        return {"kind": "tag", "tag": value}
    if kind == "activity" and value.isdigit():
        return {"kind": "activity", "activity_id": int(value)}
    if kind == "age" and "-" in value:
        low, _, high = value.partition("-")
        numbers = [int(v) for v in (low, high) if v.isdigit()]
        ordered = not (low and high) or int(low) <= int(high)
        if (low or high) and len(numbers) == len([v for v in (low, high) if v]) and ordered:
            bounds = {"min": int(low) if low else None, "max": int(high) if high else None}
            return {"kind": "age", **{k: v for k, v in bounds.items() if v is not None}}
    raise ValueError(
        f"--audience {text!r}: use all, building:3, tag:老人, age:60-, age:60-79 or activity:12"
    )


@residents_app.command("tag")
def tag(
    name: Annotated[str, typer.Argument(help="the tag, e.g. 老人, 志愿者, 业委会")],
    resident: Annotated[list[int] | None, typer.Option(help="a resident id (repeatable)")] = None,
    building: Annotated[str | None, typer.Option(help="every resident of a building")] = None,
    display_name: Annotated[str | None, typer.Option("--name", help="a resident's name")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="take the tag away")] = False,
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
) -> None:
    """Tag residents (by id, building or name) so staff can address them as an audience."""
    from bot.cli.common import community_or_default_id, fail, open_linli, run_async

    if not (resident or building or display_name):
        fail("say who: --resident ID, --building B or --name NAME")
    if not 1 <= len(name) <= 30:
        fail("a tag has 1 to 30 characters")

    async def main() -> int:
        from sqlalchemy import ColumnElement, or_, select

        from storage import tags
        from storage.engine import transaction
        from storage.models import Resident

        linli = await open_linli(create_default=community is None)
        try:
            async with transaction(linli.maker) as session:
                community_id = await community_or_default_id(session, community)
                who: list[ColumnElement[bool]] = []
                if resident:
                    who.append(Resident.id.in_(resident))
                if building:
                    who.append(Resident.building == building)
                if display_name:
                    who.append(Resident.display_name == display_name)
                stmt = select(Resident.id).where(Resident.community_id == community_id, or_(*who))
                ids = list(await session.scalars(stmt))
                if not ids:
                    raise ValueError("no resident of this community matches")
                change = tags.untag if remove else tags.tag
                return await change(session, ids, name)
        finally:
            await linli.close()

    changed = run_async(main)
    print(f"{'untagged' if remove else 'tagged'} {changed} residents")


@broadcast_app.command("send")
def send(
    text: Annotated[str, typer.Option(help="the announcement")],
    audience: Annotated[str, typer.Option(help="all, building:3, tag:老人, age:60-…")] = "all",
    kind: Annotated[str, typer.Option(help="notice or activity")] = "notice",
    urgent: Annotated[bool, typer.Option("--urgent", help="ignore quiet hours")] = False,
    image: Annotated[Path | None, typer.Option(help="a picture (Telegram)")] = None,
    at: Annotated[str | None, typer.Option(help="when, e.g. 2026-11-28T09:00+08:00")] = None,
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
    all_communities: Annotated[
        bool, typer.Option("--all-communities", help="every community (operators)")
    ] = False,
) -> None:
    """Store an announcement; the running worker sends it (now, or --at a time)."""
    from bot.cli.common import community_or_default_id, fail, open_linli, run_async

    if not text.strip() or len(text) > 2000:
        fail("--text must have 1 to 2000 characters")
    if kind not in ("notice", "activity"):
        fail("--kind must be notice or activity")
    if image is not None and not image.is_file():
        fail(f"{image} does not exist")
    try:
        chosen = parse_audience(audience)
        when = datetime.fromisoformat(at) if at else None
    except ValueError as exc:
        fail(str(exc))
    if when is not None and when.tzinfo is None:
        fail("--at needs a time zone, e.g. 2026-11-28T09:00+08:00")

    async def main() -> tuple[int, dict[str, int]]:
        from storage import broadcasts
        from storage.engine import transaction
        from storage.models import Broadcast
        from storage.scoping import Scope
        from storage.types import utcnow

        linli = await open_linli(create_default=community is None)
        try:
            async with transaction(linli.maker) as session:
                community_id = (
                    None if all_communities else await community_or_default_id(session, community)
                )
                item = Broadcast(
                    community_id=community_id,
                    text=text.strip(),
                    image=str(image.resolve()) if image else None,
                    kind=kind,
                    urgent=urgent,
                    audience=chosen,
                    send_at=when or utcnow(),
                    created_by="",  # nobody to push the report to: `linli broadcast report`
                )
                session.add(item)
                await session.flush()
                scope = Scope.operator() if community_id is None else Scope.of(community_id)
                year = (when or utcnow()).year
                counts = await broadcasts.preview(session, scope, chosen, kind, urgent, year)
                return item.id, counts
        finally:
            await linli.close()

    number, counts = run_async(main)
    per_channel = ", ".join(f"{c} {n}" for c, n in sorted(counts.items())) or "nobody"
    print(f"broadcast {number} stored: {sum(counts.values())} deliveries ({per_channel})")


@broadcast_app.command("report")
def report(number: Annotated[int, typer.Argument(help="the broadcast number")]) -> None:
    """Print a broadcast's delivery counts per channel."""
    from bot.cli.common import open_linli, run_async

    async def main() -> str:
        from handlers.broadcasts.rules import mass_line, report_text
        from storage import broadcasts
        from storage.scoping import Scope

        linli = await open_linli(create_default=False)
        try:
            async with linli.read_maker() as session:
                found = await broadcasts.get(session, number, Scope.operator())
                if found is None:
                    raise ValueError(f"there is no broadcast {number}")
                counts = await broadcasts.progress(session, number)
                finished = found.status == "done"
                return report_text(number, found.text, counts, finished, mass_line(found))
        finally:
            await linli.close()

    print(terminal.visible(str(run_async(main))))
