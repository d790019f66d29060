"""Scheduled jobs: the staff digest, housekeeping, and the scheduler's job set."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import open_app
from bot.jobs import scheduler
from bot.jobs import suggestions as suggestion_jobs
from storage.engine import transaction
from storage.models import ConversationState, OutboxMessage, Suggestion
from tests.support.chat import Chat, make_config, make_staff


async def test_digest_mode_sends_one_message_and_runs_once(sqlite_url: str) -> None:
    app = await open_app(make_config(sqlite_url, staff={"alerts": "digest"}))
    try:
        await make_staff(app, "小王")
        await Chat(app, "甲").say("楼道灯坏了")
        await Chat(app, "乙").say("垃圾桶满了")
        async with app.read_maker() as session:
            assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert await suggestion_jobs.staff_digest(app.maker, ()) == 2
        assert await suggestion_jobs.staff_digest(app.maker, ()) == 0  # nothing new: nothing sent
        async with app.read_maker() as session:
            [digest] = list(await session.scalars(select(OutboxMessage)))
            assert (
                await session.scalar(
                    select(func.count()).where(Suggestion.staff_alerted_at.is_(None))
                )
                == 0
            )
        assert "有 2 条新建议" in digest.payload["text"] and "#1" in digest.payload["text"]
        # An urgent message is never held back for the digest.
        await Chat(app, "丙").say("煤气泄漏了,好大的煤气味")
        async with app.read_maker() as session:
            urgent = await session.scalar(select(OutboxMessage).where(OutboxMessage.urgent))
        assert urgent is not None and "【紧急·燃气泄漏】" in urgent.payload["text"]
    finally:
        await app.close()


async def test_housekeeping_drops_expired_steps(app) -> None:
    chat = Chat(app, "甲")
    await chat.say("楼道灯坏了")
    async with transaction(app.maker) as session:
        state = await session.get(ConversationState, ("console", "甲"))
        state.expires_at -= timedelta(days=1)
    await suggestion_jobs.housekeeping(app.maker)
    async with app.read_maker() as session:
        assert await session.get(ConversationState, ("console", "甲")) is None


async def test_scheduler_has_the_configured_jobs(sqlite_url: str) -> None:
    app = await open_app(make_config(sqlite_url, staff={"alerts": "digest", "digest_minutes": 5}))
    try:
        clock = scheduler.build(app, {"console": object()})  # type: ignore[dict-item]
        assert sorted(job.id for job in clock.get_jobs()) == [
            "activities",
            "broadcasts",
            "housekeeping",
            "kitchen_lists",
            "meal_prompts",
            "polls",
            "staff_digest",
            "standing_orders",
        ]
        plain = await open_app(make_config(sqlite_url))
        jobs = sorted(j.id for j in scheduler.build(plain, {}).get_jobs())
        assert jobs == [
            "activities",
            "broadcasts",
            "housekeeping",
            "kitchen_lists",
            "meal_prompts",
            "polls",
            "standing_orders",
        ]
        await plain.close()
    finally:
        await app.close()
