"""Staff announcements: the guided /broadcast, audiences, quiet hours, the report, opt-outs."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.delivery.sender import RecipientBlocked, deliver_due
from bot.jobs.broadcasts import broadcast_tick
from handlers.broadcasts.rules import QuietHours
from storage import broadcasts, residents, tags
from storage.engine import transaction
from storage.models import (
    Activity,
    Broadcast,
    ChannelAccount,
    OutboxMessage,
    Registration,
    Resident,
)
from storage.scoping import Scope
from tests.support.broadcasts import QUIET, town
from tests.support.chat import Chat
from tests.support.fakes import FakeSender
from tests.support.waiting import until

ZONE = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 24, 10, 0, tzinfo=ZONE)  # a Tuesday morning, outside quiet hours


async def staff_chat(app) -> Chat:
    worker = Chat(app, "小王")
    await worker.say("你好", received_at=DAY)
    return worker


async def deliveries(app) -> list[OutboxMessage]:
    async with app.read_maker() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.broadcast_id.is_not(None))
        return list(await session.scalars(stmt.order_by(OutboxMessage.id)))


async def test_guided_broadcast_preview_send_and_report(app) -> None:
    await town(app)
    worker = await staff_chat(app)
    assert "通知内容" in await worker.text("/broadcast", received_at=DAY)
    assert "发给谁" in await worker.text("明天9点到12点3栋停水,请提前储水。", received_at=DAY)
    assert "哪种通知" in await worker.text("3栋", received_at=DAY)
    preview = await worker.text("普通通知", received_at=DAY)
    # 3栋: 居民0…5; 居民1 has WeChat too: Telegram 4 (1, 2, 4, 5), WeChat 3 (0, 3, w-1).
    assert "发给:3栋的居民" in preview and "共 7 条(Telegram 4,微信 3)" in preview
    assert "开始发送" in await worker.text("立即发送", received_at=DAY)
    assert await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY) == 7
    assert await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY) == 0  # once
    rows = await deliveries(app)
    assert sorted(r.recipient for r in rows) == sorted(
        ["telegram-1", "telegram-2", "telegram-4", "telegram-5", "wechat-0", "wechat-3", "w-1"]
    )
    blocked = RecipientBlocked("Forbidden: bot was blocked by the user")
    telegram = FakeSender({"telegram-2": blocked})
    wechat = FakeSender({})
    sent = await deliver_due(app.maker, {"telegram": telegram, "wechat": wechat}, concurrency=4)
    assert sent == 6 and ("telegram-1", "明天9点到12点3栋停水,请提前储水。") in telegram.sent
    progress = await worker.text("/bcreport 1", received_at=DAY)
    assert "已送达 6,失败 0,已屏蔽 1,无法送达 0" in progress
    await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY + timedelta(seconds=5))
    async with app.read_maker() as session:
        report = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "broadcast_report")
        )
        done = await session.get(Broadcast, 1)
    assert report.recipient == "小王" and "【通知发送报告】#1" in report.payload["text"]
    assert "Telegram:已送达 3,失败 0,已屏蔽 1" in report.payload["text"]
    assert done.status == "done" and done.report["telegram:blocked"] == 1


async def test_audiences_opt_outs_and_blocked_residents(app) -> None:
    ids = await town(app)
    async with transaction(app.maker) as session:
        activity = Activity(community_id=1, title="义诊", starts_at=DAY + timedelta(days=2))
        session.add(activity)
        await session.flush()
        for name in ("居民4", "居民9"):
            session.add(Registration(activity_id=activity.id, resident_id=ids[name], code="x"))
        await tags.opt_out(session, ids["居民0"], "activity")
        await residents.set_active(session, ids["居民11"], False)

    async def count(audience: dict, kind: str = "notice", urgent: bool = False) -> int:
        async with app.read_maker() as session:
            found = await broadcasts.preview(session, Scope.of(1), audience, kind, urgent, 2026)
        return sum(found.values())

    assert await count({"kind": "all"}) == 12  # 11 active residents, one with two accounts
    assert await count({"kind": "tag", "tag": "老人"}) == 4
    assert await count({"kind": "tag", "tag": "老人"}, "activity") == 3  # 居民0 opted out
    assert await count({"kind": "tag", "tag": "老人"}, "activity", urgent=True) == 4
    assert await count({"kind": "age", "min": 80}) == 3  # 86 and 81 (two accounts)
    assert await count({"kind": "age", "min": 30, "max": 40}) == 1  # 36; 31 is inactive
    assert await count({"kind": "activity", "activity_id": activity.id}) == 2
    assert await count({"kind": "building", "building": "9"}) == 0
    assert await count({"kind": "all"}, "notice") == await count({"kind": "all"}, "activity") + 1


async def test_quiet_hours_hold_ordinary_notices_not_urgent_ones(app) -> None:
    await town(app)
    night = datetime(2026, 11, 24, 22, 30, tzinfo=ZONE)
    async with transaction(app.maker) as session:
        for urgent in (False, True):
            session.add(
                Broadcast(
                    community_id=1,
                    text="停电" if urgent else "周末义诊",
                    urgent=urgent,
                    audience={"kind": "tag", "tag": "老人"},
                    send_at=night,
                )
            )
    assert await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, night) == 8
    waits = {r.broadcast_id: r.not_before.astimezone(ZONE) for r in await deliveries(app)}
    assert waits[1] == datetime(2026, 11, 25, 8, 0, tzinfo=ZONE)
    assert waits[2] == night
    assert QUIET.next_allowed(datetime(2026, 11, 25, 7, 59, tzinfo=ZONE)).time() == time(8, 0)
    assert not QuietHours(time(9), time(9)).holds(night)


async def test_a_scheduled_broadcast_waits_and_can_be_cancelled(app) -> None:
    await town(app)
    worker = await staff_chat(app)
    await worker.say("/broadcast", received_at=DAY)
    await worker.say("周六上午社区大扫除,欢迎参加。", received_at=DAY)
    await worker.say("全体", received_at=DAY)
    await worker.say("活动通知", received_at=DAY)
    assert "什么时候发" in await worker.text("定时发送", received_at=DAY)
    assert "已经过去了" in await worker.text("昨天 9:00", received_at=DAY)
    assert "11月25日(周三)09:00 发送" in await worker.text("明天 9:00", received_at=DAY)
    assert await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY) == 0
    assert "待发送" in await worker.text("/broadcasts", received_at=DAY)
    assert "已取消通知 #1" in await worker.text("/bccancel 1", received_at=DAY)
    later = DAY + timedelta(days=1)
    assert await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, later) == 0
    assert "已取消,不能取消" in await worker.text("/bccancel 1", received_at=DAY)


async def test_fanning_out_twice_writes_nothing_more(app) -> None:
    await town(app)
    async with transaction(app.maker) as session:
        session.add(Broadcast(community_id=1, text="通知", audience={"kind": "all"}, send_at=DAY))
        await session.flush()
        item = await session.get(Broadcast, 1)
        assert await broadcasts.fan_out(session, item, Scope.of(1), DAY, DAY) == 13
    async with transaction(app.maker) as session:
        item = await session.get(Broadcast, 1)
        try:
            async with session.begin_nested():
                await broadcasts.fan_out(session, item, Scope.of(1), DAY, DAY)
        except Exception as exc:  # the unique delivery key refuses the second set
            assert "unique" in str(exc).lower()
    assert len(await deliveries(app)) == 13


async def test_bad_broadcast_input_is_explained(app) -> None:
    await town(app)
    worker = await staff_chat(app)
    await worker.say("/broadcast", received_at=DAY)
    assert "太长了" in await worker.text("通" * 2001, received_at=DAY)
    await worker.say("停水通知", received_at=DAY)
    assert "没看懂" in await worker.text("隔壁小区", received_at=DAY)
    assert "没看懂" in await worker.text("150-200岁", received_at=DAY)
    assert "没有编号为 99 的活动" in await worker.text("活动 99", received_at=DAY)
    assert "哪种通知" in await worker.text("60岁以上", received_at=DAY)
    assert "好的,这条通知不发了" not in await worker.text("随便", received_at=DAY)
    assert "没有找到编号为 7 的通知" in await worker.text("/bcreport 7", received_at=DAY)
    assert "请写通知编号" in await worker.text("/bcreport", received_at=DAY)
    resident = Chat(app, "路人")
    assert "只有社区工作人员" in await resident.text("/broadcast", received_at=DAY)
    async with app.read_maker() as session:
        assert await session.scalar(select(func.count()).select_from(Broadcast)) == 0


async def test_residents_opt_out_of_a_kind_and_back(app) -> None:
    chat = Chat(app, "李奶奶")
    await chat.say("你好", received_at=DAY)
    assert "不再给您发活动通知" in await chat.text("退订活动通知", received_at=DAY)
    shown = await chat.text("我的订阅", received_at=DAY)
    assert "活动通知:不收" in shown and "社区通知:收" in shown
    async with app.read_maker() as session:
        me = await session.scalar(select(Resident))
        assert await tags.opted_out(session, me.id) == {"activity"}
    await chat.say("订阅活动通知", received_at=DAY)
    async with app.read_maker() as session:
        assert await tags.opted_out(session, me.id) == set()


async def test_staff_tag_residents_by_name(app) -> None:
    await town(app)
    worker = await staff_chat(app)
    assert "居民3 的标签:志愿者" in await worker.text("/tag 居民3 志愿者", received_at=DAY)
    assert "已去掉" in await worker.text("/tag 居民3 志愿者 取消", received_at=DAY)
    assert "找到 0 位" in await worker.text("/tag 没这人 志愿者", received_at=DAY)
    assert "用法" in await worker.text("/tag 居民3", received_at=DAY)


async def test_two_accounts_on_one_channel_get_it_once_and_block_nothing(app) -> None:
    ids = await town(app)
    async with transaction(app.maker) as session:
        session.add(
            ChannelAccount(resident_id=ids["居民2"], channel="telegram", external_id="t-2b")
        )
        for text in ("第一条", "第二条"):
            session.add(Broadcast(community_id=1, text=text, audience={"kind": "all"}, send_at=DAY))
    assert await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY) == 26
    async with app.read_maker() as session:
        statuses = set(await session.scalars(select(Broadcast.status)))
    assert statuses == {"sending"}


async def test_calling_off_a_broadcast_while_it_sends(app) -> None:
    await town(app)
    worker = await staff_chat(app)
    async with transaction(app.maker) as session:
        session.add(
            Broadcast(
                community_id=1,
                text="取消的通知",
                audience={"kind": "all"},
                send_at=DAY,
                created_by="console:小王",
            )
        )
    await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY)
    await deliver_due(app.maker, {"telegram": FakeSender({})}, batch=3)  # three went out
    async with transaction(app.maker) as session:  # one came back from a 429 as pending…
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.status == "pending").limit(1)
        )
        row.status = "unknown"  # …and one's outcome is unknown
    assert "已停止通知 #1" in await worker.text("/bccancel 1", received_at=DAY)
    assert await deliver_due(app.maker, {"telegram": FakeSender({}), "wechat": FakeSender({})}) == 0
    await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY + timedelta(seconds=5))
    async with app.read_maker() as session:
        report = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "broadcast_report")
        )
        item = await session.get(Broadcast, 1)
    assert item.status == "cancelled" and item.done_at is not None
    # Thirteen residents and the staff member on the console: 3 sent, the 11 others called off.
    assert "已送达 3" in report.payload["text"] and "已撤回 11" in report.payload["text"]


async def test_waiting_for_a_429_costs_no_try_and_quiet_hours_hold_at_claim(app) -> None:
    from bot.delivery.sender import RetryLater, claim

    await town(app)
    async with transaction(app.maker) as session:
        session.add(Broadcast(community_id=1, text="普通", audience={"kind": "all"}, send_at=DAY))
    await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY)
    flood = {f"telegram-{n}": RetryLater(1) for n in range(12)}
    await deliver_due(app.maker, {"telegram": FakeSender(flood)}, batch=2)
    rows = [r for r in await deliveries(app) if r.channel == "telegram"]
    assert {r.attempts for r in rows} == {0}  # the two postponed got their attempt back
    held = await claim(app.maker, ["telegram", "wechat"], 50, hold_broadcasts=True)
    assert held == []  # quiet hours: ordinary announcements wait, even those already written


async def test_a_live_workers_claim_is_not_taken_however_old(app) -> None:
    from storage import outbox, workers
    from storage.models import Worker

    await town(app)
    async with transaction(app.maker) as session:
        session.add(Broadcast(community_id=1, text="x", audience={"kind": "all"}, send_at=DAY))
    await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY)
    now = datetime.now(ZONE)
    async with transaction(app.maker) as session:
        session.add(Worker(id="alive", role="worker", seen_at=now))
        claimed = await outbox.claim_due(session, ["telegram"], now, 2, worker_id="alive")
        gone = await outbox.claim_due(session, ["telegram"], now, 2, worker_id="gone")
        for row in claimed + gone:
            row.claimed_at = now - timedelta(hours=1)
    async with transaction(app.maker) as session:
        released = await outbox.release_stale(
            session, now - timedelta(minutes=5), workers.live(now - timedelta(seconds=20))
        )
    assert released == 2  # the dead worker's two, not the live one's


def test_pictures_a_staff_member_sent_go_as_file_ids(tmp_path) -> None:
    from bot.channels.telegram.channel import _photo

    picture = tmp_path / "water.jpg"
    picture.write_bytes(b"\xff\xd8jpeg")
    assert _photo("AgACAgUAAxkBAAI") == "AgACAgUAAxkBAAI"  # a Telegram file_id
    assert _photo("https://example.org/a.jpg") == "https://example.org/a.jpg"
    assert _photo(str(picture)) == b"\xff\xd8jpeg"


def test_telegram_errors_sorted_by_what_they_mean() -> None:
    import httpx
    from telegram.error import BadRequest, NetworkError

    from bot.channels.telegram.channel import TelegramChannel
    from bot.delivery.sender import OutcomeUnknown, Undeliverable

    never_left = NetworkError("httpx.ConnectError: refused")
    never_left.__cause__ = httpx.ConnectError("refused")
    assert TelegramChannel._translate(never_left) is never_left  # retried with backoff
    assert isinstance(TelegramChannel._translate(NetworkError("reset")), OutcomeUnknown)
    assert isinstance(TelegramChannel._translate(BadRequest("Chat not found")), Undeliverable)


async def test_a_worker_that_cannot_beat_sends_nothing(app) -> None:
    import asyncio

    from bot.delivery.workers import Presence, send_forever

    await town(app)
    async with transaction(app.maker) as session:
        session.add(Broadcast(community_id=1, text="x", audience={"kind": "all"}, send_at=DAY))
    await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY)
    presence = Presence(app.maker, "worker", timeout=timedelta(seconds=4))
    assert not presence.healthy()  # never beat yet
    sender, stop = FakeSender({}), asyncio.Event()
    senders = {"telegram": sender, "wechat": sender}
    loop = asyncio.create_task(
        send_forever(
            app.maker,
            senders,
            stop,
            worker_id=presence.id,
            batch=5,
            concurrency=2,
            idle_seconds=0.05,
            healthy=presence.healthy,
        )
    )
    await asyncio.sleep(0.5)
    assert sender.sent == []  # its rows may be taken by others: it must not send them
    await presence.start()  # a beat recorded: healthy again
    await until(lambda: len(sender.sent) == 13, what="the 13 messages")
    stop.set()
    await loop
    await presence.stop()
    assert [(r.status, r.error) for r in await deliveries(app) if r.status != "sent"] == []
    assert len(sender.sent) == 13


async def test_a_joining_worker_sends_only_once_the_others_count_it(app) -> None:
    import asyncio

    from bot.delivery.workers import Presence

    heard: list[tuple[str, int]] = []
    timeout = timedelta(seconds=4)  # beats every second
    first = Presence(app.maker, "worker", lambda n: heard.append(("first", n)), timeout)
    await first.start()
    assert first.healthy()  # alone: sends at once, at the whole rate
    second = Presence(app.maker, "worker", lambda n: heard.append(("second", n)), timeout)
    await second.start()
    assert heard == [("first", 1), ("second", 2)]
    # Until the first one's next beat it still sends at the whole rate: the second must wait.
    assert not second.healthy()
    for _ in range(100):  # up to 5 s; it joins after 1.2 s
        if second.healthy():
            break
        await asyncio.sleep(0.05)
    assert second.healthy()
    assert ("first", 2) in heard  # by then the first has taken its half
    await second.stop()
    await first.stop()


async def test_rows_held_back_while_unhealthy_are_handed_back(app) -> None:
    import asyncio

    from bot.delivery.workers import Presence, send_forever

    await town(app)
    async with transaction(app.maker) as session:
        session.add(Broadcast(community_id=1, text="x", audience={"kind": "all"}, send_at=DAY))
    await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY)
    presence = Presence(app.maker, "worker", timeout=timedelta(seconds=60))
    await presence.start()
    well = [True]

    class Slow(FakeSender):
        async def send(self, recipient: str, reply, kind: str = "") -> str | None:
            await asyncio.sleep(0.05)
            return await super().send(recipient, reply, kind)

    sender, stop = Slow({}), asyncio.Event()
    loop = asyncio.create_task(
        send_forever(
            app.maker,
            {"telegram": sender, "wechat": sender},
            stop,
            worker_id=presence.id,
            batch=13,
            concurrency=1,
            idle_seconds=0.05,
            healthy=lambda: well[0],
        )
    )
    await asyncio.sleep(0.2)
    well[0] = False  # the rest of the batch is held back, not sent
    await asyncio.sleep(0.3)
    held = len(sender.sent)
    assert held < 13
    well[0] = True
    await until(lambda: len(sender.sent) >= 13, what="the rest of the batch")
    stop.set()
    await loop
    await presence.stop()
    assert sorted(r for r, _ in sender.sent) == sorted(set(r for r, _ in sender.sent))
    assert len(sender.sent) == 13


async def test_the_send_loop_outlives_a_failed_write(app, monkeypatch) -> None:
    import asyncio

    from bot.delivery.workers import Presence, send_forever
    from storage import outbox

    await town(app)
    async with transaction(app.maker) as session:
        session.add(Broadcast(community_id=1, text="x", audience={"kind": "all"}, send_at=DAY))
    await broadcast_tick(app.maker, "Asia/Shanghai", QUIET, DAY)
    real, failures = outbox.mark_sent, [2]

    async def flaky(*args, **kwargs):
        if failures[0]:
            failures[0] -= 1
            raise ConnectionError("database away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(outbox, "mark_sent", flaky)
    presence = Presence(app.maker, "worker", timeout=timedelta(seconds=60))
    await presence.start()
    sender, stop = FakeSender({}), asyncio.Event()
    loop = asyncio.create_task(
        send_forever(
            app.maker,
            {"telegram": sender, "wechat": sender},
            stop,
            worker_id=presence.id,
            batch=5,
            concurrency=2,
            idle_seconds=0.05,
        )
    )

    async def all_recorded() -> bool:
        return all(r.status == "sent" for r in await deliveries(app))

    await until(all_recorded, what="every delivery recorded as sent")
    stop.set()
    await loop
    await presence.stop()
    assert [(r.status, r.error) for r in await deliveries(app) if r.status != "sent"] == []
    assert len(sender.sent) == 13  # recorded late, never sent twice
