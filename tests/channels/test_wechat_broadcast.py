"""Announcements on WeChat: a mass send by tag while the quota lasts, else one by one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.channels.wechat.channel import WeChatChannel
from bot.delivery.sender import deliver_due
from bot.jobs.broadcasts import MassSend, broadcast_tick
from handlers.broadcasts.rules import QuietHours, mass_line
from storage import broadcasts, communities, residents, tags
from storage.engine import transaction
from storage.models import Broadcast, OutboxMessage
from storage.scoping import Scope
from tests.peers.wechat_api_fake import FakeWeChatAPI
from tests.support.fakes import FakeSender, settings

ZONE = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=ZONE)
TZ = "Asia/Shanghai"


@pytest.fixture
def api() -> Iterator[FakeWeChatAPI]:
    with FakeWeChatAPI() as fake:
        yield fake


async def seniors(app, wechat: int = 4, telegram: int = 2) -> None:
    """Residents tagged 老人 on WeChat and Telegram, and one untagged WeChat resident."""
    async with transaction(app.maker) as session:
        community = await communities.ensure_default(session)
        ids = []
        for n in range(wechat):
            person = await residents.create(session, "wechat", f"oSenior{n}", community_id=1)
            ids.append(person.id)
        for n in range(telegram):
            person = await residents.create(session, "telegram", f"{9000 + n}", community_id=1)
            ids.append(person.id)
        await residents.create(session, "wechat", "oYoung", community_id=community.id)
        await tags.tag(session, ids, "老人")


async def announce(app, audience: dict, text: str = "明天上午义诊,请带医保卡。") -> None:
    async with transaction(app.maker) as session:
        session.add(Broadcast(community_id=1, text=text, audience=audience, send_at=NOON))


async def rows(app, channel: str) -> list[OutboxMessage]:
    async with app.read_maker() as session:
        stmt = select(OutboxMessage).where(
            OutboxMessage.broadcast_id.is_not(None), OutboxMessage.channel == channel
        )
        return list(await session.scalars(stmt.order_by(OutboxMessage.id)))


async def test_a_tag_goes_as_one_mass_send_by_a_synced_wechat_tag(app, api) -> None:
    await seniors(app)
    api.add_tag("linli:老人")
    channel = WeChatChannel(app, settings(api))
    # Someone untagged in linli but still in the WeChat tag is taken out before sending.
    api.tag_members[100].add("oLeftTheTag")
    mass = MassSend(channel, quota=4, quota_days=30)
    await announce(app, {"kind": "tag", "tag": "老人"})
    assert await broadcast_tick(app.maker, TZ, QuietHours(), NOON, mass) == 6
    [sent] = api.mass
    assert sent["filter"] == {"tag_id": 100, "is_to_all": False}
    assert sent["text"]["content"] == "明天上午义诊,请带医保卡。"
    assert sent["clientmsgid"] == "linli-broadcast-1"
    assert api.members("linli:老人") == {f"oSenior{n}" for n in range(4)}
    wechat = await rows(app, "wechat")
    assert {r.status for r in wechat} == {"sent"} and len(wechat) == 4
    assert {r.platform_message_id for r in wechat} == {"1001"}
    # Telegram goes one by one as usual; WeChat's rows are not sent again.
    telegram = FakeSender({})
    await deliver_due(app.maker, {"telegram": telegram, "wechat": channel}, concurrency=2)
    assert len(telegram.sent) == 2 and api.sent_texts() == []
    await broadcast_tick(app.maker, TZ, QuietHours(), NOON + timedelta(seconds=5), mass)
    assert len(api.mass) == 1  # once
    # WeChat's own count arrives later as an event, and joins the report.
    async with transaction(app.maker) as session:
        counts = {"status": "send success", "total": 4, "filtered": 4, "sent": 3, "errors": 1}
        assert await broadcasts.record_mass_result(session, "1001", counts)
        item = await session.get(Broadcast, 1)
        assert item.status == "done" and item.wechat_mass == "sent"
    assert mass_line(item) == "微信按标签群发:送达 3,失败 1,被过滤 4(共 4)"


async def test_without_quota_the_tag_goes_one_by_one(app, api) -> None:
    await seniors(app, wechat=3, telegram=0)
    channel = WeChatChannel(app, settings(api))
    mass = MassSend(channel, quota=1, quota_days=1)
    await announce(app, {"kind": "tag", "tag": "老人"}, "第一条")
    await broadcast_tick(app.maker, TZ, QuietHours(), NOON, mass)
    await announce(app, {"kind": "tag", "tag": "老人"}, "第二条")
    await broadcast_tick(app.maker, TZ, QuietHours(), NOON + timedelta(minutes=1), mass)
    assert len(api.mass) == 1
    async with app.read_maker() as session:
        second = await session.get(Broadcast, 2)
    assert second.wechat_mass == "refused: the account's mass-send quota is used up"
    # One by one instead: inside the 48-hour window it arrives, outside it is reported.
    api.fail_next("message/custom/send", 45015)
    await deliver_due(app.maker, {"wechat": channel}, concurrency=1)
    outcome = sorted(
        (r.recipient, r.status) for r in await rows(app, "wechat") if r.broadcast_id == 2
    )
    assert [status for _, status in outcome].count("undeliverable") == 1
    assert [status for _, status in outcome].count("sent") == 2
    undeliverable = next(r for r in await rows(app, "wechat") if r.status == "undeliverable")
    assert undeliverable.error.startswith("45015")


async def test_wechat_refusing_the_mass_send_falls_back(app, api) -> None:
    await seniors(app, wechat=2, telegram=0)
    channel = WeChatChannel(app, settings(api))
    api.fail_next("message/mass/sendall", 45028, "has no masssend quota")
    await announce(app, {"kind": "tag", "tag": "老人"})
    await broadcast_tick(app.maker, TZ, QuietHours(), NOON, MassSend(channel))
    async with app.read_maker() as session:
        item = await session.get(Broadcast, 1)
    assert item.wechat_mass.startswith("refused: 45028")
    await deliver_due(app.maker, {"wechat": channel}, concurrency=1)
    assert sorted(api.sent_texts()) == ["明天上午义诊,请带医保卡。"] * 2


async def test_other_audiences_and_quiet_hours(app, api) -> None:
    await seniors(app, wechat=2, telegram=0)
    channel = WeChatChannel(app, settings(api))
    mass = MassSend(channel)
    await announce(app, {"kind": "all"})  # not a tag: one by one, no mass send
    night = NOON.replace(hour=22)
    async with transaction(app.maker) as session:
        session.add(
            Broadcast(
                community_id=1, text="夜里", audience={"kind": "tag", "tag": "老人"}, send_at=night
            )
        )
    await broadcast_tick(app.maker, TZ, QuietHours(), night, mass)
    assert api.mass == []  # the tag broadcast waits for the morning, like everything else
    morning = NOON.replace(day=25, hour=8, minute=1)
    await broadcast_tick(app.maker, TZ, QuietHours(), morning, mass)
    assert len(api.mass) == 1 and api.mass[0]["text"]["content"] == "夜里"
    async with app.read_maker() as session:
        found = await broadcasts.preview(
            session, Scope.of(1), {"kind": "all"}, "notice", False, 2026
        )
    assert found == {"wechat": 3}
