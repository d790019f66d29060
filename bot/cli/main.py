"""The ``linli`` command line. Heavy modules are imported inside commands to start fast."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot import terminal
from bot.cli.common import audit_export, cli_actor

app = typer.Typer(
    help="邻里 linli: a community chatbot.", add_completion=False, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database maintenance.")
community_app = typer.Typer(help="Communities served by this deployment.")
staff_app = typer.Typer(help="Staff rights.")
wechat_app = typer.Typer(help="The WeChat Official Account.")
events_app = typer.Typer(help="Community activities.")
menu_app = typer.Typer(help="The canteen's menus.")
orders_app = typer.Typer(help="The canteen's orders.")
wechat_menu_app = typer.Typer(help="The account's custom menu.")
suggestions_app = typer.Typer(help="Residents' suggestions.")
nlp_app = typer.Typer(help="Language understanding on stdin lines (one JSON line out per line).")
app.add_typer(db_app, name="db")
app.add_typer(community_app, name="community")
app.add_typer(staff_app, name="staff")
audit_app = typer.Typer(help="The audit log: staff actions, refusals, exports.")
app.add_typer(audit_app, name="audit")
app.add_typer(wechat_app, name="wechat")
app.add_typer(events_app, name="events")
app.add_typer(menu_app, name="menu")
app.add_typer(orders_app, name="orders")
wechat_app.add_typer(wechat_menu_app, name="menu")
app.add_typer(suggestions_app, name="suggestions")
app.add_typer(nlp_app, name="nlp")

T = TypeVar("T")
_state: dict[str, Any] = {"config_path": None}

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML config file (default: ./linli.toml)")
]


@app.callback(invoke_without_command=True)
def _main(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Run with no command to start linli (the console channel when nothing is configured)."""
    _state["config_path"] = config
    if ctx.invoked_subcommand is None:
        run()


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


