"""Assemble linli: engine, migrations, routers, dispatcher."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import Config
from bot.files.media import forgetter, picture_finder
from handlers import routers
from handlers.broadcasts.rules import QuietHours
from handlers.canteen.rules import CanteenRules
from handlers.charts import Chart, DrawChart
from handlers.dispatcher import Dispatcher
from handlers.settings import Settings
from storage import communities
from storage.engine import check_connection, create_engine, session_factory, transaction
from storage.migrate import is_current, upgrade


def handler_settings(config: Config) -> Settings:
    """Map the config onto what handlers need."""
    return Settings(
        operators=tuple(config.staff.operators),
        default_duty_phone=config.community.duty_phone,
        similar_days=config.suggestions.similar_days,
        staff_alerts=config.staff.alerts,
        conversation_minutes=config.conversation.expire_minutes,
        rating_days=config.suggestions.rating_days,
        max_text_chars=config.suggestions.max_text_chars,
        timezone=config.community.timezone,
        canteen=canteen_rules(config),
        quiet_hours=QuietHours(config.broadcast.quiet_start, config.broadcast.quiet_end),
        draw_chart=chart_drawer(config),
        forget_media=forgetter(config.wechat.media_dir),
        picture=picture_finder(config.wechat.media_dir),
    )


def chart_drawer(config: Config) -> DrawChart:
    """Return the function that draws results charts into the media directory."""
    directory = Path(config.wechat.media_dir) / "charts"

    async def draw(chart: Chart) -> str | None:
        from bot.files.charts import draw_async  # matplotlib loads on the first chart, not at start

        return await draw_async(chart, directory)

    return draw


def canteen_rules(config: Config) -> CanteenRules:
    """Map the [canteen] config onto the rules handlers use."""
    canteen = config.canteen
    return CanteenRules(
        lunch_cutoff=canteen.lunch_cutoff,
        dinner_cutoff=canteen.dinner_cutoff,
        prompt_time=canteen.prompt_time,
        subsidies=tuple((s.min_age, round(s.discount * 100)) for s in canteen.subsidies),
        delivery_min_age=canteen.delivery_min_age,
        max_quantity=canteen.max_quantity,
        open_weekends=canteen.open_weekends,
        extra_open_days=frozenset(canteen.extra_open_days),
        closed_days=frozenset(canteen.closed_days),
    )


class NotMigrated(RuntimeError):
    """The database needs migrating and this process was told not to (``--no-migrate``)."""


@dataclass
class App:
    """A running linli: its config, database and dispatcher."""

    config: Config
    engine: AsyncEngine
    maker: async_sessionmaker[AsyncSession]
    read_maker: async_sessionmaker[AsyncSession]
    dispatcher: Dispatcher

    async def close(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()


async def open_app(config: Config, *, migrate: bool = True, create_default: bool = True) -> App:
    """Connect (failing clearly if the database is unreachable), migrate, and assemble.

    With ``create_default``, a database without communities gets the ``default`` one, named
    from the config, so a single-community linli works from the first message.
    """
    engine = create_engine(config.database.url)
    try:
        await check_connection(engine)
        if migrate:
            await upgrade(engine)
        elif not await is_current(engine):
            raise NotMigrated("the database is not at the newest schema: run `linli db upgrade`")
        maker = session_factory(engine)
        if create_default:
            async with transaction(maker) as session:
                if not await communities.count(session):
                    await communities.add(
                        session,
                        communities.DEFAULT_SLUG,
                        config.community.name,
                        config.community.duty_phone,
                    )
    except BaseException:
        await engine.dispose()
        raise
    dispatcher = Dispatcher(maker, routers(), handler_settings(config))
    return App(config, engine, maker, session_factory(engine, read_only=True), dispatcher)
