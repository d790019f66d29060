"""The outbox sender: sent, blocked, failed with backoff, stuck rows retried once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.delivery.sender import RecipientBlocked, Undeliverable, deliver_due
from handlers.types import Reply
from storage import outbox, residents
from storage.engine import transaction
from storage.models import OutboxMessage, OutboxStatus, Resident
from storage.types import utcnow
from tests.support.fakes import FakeSender


async def _queue(app, *recipients: str) -> None:
    async with transaction(app.maker) as session:
        for who in recipients:
            await outbox.enqueue(
                session,
                channel="telegram",
                recipient=who,
                kind="t",
                payload=Reply(f"hi {who}").to_dict(),
            )


async def _rows(app) -> dict[str, OutboxMessage]:
    async with app.read_maker() as session:
        return {r.recipient: r for r in await session.scalars(select(OutboxMessage))}


async def test_outcomes_are_recorded(app) -> None:
    async with transaction(app.maker) as session:
        await residents.create(session, "telegram", "blocker", community_id=1)
    await _queue(app, "ok", "blocker", "flaky", "refused")
    sender = FakeSender(
        {
            "blocker": RecipientBlocked("Forbidden: bot was blocked by the user"),
            "flaky": ConnectionError("network down"),
            "refused": Undeliverable("45015 response out of time limit"),
        }
    )
    assert await deliver_due(app.maker, {"telegram": sender}) == 1
    rows = await _rows(app)
    assert rows["ok"].status == "sent" and rows["ok"].platform_message_id == "msg-1"
    assert rows["ok"].sent_at is not None
    assert rows["blocker"].status == "blocked"
    assert rows["refused"].status == "undeliverable" and "45015" in rows["refused"].error
    assert rows["flaky"].status == "pending" and rows["flaky"].not_before > utcnow()
    async with app.read_maker() as session:
        blocker = await session.scalar(select(Resident))
    assert blocker.active is False
    # Nothing is due now: the flaky row waits for its backoff.
    assert await deliver_due(app.maker, {"telegram": sender}) == 0


async def test_a_row_whose_sender_died_is_retried_once(app) -> None:
    await _queue(app, "someone")
    async with transaction(app.maker) as session:
        [row] = await outbox.claim_due(session, ["telegram"], utcnow())
        row.claimed_at = utcnow() - timedelta(hours=1)  # the sender died long ago
    sender = FakeSender({})
    assert await deliver_due(app.maker, {"telegram": sender}) == 1
    assert sender.sent == [("someone", "hi someone")]
    async with transaction(app.maker) as session:
        row = await session.scalar(select(OutboxMessage))
        assert row.attempts == 2
        row.status = OutboxStatus.UNKNOWN  # lost again: no third try
    assert await deliver_due(app.maker, {"telegram": sender}) == 0


async def test_dedupe_key_writes_once(app) -> None:
    async with transaction(app.maker) as session:
        first = await outbox.enqueue(
            session, channel="console", recipient="a", kind="t", payload={}, dedupe_key="k"
        )
        second = await outbox.enqueue(
            session, channel="console", recipient="a", kind="t", payload={}, dedupe_key="k"
        )
    assert first is not None and second is None


async def test_only_registered_channels_are_claimed(app) -> None:
    await _queue(app, "x")
    assert await deliver_due(app.maker, {"console": FakeSender({})}) == 0
    assert (await _rows(app))["x"].status == "pending"