def _run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine, turning config and database problems into clear errors."""
    from bot.config import ConfigError
    from storage.communities import InvalidSlug
    from storage.engine import DatabaseUnavailable

    try:
        return asyncio.run(make())
    except (ConfigError, DatabaseUnavailable, InvalidSlug, ValueError, OSError) as exc:
        fail(str(exc))
        raise  # unreachable: fail() exits


def _config():
    from bot.config import load

    return load(_state["config_path"])


async def _open(create_default: bool = True):
    import logging

    from bot.app import open_app

    config = _config()
    logging.basicConfig(
        level=config.log.level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request at INFO, and a Bot API request's URL holds the bot's token.
    for noisy in ("apscheduler", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return await open_app(config, create_default=create_default)


async def _community(session: Any, slug: str) -> Any:
    """Return the community with ``slug``; an unknown slug is an error for the operator."""
    from storage import communities

    found = await communities.get_by_slug(session, slug)
    if found is None:
        raise ValueError(f"no community with slug {slug!r}")
    return found


async def _community_or_default(session: Any, slug: str | None, create: bool = True) -> int:
    """Return the id of the community named, or of the one community a small deployment has.

    With several communities and none named, that is an error: acting on whichever came first
    would touch the wrong residents.
    """
    from storage import communities

    found = await _community_id(session, slug)
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


async def _community_id(session: Any, slug: str | None) -> int | None:
    """Return the id of the community with ``slug`` (None for None)."""
    return None if slug is None else (await _community(session, slug)).id


@app.command()
def run(
    demo_if_empty: Annotated[
        bool, typer.Option("--demo-if-empty", help="seed demo data into an empty database")
    ] = False,
    user: Annotated[str, typer.Option(help="console user, when the console runs")] = "我",
    role: Annotated[
        str,
        typer.Option(
            help="all: everything; web: receive (webhooks, polling, WeChat); "
            "worker: send and run the scheduler (several may share one PostgreSQL)"
        ),
    ] = "all",
) -> None:
    """Start linli: every configured channel and the scheduler (the console if none)."""
    if role not in ("all", "web", "worker"):
        fail("--role must be all, web or worker")

    async def main() -> None:
        from bot.channels import console
        from bot.demo import seed
        from bot.jobs import scheduler
        from bot.serve import platforms_configured, serve_channels
        from storage import suggestions
        from storage.engine import transaction

        linli = await _open()
        try:
            if demo_if_empty:
                async with transaction(linli.maker) as session:
                    if not await suggestions.any_stored(session):
                        await seed(session)
            if platforms_configured(linli):
                await serve_channels(linli, role)
                return
            if role != "all":
                fail(f"--role {role} needs Telegram or WeChat configured (the console is 'all')")
            clock = scheduler.build(linli, {}, start_now=False)
            clock.start()
            try:
                await console.chat(linli, user)
            finally:
                clock.shutdown(wait=False)
        finally:
            await linli.close()

    _run(main)


def _operator_scope():
    from storage.scoping import Scope

    return Scope.operator()


@app.command()
def chat(
    user: Annotated[str, typer.Option(help="who you are (a new resident on first use)")] = "我",
    staff: Annotated[bool, typer.Option("--staff", help="make this console user staff")] = False,
    community: Annotated[str | None, typer.Option(help="community slug")] = None,
) -> None:
    """Talk to linli in the terminal; with piped stdin, one message per line."""

    async def main() -> None:
        from bot.channels import console
        from storage import audit, communities, residents
        from storage import staff as staff_store
        from storage.engine import transaction

        linli = await _open()
        try:
            async with transaction(linli.maker) as session:
                chosen = None
                if community:
                    chosen = await _community(session, community)
                else:
                    every = await communities.list_all(session)
                    if len(every) == 1:
                        chosen = every[0]
                    elif staff and every:
                        raise ValueError("--staff needs --community SLUG when there are several")
                resident = await residents.find_by_account(session, console.CHANNEL, user)
                if resident is None:
                    resident = await residents.create(
                        session, console.CHANNEL, user, display_name=user
                    )
                if chosen is not None:
                    resident.community_id = chosen.id
                if staff and chosen is not None:
                    await staff_store.add(
                        session, console.CHANNEL, user, chosen.id, display_name=user
                    )
                    await audit.record(
                        session,
                        cli_actor(),
                        "staff.add",
                        community_id=chosen.id,
                        target=f"{console.CHANNEL}:{user}",
                        detail={"by": "linli chat --staff"},
                    )
            await console.chat(linli, user)
        finally:
            await linli.close()

    _run(main)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema."""

    async def main() -> None:
        linli = await _open(create_default=False)
        await linli.close()
        print("database is up to date")

    _run(main)


@app.command()
def demo() -> None:
    """Add demo data: a community, residents with suggestions, console staff 小王."""

    async def main() -> None:
        from bot.demo import DEMO_STAFF, seed
        from storage.engine import transaction

        linli = await _open()
        try:
            async with transaction(linli.maker) as session:
                added = await seed(session)
        finally:
            await linli.close()
        print(f"demo data ready ({added} suggestions added); staff: linli chat --user {DEMO_STAFF}")

    _run(main)


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

        linli = await _open(create_default=False)
        try:
            async with transaction(linli.maker) as session:
                added = await communities.add(session, slug, name, duty_phone)
                await audit.record(
                    session, cli_actor(), "community.add", community_id=added.id, target=slug
                )
        finally:
            await linli.close()
        print(f"community {slug} ({name}) ready")

    _run(main)


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

        linli = await _open(create_default=False)
        try:
            async with transaction(linli.maker) as session:
                community_id = await _community_id(session, community)
                code = await staff_store.create_invite(
                    session, community_id, utcnow(), timedelta(hours=hours)
                )
                await audit.record(session, cli_actor(), "staff.invite", community_id=community_id)
            token = linli.config.telegram.token
            if not token:
                return f"invite code: s-{code} (valid {hours} h; open it as /start s-{code})"
            from bot.channels.telegram import bot_username

            name = await bot_username(linli.config.telegram)
            return f"https://t.me/{name}?start=s-{code}  (single use, valid {hours} h)"
        finally:
            await linli.close()

    print(terminal.visible(str(_run(main))))


