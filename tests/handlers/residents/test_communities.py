"""Several communities in one deployment: joining, and staff who see only their own."""

from __future__ import annotations

from sqlalchemy import select

from storage import communities, staff, suggestion_export
from storage import suggestions as store
from storage.engine import transaction
from storage.models import Resident
from storage.scoping import Scope
from tests.support.chat import Chat


async def _two_communities(app) -> tuple[int, int]:
    async with transaction(app.maker) as session:
        east = await communities.add(session, "east", "东苑小区")
        west = await communities.add(session, "west", "西苑小区")
        await staff.add(session, "console", "东苑小王", east.id)
        await staff.add(session, "console", "西苑小李", west.id)
        await staff.add(session, "console", "总部老周", None)
        return east.id, west.id


async def test_single_community_is_invisible(app) -> None:
    reply = await Chat(app, "张阿姨").text("楼道灯坏了")
    assert "选择" not in reply and "编号 1" in reply


async def test_resident_chooses_a_community_and_the_message_waits(app) -> None:
    _, west = await _two_communities(app)
    chat = Chat(app, "张阿姨")
    ask = await chat.say("楼道灯坏了")
    assert "请选择您住的小区" in ask[-1].text
    labels = [b.label for row in ask[-1].buttons for b in row]
    assert labels == ["我的小区", "东苑小区", "西苑小区"]
    joined = await chat.text("3")
    assert "已加入“西苑小区”" in joined and "编号 1" in joined  # the first message was kept
    async with app.read_maker() as session:
        resident = await session.scalar(select(Resident).where(Resident.display_name == "张阿姨"))
    assert resident.community_id == west


async def test_invite_payload_joins_directly(app) -> None:
    await _two_communities(app)
    assert "已加入“东苑小区”" in await Chat(app, "老陈").text("/start", start_payload="c-east")


async def test_resident_can_move(app) -> None:
    await _two_communities(app)
    chat = Chat(app, "张阿姨")
    await chat.say("", start_payload="c-east")
    assert "请选择您住的小区" in await chat.text("切换小区")
    assert "已加入“西苑小区”" in await chat.text("3")


async def test_staff_of_one_community_cannot_see_another(app) -> None:
    east, west = await _two_communities(app)
    await Chat(app, "东苑居民").say("", start_payload="c-east")
    await Chat(app, "东苑居民").say("东苑的停车位太少了")  # #1
    await Chat(app, "西苑居民").say("", start_payload="c-west")
    await Chat(app, "西苑居民").say("西苑的垃圾没人清理")  # #2

    west_staff = Chat(app, "西苑小李")
    listing = await west_staff.text("/open")
    assert "#2" in listing and "#1" not in listing
    for command in ("/reply 1 你好", "/resolve 1", "/close 1", "/topic 1 绿化"):
        assert "没有找到编号 1" in await west_staff.text(command)
    assert "建议共 1 条" in await west_staff.text("/stats")

    operator = Chat(app, "总部老周")
    listing = await operator.text("/open")
    assert "#1" in listing and "#2" in listing and "east" in listing

    async with app.read_maker() as session:
        assert await store.get_scoped(session, Scope.of(west), 1) is None
        assert (await store.get_scoped(session, Scope.of(east), 1)) is not None
        rows = await suggestion_export.export_rows(session, Scope.of(west))
        assert [r["id"] for r in rows] == [2]
        assert await store.list_active(session, Scope.of(west)) != []


async def test_staff_of_several_switch_community(app) -> None:
    east, west = await _two_communities(app)
    async with transaction(app.maker) as session:
        await staff.add(session, "console", "片区老吴", east)
        await staff.add(session, "console", "片区老吴", west)
    await Chat(app, "东苑居民").say("", start_payload="c-east")
    await Chat(app, "东苑居民").say("东苑的停车位太少了")
    await Chat(app, "西苑居民").say("", start_payload="c-west")
    await Chat(app, "西苑居民").say("西苑的垃圾没人清理")
    both = Chat(app, "片区老吴")
    assert "#1" in await both.text("/open") and "#2" in await both.text("/open")
    assert "已切换到:西苑小区" in await both.text("/community west")
    listing = await both.text("/open")
    assert "#2" in listing and "#1" not in listing
    assert "您不负责" in await both.text("/community default")
    choose = await both.say("/community")
    assert [b.label for row in choose[0].buttons for b in row] == ["东苑小区", "西苑小区"]
    assert "已切换到:东苑小区" in await both.text("1")


async def test_staff_invite_is_single_use_and_scoped(app) -> None:
    from datetime import timedelta

    from storage.types import utcnow

    east, _ = await _two_communities(app)
    async with transaction(app.maker) as session:
        code = await staff.create_invite(session, east, utcnow(), timedelta(hours=1))
        old = await staff.create_invite(
            session, east, utcnow() - timedelta(hours=2), timedelta(hours=1)
        )
    newcomer = Chat(app, "新来的小赵", channel="telegram")
    assert "已成为“东苑小区”的工作人员" in await newcomer.text("/start", start_payload=f"s-{code}")
    assert "待处理建议" in await newcomer.text("/open") or "没有待处理" in await newcomer.text(
        "/open"
    )
    someone = Chat(app, "路人", channel="telegram")
    assert "无效" in await someone.text("/start", start_payload=f"s-{code}")  # used already
    assert "无效" in await someone.text("/start", start_payload=f"s-{old}")  # expired
    assert "建议共" not in await someone.text("/stats")
