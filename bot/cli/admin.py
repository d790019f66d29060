"""Running a deployment: its communities, staff rights, and the audit log."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from bot import terminal
from bot.cli.common import (
    cli_actor,
    fail,
    find_community_id,
    open_linli,
    run_async,
)

community_app = typer.Typer(help="Communities served by this deployment.")
staff_app = typer.Typer(help="Staff rights.")
audit_app = typer.Typer(help="The audit log: staff actions, refusals, exports.")


@community_app.command("add")
def community_add(
    slug: str,
    name: str,
    duty_phone: Annotated[str | None, typer.Option(help="the community's duty phone")] = None,
) -> None:
    """Add a community (or rename an existing slug)."""

    async def main() -> None:
        from storage import audit, communities
        from storage.engine import transaction

        linli = await open_linli(create_default=False)
        try:
            async with transaction(linli.maker) as session:
                added = await communities.add(session, slug, name, duty_phone)
                await audit.record(
                    session, cli_actor(), "community.add", community_id=added.id, target=slug
                )
        finally:
            await linli.close()
        print(f"community {slug} ({name}) ready")

    run_async(main)


@staff_app.command("invite")
def staff_invite(
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
    operator: Annotated[bool, typer.Option("--operator", help="staff of every community")] = False,
    hours: Annotated[int, typer.Option(min=1, max=24 * 30, help="valid for")] = 72,
) -> None:
    """Make a single-use staff invite; prints the Telegram link when a bot is configured."""
    if operator == (community is not None):
        fail("give exactly one of --community SLUG or --operator")

    async def main() -> str:
        from datetime import timedelta

        from storage import audit
        from storage import staff as staff_store
        from storage.engine import transaction
        from storage.types import utcnow

        linli = await open_linli(create_default=False)
        try:
            async with transaction(linli.maker) as session:
                community_id = await find_community_id(session, community)
                code = await staff_store.create_invite(
                    session, community_id, utcnow(), timedelta(hours=hours)
                )
                await audit.record(session, cli_actor(), "staff.invite", community_id=community_id)
            token = linli.config.telegram.token
            if not token:
                return f"invite code: s-{code} (valid {hours} h; open it as /start s-{code})"
            from bot.channels.telegram.channel import bot_username

            name = await bot_username(linli.config.telegram)
            return f"https://t.me/{name}?start=s-{code}  (single use, valid {hours} h)"
        finally:
            await linli.close()

    print(terminal.visible(str(run_async(main))))


@staff_app.command("add")
def staff_add(
    account: Annotated[str, typer.Argument(help="CHANNEL:ID, e.g. telegram:12345 or console:小王")],
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
    operator: Annotated[bool, typer.Option("--operator", help="staff of every community")] = False,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
) -> None:
    """Give an account staff rights in one community, or operator-wide."""
    if operator == (community is not None):
        fail("give exactly one of --community SLUG or --operator")

    async def main() -> None:
        from storage import audit
        from storage import staff as staff_store
        from storage.engine import transaction

        channel, external_id = staff_store.split_account(account)
        linli = await open_linli(create_default=False)
        try:
            async with transaction(linli.maker) as session:
                community_id = await find_community_id(session, community)
                await staff_store.add(session, channel, external_id, community_id, name)
                await audit.record(
                    session, cli_actor(), "staff.add", community_id=community_id, target=account
                )
        finally:
            await linli.close()
        print(f"{account} is staff of {'every community' if operator else community}")

    run_async(main)


@staff_app.command("list")
def staff_list(
    community: Annotated[str | None, typer.Option(help="only this community's staff")] = None,
) -> None:
    """List who has staff rights: account, name, community (operator: every one), since when."""

    async def main() -> list[str]:
        from zoneinfo import ZoneInfo

        from storage import staff as staff_store
        from storage.scoping import Scope

        linli = await open_linli(create_default=False)
        try:
            async with linli.read_maker() as session:
                wanted = await find_community_id(session, community)
                scope = Scope.operator() if wanted is None else Scope.of(wanted)
                found = await staff_store.members(session, scope)
            zone = linli.config.community.timezone
            operators = [] if wanted is not None else list(linli.config.staff.operators)
        finally:
            await linli.close()
        lines = [
            "\t".join(
                [
                    f"{m.channel}:{m.external_id}",
                    m.display_name or "-",
                    slug or "(every community)",
                    m.created_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d"),
                ]
            )
            for m, slug in found
        ]
        lines += [f"{account}\t-\t(every community)\t(config)" for account in operators]
        return lines

    lines = run_async(main)
    print(terminal.visible("\n".join(lines)) if lines else "no staff")


@staff_app.command("remove")
def staff_remove(
    account: Annotated[str, typer.Argument(help="CHANNEL:ID, as `linli staff list` shows it")],
    community: Annotated[
        str | None, typer.Option(help="only this community's rights (default: all of them)")
    ] = None,
) -> None:
    """Take an account's staff rights away; it takes effect on its next message."""

    async def main() -> int:
        from storage import audit
        from storage import staff as staff_store
        from storage.engine import transaction

        channel, external_id = staff_store.split_account(account)
        linli = await open_linli(create_default=False)
        try:
            if account in linli.config.staff.operators:
                raise ValueError(f"{account} is an operator in the config ([staff] operators)")
            async with transaction(linli.maker) as session:
                community_id = await find_community_id(session, community)
                removed = await staff_store.remove(session, channel, external_id, community_id)
                if not removed:
                    where = f" in {community}" if community else ""
                    raise ValueError(f"{account} has no staff rights{where}")
                await audit.record(
                    session, cli_actor(), "staff.remove", community_id=community_id, target=account
                )
        finally:
            await linli.close()
        return removed

    removed = run_async(main)
    print(f"{account}: {removed} staff grant(s) removed")


@audit_app.command("list")
def audit_list(
    actor: Annotated[str | None, typer.Option(help="CHANNEL:ID or cli:USER")] = None,
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
    action: Annotated[str | None, typer.Option(help="action, or its start (refused.)")] = None,
    since: Annotated[str | None, typer.Option(help="from this time (ISO, local)")] = None,
    until: Annotated[str | None, typer.Option(help="before this time (ISO, local)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="how many, newest first")] = 50,
) -> None:
    """List the audit log, newest first: who did (or was refused) what, where, to what."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    def moment(value: str | None, name: str, zone: ZoneInfo) -> datetime | None:
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            fail(f"--{name} must be a time like 2026-12-01T08:00, not {value!r}")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)

    async def main() -> list[str]:
        from storage import audit

        linli = await open_linli(create_default=False)
        try:
            zone = ZoneInfo(linli.config.community.timezone)
            async with linli.read_maker() as session:
                community_id = await find_community_id(session, community)
                found = await audit.entries(
                    session,
                    actor=actor,
                    community_id=community_id,
                    action=action,
                    since=moment(since, "since", zone),
                    until=moment(until, "until", zone),
                    limit=limit,
                )
        finally:
            await linli.close()
        return [
            "\t".join(
                [
                    e.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor,
                    e.action,
                    str(e.community_id or "-"),
                    e.target or "-",
                    json.dumps(e.detail, ensure_ascii=False) if e.detail else "",
                ]
            ).rstrip()
            for e in found
        ]

    lines = run_async(main)
    print(terminal.visible("\n".join(lines)) if lines else "no entries")