@wechat_menu_app.command("push")
def wechat_menu_push() -> None:
    """Create the custom menu from [wechat] menu in the config (replacing the old one)."""

    async def main() -> dict:
        from bot.channels.wechat import MenuRefused, push_menu

        config = _config()
        if not (config.wechat.token and config.wechat.appid and config.wechat.secret):
            fail("WeChat is not configured: set [wechat] token, appid and secret")
        try:
            return await push_menu(config.wechat, config.redis.url)
        except MenuRefused as exc:
            raise ValueError(str(exc)) from exc

    menu = _run(main)
    names = [b["name"] for b in menu["button"]]
    print(f"menu pushed: {' / '.join(names)}")


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
        linli = await _open(create_default=False)
        try:
            async with transaction(linli.maker) as session:
                community_id = await _community_id(session, community)
                await staff_store.add(session, channel, external_id, community_id, name)
                await audit.record(
                    session, cli_actor(), "staff.add", community_id=community_id, target=account
                )
        finally:
            await linli.close()
        print(f"{account} is staff of {'every community' if operator else community}")

    _run(main)


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

        # The database alone, not _open(): the dispatcher's handlers and language models it
        # loads took longer than exporting the largest community.
        engine = create_engine(_config().database.url)
        try:
            await check_connection(engine)
            await upgrade(engine)
            async with session_factory(engine, read_only=True)() as session:
                community_id = await _community_id(session, community)
                scope = Scope.operator() if community_id is None else Scope.of(community_id)
                # Streamed to the file as rows come, not gathered first (bounded memory).
                await export_suggestions(session, scope, format, out, with_names=with_names)
            action = "export.suggestions" + (".with_names" if with_names else "")
            await audit_export(engine, action, community_id, str(out or "stdout"))
        finally:
            await engine.dispose()

    _run(main)


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
        linli = await _open(create_default=community is None)
        try:
            async with transaction(linli.maker) as session:
                community_id = await _community_or_default(session, community)
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
    for line in _run(main):
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

        linli = await _open(create_default=False)
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

    data = _run(main)
    if out is None:
        terminal.write(str(data))


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
        linli = await _open(create_default=community is None)
        try:
            async with transaction(linli.maker) as session:
                community_id = await _community_or_default(session, community)
                return await import_menus(session, community_id, specs)
        finally:
            await linli.close()

    print(f"published {_run(main)} menus")


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

        linli = await _open(create_default=False)
        try:
            async with linli.read_maker() as session:
                community_id = await _community_or_default(session, community, create=False)
                rows = await order_rows(session, community_id, wanted)
            await audit_export(linli.maker, "export.orders", community_id, f"day:{wanted}")
        finally:
            await linli.close()
        return write_roster(rows, format, out, ORDER_FIELDS)

    data = _run(main)
    if out is None:
        terminal.write(str(data))


@nlp_app.command("classify")
def nlp_classify() -> None:
    """Read lines on stdin; write {"text","topic","confidence","keywords"} per line."""
    from bot.cli.nlp import classify_lines

    classify_lines(sys.stdin.buffer, sys.stdout)


@nlp_app.command("understand")
def nlp_understand(
    now: Annotated[str | None, typer.Option(help="reference time, e.g. 2026-11-25T08:00")] = None,
) -> None:
    """Read lines on stdin; write {"text","intent","confidence","slots"} per line."""
    from bot.cli.nlp import parse_now, understand_lines

    try:
        reference = parse_now(now)
    except ValueError as exc:
        fail(str(exc))
        return
    understand_lines(sys.stdin.buffer, sys.stdout, reference)


def main() -> None:
    """Entry point of the ``linli`` console script."""
    app()


# Announcements live in their own module (imported last: it uses the helpers above).
from bot.cli.broadcasts import broadcast_app, residents_app  # noqa: E402

app.add_typer(residents_app, name="residents")
app.add_typer(broadcast_app, name="broadcast")

from bot.cli.polls import polls_app  # noqa: E402

app.add_typer(polls_app, name="polls")


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

        linli = await _open(create_default=False)
        try:
            zone = ZoneInfo(linli.config.community.timezone)
            async with linli.read_maker() as session:
                community_id = await _community_id(session, community)
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

    lines = _run(main)
    print(terminal.visible("\n".join(lines)) if lines else "no entries")
