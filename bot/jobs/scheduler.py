"""The clock: APScheduler runs the fixed set of jobs; their due work lives in the database.

Only one process runs it at a time (bot.delivery.workers.lead); the outbox is sent by every worker's
own loop (bot.delivery.workers.send_forever), not by the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import App
from bot.delivery.sender import ChannelSender
from bot.jobs import suggestions as suggestion_jobs
from bot.jobs.activities import activity_tick
from bot.jobs.broadcasts import MassSend, broadcast_tick
from bot.jobs.canteen import daily_prompts, kitchen_lists, place_standing_orders
from bot.jobs.polls import poll_tick


def build(app: App, senders: dict[str, ChannelSender], start_now: bool = True) -> AsyncIOScheduler:
    """Create the scheduler with linli's jobs (not started).

    ``start_now`` runs every job at once on start (a scheduler taking over from another);
    the console, which may stop a moment later, lets them wait for their first interval.
    """
    config = app.config
    scheduler = AsyncIOScheduler(timezone=config.community.timezone)
    # A job missed while down runs once at start (coalesced), never once per missed run; the
    # first run is at start, so a new scheduler instance takes over without waiting.
    common: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
    if start_now:
        common["next_run_time"] = datetime.now(UTC)
    settings = app.dispatcher.settings
    wechat = senders.get("wechat")
    mass = None
    if wechat is not None and config.wechat.mass_send_by_tag:
        mass = MassSend(wechat, config.wechat.mass_quota, config.wechat.mass_quota_days)
    scheduler.add_job(
        broadcast_tick,
        "interval",
        seconds=5,
        args=[app.maker, config.community.timezone, settings.quiet_hours],
        kwargs={"mass": mass},
        id="broadcasts",
        **common,
    )
    if config.staff.alerts == "digest":
        scheduler.add_job(
            suggestion_jobs.staff_digest,
            "interval",
            minutes=config.staff.digest_minutes,
            args=[app.maker, tuple(config.staff.operators)],
            id="staff_digest",
            **common,
        )
    scheduler.add_job(
        suggestion_jobs.housekeeping,
        "interval",
        hours=1,
        args=[app.maker],
        id="housekeeping",
        **common,
    )
    scheduler.add_job(
        activity_tick,
        "interval",
        minutes=1,
        args=[app.maker, config.community.timezone],
        id="activities",
        **common,
    )
    scheduler.add_job(
        poll_tick,
        "interval",
        minutes=1,
        args=[app.maker, config.community.timezone, settings.draw_chart],
        id="polls",
        **common,
    )
    # The canteen's minute jobs each look for their own due work (once per day and meal).
    canteen = [app.maker, app.dispatcher.settings.canteen, config.community.timezone]
    operators = {"operators": tuple(config.staff.operators)}
    for job, name, extra in (
        (kitchen_lists, "kitchen_lists", operators),
        (place_standing_orders, "standing_orders", {}),
        (daily_prompts, "meal_prompts", {}),
    ):
        scheduler.add_job(job, "interval", minutes=1, args=canteen, kwargs=extra, id=name, **common)
    if wechat is not None:  # pictures whose first fetch failed, while WeChat still has them
        fetch = wechat.fetch_missing_pictures  # type: ignore[attr-defined]
        scheduler.add_job(fetch, "interval", minutes=10, id="wechat_pictures", **common)
    return scheduler
