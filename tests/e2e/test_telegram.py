"""Telegram end to end: linli polling a real Bot API emulator (telegram-test-api)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.delivery.sender import deliver_due
from storage.engine import transaction
from storage.models import OutboxMessage, Resident, Suggestion
from tests.peers.telegram_peer import TOKEN, Peer
from tests.support.chat import make_staff
from tests.support.telegram import RESIDENT, STAFF, keyboard, poll, texts


async def test_suggestion_wrong_topic_and_staff_reply(peer: Peer, linli) -> None:
    app, channel = linli
    await make_staff(app, str(STAFF), channel="telegram")

    peer.say(RESIDENT, "私家车越来越多,要规划好停车位,不能停得横七竖八的。")
    assert await poll(channel) == 1
    inbox = peer.inbox(RESIDENT)
    assert any("已收到您的建议(编号 1,分类:停车)" in t for t in texts(inbox))
    ack = next(m for m in inbox if "编号 1" in m["message"]["text"])
    assert keyboard(ack) == [("分类不对", "topic:1"), ("撤回", "withdraw:1")]

    peer.press(RESIDENT, "topic:1")
    await poll(channel)
    topics = peer.inbox(RESIDENT)
    assert ("绿化", "retopic:1:greenery") in keyboard(topics[-1])
    # The pressed prompt was edited to show the choice, its keyboard removed.
    edited = [m for m in peer.history() if "✅ 分类不对" in m.get("message", {}).get("text", "")]
    assert edited and not edited[0]["message"].get("reply_markup", {}).get("inline_keyboard")

    peer.press(RESIDENT, "retopic:1:greenery")
    await poll(channel)
    assert any("已改为分类:绿化" in t for t in texts(peer.inbox(RESIDENT)))

    peer.say(STAFF, "/reply 1 已联系物业,下周划线", name="小王")
    await poll(channel)
    assert any("已回复编号 1" in t for t in texts(peer.inbox(STAFF)))
    assert await deliver_due(app.maker, {"telegram": channel}) >= 1
    assert any("下周划线" in t for t in texts(peer.inbox(RESIDENT)))


async def test_a_replayed_update_has_no_second_effect(peer: Peer, linli) -> None:
    app, channel = linli
    peer.say(RESIDENT, "楼道灯坏了好几天了")
    await poll(channel)
    async with app.read_maker() as session:
        from storage.models import InboundUpdate

        stored = await session.scalar(select(InboundUpdate))
    assert not await channel.receive(stored.payload)  # redelivered: not stored again
    from telegram import Update

    await channel.application.process_update(Update.de_json(stored.payload, channel.bot))
    async with app.read_maker() as session:
        assert await session.scalar(select(func.count()).select_from(Suggestion)) == 1
    replies = texts(peer.inbox(RESIDENT))
    assert sum("编号 1" in t for t in replies) == 2  # the same answer, sent again


async def test_blocked_user_is_marked_inactive(peer: Peer, linli) -> None:
    app, channel = linli
    await make_staff(app, str(STAFF), channel="telegram")
    peer.say(RESIDENT, "楼道灯坏了好几天了")
    await poll(channel)
    await deliver_due(app.maker, {"telegram": channel})  # the staff alert goes out first
    peer.say(STAFF, "/reply 1 明天修", name="小王")
    await poll(channel)
    peer.fault("sendMessage", 403, description="Forbidden: bot was blocked by the user")
    await deliver_due(app.maker, {"telegram": channel})
    async with app.read_maker() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient == str(RESIDENT))
        )
        resident = await session.scalar(select(Resident).where(Resident.display_name == "张阿姨"))
    assert row.status == "blocked" and resident.active is False


async def test_retry_after_is_honoured(peer: Peer, linli) -> None:
    _, channel = linli
    peer.fault("sendMessage", 429, retry_after=1)
    peer.say(RESIDENT, "垃圾桶满了没人清")
    await poll(channel)
    calls = [c for c in peer.calls("sendMessage")]
    faulted = [c for c in calls if c.get("faulted")]
    assert faulted, calls
    after = [c for c in calls if c["t"] > faulted[0]["t"]]
    assert after and after[0]["t"] - faulted[0]["t"] >= 1.0
    assert any("编号 1" in t for t in texts(peer.inbox(RESIDENT)))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode(peer: Peer, linli) -> None:
    import asyncio

    import httpx

    from bot.channels.telegram.web import webhook_path
    from bot.web.server import http_server

    app, channel = linli
    app.config.http.port = _free_port()
    server = http_server(app, channel)
    web = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{app.config.http.port}"
        await channel.set_webhook(base)
        # The emulator pushes the update to linli's webhook, with the secret header.
        answer = await asyncio.to_thread(peer.say, RESIDENT, "小区门口的路灯坏了三盏")
        assert answer["result"]["delivered"] == "webhook"
        got: list[str] = []
        for _ in range(200):  # the privacy notice comes first, then the answer
            got += texts(peer.inbox(RESIDENT))
            if any("编号 1" in t for t in got):
                break
            await asyncio.sleep(0.05)
        assert any("编号 1" in t for t in got)

        async with httpx.AsyncClient(base_url=base) as client:
            path = webhook_path(TOKEN)
            update = {"update_id": 999, "message": {}}
            wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
            assert (await client.post(path, json=update, headers=wrong)).status_code == 403
            assert (await client.post(path, json=update)).status_code == 403
            assert (await client.post("/telegram/elsewhere", json=update)).status_code == 404
            health = await client.get("/healthz")
            assert health.status_code == 200 and health.json() == {"ok": True}
        async with app.read_maker() as session:
            assert await session.scalar(select(func.count()).select_from(Suggestion)) == 1
    finally:
        server.should_exit = True
        await web


async def test_webhook_rejects_malformed_bodies(peer: Peer, linli) -> None:
    import httpx

    from bot.channels.telegram.web import webhook_path, webhook_secret
    from bot.web.app import build

    app, channel = linli

    async def healthy() -> None:
        return None

    web = build(healthy, telegram=channel)
    headers = {"X-Telegram-Bot-Api-Secret-Token": webhook_secret(TOKEN)}
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://linli") as client:
        path = webhook_path(TOKEN)
        for body in (b"", b"not json", b"[1,2]", b'{"no_update_id": 1}', b"x" * 1_100_000):
            response = await client.post(path, content=body, headers=headers)
            assert response.status_code == 400, body[:20]
        channel.inbox.backlog_limit = 0  # as if a thousand updates were waiting
        update = {"update_id": 77, "message": {"message_id": 1, "date": 0, "text": "你好"}}
        busy = await client.post(path, json=update, headers=headers)
        assert busy.status_code == 503  # Telegram keeps it and tries again later
    async with app.read_maker() as session:
        from storage.models import InboundUpdate

        assert await session.scalar(select(func.count()).select_from(InboundUpdate)) == 0


async def test_command_menus_for_residents_and_staff(peer: Peer, linli) -> None:
    from telegram import BotCommandScopeChat

    app, channel = linli
    await make_staff(app, str(STAFF), channel="telegram")
    await channel.publish_commands()
    everyone = [c.command for c in await channel.bot.get_my_commands()]
    staff_menu = [
        c.command for c in await channel.bot.get_my_commands(scope=BotCommandScopeChat(STAFF))
    ]
    assert "help" in everyone and "open" not in everyone
    assert {"help", "open", "reply", "resolve"} <= set(staff_menu)


def test_staff_invite_link(peer: Peer, tmp_path) -> None:
    import subprocess
    import sys

    config = tmp_path / "linli.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{peer.bot_url}"\n', encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "staff", "invite", "--operator"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("https://t.me/TestNameBot?start=s-")


async def test_blocking_and_unblocking_the_bot(peer: Peer, linli) -> None:
    from telegram import Update

    app, channel = linli
    peer.say(RESIDENT, "你好")
    await poll(channel)

    def member_update(update_id: int, status: str) -> Update:
        user = {"id": RESIDENT, "is_bot": False, "first_name": "张阿姨"}
        bot_user = {"id": 123456, "is_bot": True, "first_name": "linli"}
        payload = {
            "update_id": update_id,
            "my_chat_member": {
                "chat": {"id": RESIDENT, "type": "private"},
                "from": user,
                "date": 0,
                "old_chat_member": {"status": "member", "user": bot_user},
                "new_chat_member": {"status": status, "user": bot_user},
            },
        }
        if status == "kicked":
            payload["my_chat_member"]["new_chat_member"]["until_date"] = 0
        return Update.de_json(payload, channel.bot)

    async def active() -> bool:
        async with app.read_maker() as session:
            return (await session.scalar(select(Resident))).active

    await channel.application.process_update(member_update(900001, "kicked"))
    assert await active() is False
    await channel.application.process_update(member_update(900002, "member"))
    assert await active() is True


async def test_a_failed_send_is_retried_from_the_record(peer: Peer, linli) -> None:
    app, channel = linli
    peer.fault("sendMessage", 502, description="Bad Gateway", count=1)
    peer.say(RESIDENT, "楼道灯坏了好几天了")
    await poll(channel)  # the first send fails; the chat tries again, answered from the record
    got = texts(peer.inbox(RESIDENT))
    assert any("编号 1" in t for t in got)
    async with app.read_maker() as session:
        assert await session.scalar(select(func.count()).select_from(Suggestion)) == 1


async def test_too_old_callback_is_still_acted_on(peer: Peer, linli) -> None:
    _, channel = linli
    peer.say(RESIDENT, "楼道灯坏了好几天了")
    await poll(channel)
    peer.inbox(RESIDENT)
    peer.fault("answerCallbackQuery", 400, description="Bad Request: query is too old")
    peer.press(RESIDENT, "withdraw:1")
    await poll(channel)
    assert any("已撤回" in t for t in texts(peer.inbox(RESIDENT)))


async def test_edits_and_groups_are_ignored(peer: Peer, linli) -> None:
    from telegram import Update

    app, channel = linli
    user = {"id": RESIDENT, "is_bot": False, "first_name": "张阿姨"}
    edited = {
        "update_id": 800001,
        "edited_message": {
            "message_id": 5,
            "date": 0,
            "edit_date": 1,
            "chat": {"id": RESIDENT, "type": "private"},
            "from": user,
            "text": "楼道灯坏了",
        },
    }
    group = {
        "update_id": 800002,
        "message": {
            "message_id": 6,
            "date": 0,
            "chat": {"id": -100, "type": "group", "title": "x"},
            "from": user,
            "text": "楼道灯坏了",
        },
    }
    for payload in (edited, group):
        await channel._on_update(Update.de_json(payload, channel.bot), None)
    async with app.read_maker() as session:
        assert await session.scalar(select(func.count()).select_from(Suggestion)) == 0


async def test_a_long_message_is_not_repeated_when_a_later_part_fails(peer: Peer, linli) -> None:
    from datetime import timedelta

    from telegram.error import NetworkError

    from handlers.types import Reply
    from storage import outbox as outbox_store
    from storage.types import utcnow

    app, channel = linli
    lines = [f"第{i}行:" + "通知内容" * 100 for i in range(12)]  # about 4,900 characters
    async with transaction(app.maker) as session:
        await outbox_store.enqueue(
            session,
            channel="telegram",
            recipient=str(RESIDENT),
            kind="t",
            payload=Reply("\n".join(lines)).to_dict(),
        )
    real_call = channel._call
    calls = []

    async def second_part_fails(method, *args, **kwargs):
        calls.append(args[1] if len(args) > 1 else "")
        if len(calls) == 2:
            raise NetworkError("connection reset")
        return await real_call(method, *args, **kwargs)

    channel._call = second_part_fails
    assert await deliver_due(app.maker, {"telegram": channel}) == 0
    async with transaction(app.maker) as session:
        row = await session.scalar(select(OutboxMessage))
        # A broken connection may have delivered the part: unknown, tried once more.
        assert row.status == "unknown" and row.payload["text"].startswith("第10行")
        row.not_before = utcnow() - timedelta(seconds=1)
    assert await deliver_due(app.maker, {"telegram": channel}) == 1
    received = texts(peer.inbox(RESIDENT))
    assert len(received) == 2 and "\n".join(received) == "\n".join(lines)


async def test_phone_prompt_offers_the_contact_button(peer: Peer, linli) -> None:
    _, channel = linli
    peer.say(RESIDENT, "/phone")
    await poll(channel)
    assert keyboard(peer.inbox(RESIDENT)[-1]) == [("同意", "phone:yes"), ("不用了", "phone:no")]
    peer.press(RESIDENT, "phone:yes")
    await poll(channel)
    markup = peer.inbox(RESIDENT)[-1]["message"]["reply_markup"]
    assert markup["keyboard"] == [[{"text": "📱 分享我的电话", "request_contact": True}]]
    assert markup["one_time_keyboard"] is True


async def test_activity_sign_up_with_buttons(peer: Peer, linli) -> None:
    from tests.support.activities import add, coming

    app, channel = linli
    await add(app, title="社区义诊", keywords="义诊", place="活动中心", starts_at=coming(2))
    peer.say(RESIDENT, "活动")
    await poll(channel)
    listing = peer.inbox(RESIDENT)[-1]
    assert keyboard(listing) == [("社区义诊", "act:show:1")]
    peer.press(RESIDENT, "act:show:1")
    await poll(channel)
    assert keyboard(peer.inbox(RESIDENT)[-1]) == [("报名", "act:join:1")]
    peer.press(RESIDENT, "act:join:1")
    await poll(channel)
    assert "已为您报名:社区义诊" in texts(peer.inbox(RESIDENT))[-1]
