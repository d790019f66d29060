"""Stored updates run per chat: in order within a chat, side by side across chats, durably."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.delivery.inbox import Inbox
from storage import inbound
from storage.engine import transaction
from storage.models import InboundUpdate
from tests.support.chat import Chat


def by_sender(payload: dict) -> str:
    return payload["from"]


async def store(app, update_id: str, sender: str, text: str) -> dict:
    payload = {"from": sender, "text": text}
    async with transaction(app.maker) as session:
        await inbound.store(session, "test", update_id, payload, sender)
    return payload


async def pending_ids(app) -> list[str]:
    async with app.read_maker() as session:
        return [row.update_id for row in await inbound.pending(session, "test")]


async def test_a_waiting_chat_holds_up_nobody_else(app) -> None:
    handled: list[str] = []
    attempts: dict[str, int] = {}

    async def handle(update_id: str, payload: dict) -> bool:
        attempts[update_id] = attempts.get(update_id, 0) + 1
        if update_id == "a1" and attempts[update_id] < 3:
            return False  # e.g. a 429 or a network error: try again later
        handled.append(update_id)
        return True

    inbox = Inbox(app.maker, app.read_maker, "test", handle, by_sender, retry_seconds=0.05)
    for update_id, sender in [("a1", "A"), ("a2", "A"), ("b1", "B"), ("b2", "B")]:
        inbox.submit(update_id, await store(app, update_id, sender, "你好"))
    await asyncio.sleep(0.02)
    assert handled == ["b1", "b2"]  # B went on while A waited
    await inbox.settle()
    assert handled == ["b1", "b2", "a1", "a2"]  # A kept its order
    assert attempts["a1"] == 3
    assert await pending_ids(app) == []


async def test_what_was_stored_but_not_handled_is_recovered(app) -> None:
    started = asyncio.Event()

    async def never_finishes(update_id: str, payload: dict) -> bool:
        started.set()
        await asyncio.sleep(3600)
        return True

    crashed = Inbox(app.maker, app.read_maker, "test", never_finishes, by_sender)
    for update_id in ("1", "2", "3"):
        crashed.submit(update_id, await store(app, update_id, "A", f"第{update_id}条"))
    await started.wait()
    await crashed.close()  # the process stops mid-way
    assert await pending_ids(app) == ["1", "2", "3"]

    seen: list[str] = []

    async def handle(update_id: str, payload: dict) -> bool:
        seen.append(payload["text"])
        return True

    restarted = Inbox(app.maker, app.read_maker, "test", handle, by_sender)
    assert await restarted.recover() == 3
    assert await restarted.recover() == 0  # already queued: not twice
    await restarted.settle()
    assert seen == ["第1条", "第2条", "第3条"]
    assert await pending_ids(app) == []


async def test_a_handler_that_raises_does_not_stop_its_chat(app) -> None:
    seen: list[str] = []

    async def handle(update_id: str, payload: dict) -> bool:
        if update_id == "1":
            raise ValueError("a bug")
        seen.append(update_id)
        return True

    inbox = Inbox(app.maker, app.read_maker, "test", handle, by_sender)
    inbox.submit("1", await store(app, "1", "A", "坏的"))
    inbox.submit("2", await store(app, "2", "A", "好的"))
    await inbox.settle()
    assert seen == ["2"] and await pending_ids(app) == []


async def test_receiving_pauses_at_the_backlog_limit(app) -> None:
    release = asyncio.Event()

    async def handle(update_id: str, payload: dict) -> bool:
        await release.wait()
        return True

    inbox = Inbox(app.maker, app.read_maker, "test", handle, by_sender, backlog_limit=4)
    for i in range(4):
        inbox.submit(str(i), await store(app, str(i), f"user{i}", "你好"))
    waiting = asyncio.ensure_future(inbox.room())
    await asyncio.sleep(0.02)
    assert not waiting.done()
    release.set()
    await asyncio.wait_for(waiting, 5)
    await inbox.settle()


async def test_forget_deletes_the_raw_updates_a_resident_sent(app) -> None:
    await store(app, "1", "张阿姨", "楼道灯坏了")
    await store(app, "2", "李叔叔", "停车难")
    chat = Chat(app, "张阿姨", channel="test")
    await chat.say("楼道灯坏了")
    await chat.say("/forget")
    assert "已删除您的个人信息" in await chat.text("1")
    async with app.read_maker() as session:
        senders = list(await session.scalars(select(InboundUpdate.sender)))
        assert senders == ["李叔叔"]
        assert await session.scalar(select(func.count()).select_from(InboundUpdate)) == 1


async def test_an_update_that_never_goes_through_is_given_up(app, monkeypatch) -> None:
    import bot.delivery.inbox

    monkeypatch.setattr(bot.delivery.inbox, "MAX_ATTEMPTS", 3)
    tries: list[str] = []

    async def handle(update_id: str, payload: dict) -> bool:
        tries.append(update_id)
        return update_id != "stuck"

    inbox = Inbox(app.maker, app.read_maker, "test", handle, by_sender, retry_seconds=0.01)
    inbox.submit("stuck", await store(app, "stuck", "A", "发不出去"))
    inbox.submit("next", await store(app, "next", "A", "下一条"))
    await asyncio.wait_for(inbox.settle(), 5)
    assert tries == ["stuck", "stuck", "stuck", "next"]
    assert await pending_ids(app) == []
