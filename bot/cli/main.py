"""The ``linli`` command line: running linli, the chat, the demo, and every area's commands.

Heavy modules are imported inside commands, so ``linli --help`` starts fast.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from bot.cli import common
from bot.cli.activities import events_app
from bot.cli.admin import audit_app, community_app, staff_app
from bot.cli.broadcasts import broadcast_app, residents_app
from bot.cli.canteen import menu_app, orders_app
from bot.cli.common import (
    ConfigOption,
    cli_actor,
    fail,
    find_community,
    open_linli,
    run_async,
)
from bot.cli.nlp import nlp_app
from bot.cli.polls import polls_app
from bot.cli.suggestions import suggestions_app
from bot.cli.wechat import wechat_app

app = typer.Typer(
    help="邻里 linli: a community chatbot.", add_completion=False, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database maintenance.")
for sub, name in (
    (db_app, "db"),
    (community_app, "community"),
    (staff_app, "staff"),
    (audit_app, "audit"),
    (wechat_app, "wechat"),
    (events_app, "events"),
    (menu_app, "menu"),
    (orders_app, "orders"),
    (suggestions_app, "suggestions"),
    (nlp_app, "nlp"),
    (residents_app, "residents"),
    (broadcast_app, "broadcast"),
    (polls_app, "polls"),
):
    app.add_typer(sub, name=name)


@app.callback(invoke_without_command=True)
def _main(ctx: typer.Context, config: ConfigOption = None) -> None:
    """Run with no command to start linli (the console channel when nothing is configured)."""
    common.state["config_path"] = config
    if ctx.invoked_subcommand is None:
        run()


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
    no_migrate: Annotated[
        bool,
        typer.Option(
            "--no-migrate",
            help="do not migrate at start (the deployment runs `linli db upgrade` once first)",
        ),
    ] = False,
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

        linli = await open_linli(migrate=not no_migrate)
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

    run_async(main)


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

        linli = await open_linli()
        try:
            async with transaction(linli.maker) as session:
                chosen = None
                if community:
                    chosen = await find_community(session, community)
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

    run_async(main)


@app.command()
def demo() -> None:
    """Add demo data: a community, residents with suggestions, console staff 小王."""

    async def main() -> None:
        from bot.demo import DEMO_STAFF, seed
        from storage.engine import transaction

        linli = await open_linli()
        try:
            async with transaction(linli.maker) as session:
                added = await seed(session)
        finally:
            await linli.close()
        print(f"demo data ready ({added} suggestions added); staff: linli chat --user {DEMO_STAFF}")

    run_async(main)


def _operator_scope() -> Any:
    from storage.scoping import Scope

    return Scope.operator()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema."""

    async def main() -> None:
        linli = await open_linli(create_default=False)
        await linli.close()
        print("database is up to date")

    run_async(main)


def main() -> None:
    """Entry point of the ``linli`` console script."""
    app()
