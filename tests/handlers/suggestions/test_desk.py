"""Staff see what residents sent: /open filtered and paged, 详情 N with text, history, photos."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from handlers.types import Media
from storage.engine import transaction
from storage.models import AuditLog, Suggestion
from storage.types import utcnow
from tests.support.chat import Chat, make_staff, resident

PARKING = "小区东门口每天晚上都有外来车辆乱停,车位全被占了,自己家的车没地方停"
GREEN = "3栋门口的绿化带里杂草长得很高,蚊子特别多,麻烦安排人修剪一下"


async def test_open_filters_by_building_topic_status_and_waiting_too_long(app) -> None:
    east = await resident(app, "三栋张阿姨", building="3")
    west = await resident(app, "五栋李叔", building="5")
    await east.say(PARKING)  # 1
    await east.say(GREEN)  # 2
    await west.say("5栋楼下停车位太少了,晚上回来根本没地方停车")  # 3
    staff = await make_staff(app, greet=True)
    assert "共 3 条" in await staff.text("/open")
    three = await staff.text("/open 3栋")
    assert "(3栋)共 2 条" in three and "#1" in three and "#2" in three and "#3" not in three
    parking = await staff.text("/open 停车")
    assert "#1" in parking and "#3" in parking and "#2" not in parking
    both = await staff.text("/open 3栋 停车")
    assert "共 1 条" in both and "#1" in both
    await staff.say("/reply 3 已经在和物业商量增加车位")
    replied = await staff.text("/open 已回复")
    assert "#3" in replied and "#1" not in replied
    async with transaction(app.maker) as session:  # #2 has waited a week untouched
        await session.execute(
            update(Suggestion).where(Suggestion.id == 2).values(updated_at=utcnow() - timedelta(7))
        )
    overdue = await staff.text("/open 超期")
    assert "#2" in overdue and "#1" not in overdue and "超过3天没人处理" in overdue
    assert "没看懂“蓝色”" in await staff.text("/open 蓝色")
    assert "没有待处理的建议(5栋,绿化)" in await staff.text("/open 5栋 绿化")


async def test_open_pages_through_many(app) -> None:
    for n in range(22):
        await Chat(app, f"居民{n}").say(f"{n + 1}号楼的楼道灯坏了好几天了,晚上看不见路,请尽快来修")
    staff = await make_staff(app, greet=True)
    first = await staff.text("/open")
    assert "共 22 条(第 1/2 页)" in first and "下一页:/open 第2页" in first
    assert first.count("\n#") == 20
    second = await staff.text("/open 第2页")
    assert "第 2/2 页" in second and second.count("\n#") == 2 and "下一页" not in second
    assert "第 2/2 页" in await staff.text("/open 第九页")  # past the end: the last page


async def test_show_has_the_whole_text_the_history_the_photo_and_the_place(app) -> None:
    author = Chat(app, "tg-42", channel="telegram")
    await author.say("你好")
    await author.say("", media=(Media("photo", "AgAD-photo-1"),))
    await author.say("", location=(30.2741, 120.1551))
    await author.say(PARKING + ",已经跟保安说过好几次了还是没用")
    neighbour = Chat(app, "邻居")
    await neighbour.say(PARKING)
    await neighbour.say(button="merge:2:1")
    staff = await make_staff(app, greet=True)
    await staff.say("/reply 1 明天和保安一起去东门看看")
    [text, picture] = await staff.say("详情 1")
    shown = text.text
    assert PARKING + ",已经跟保安说过好几次了还是没用" in shown  # not cut to 50 characters
    assert "支持的邻居:1 人" in shown and "工作人员回复:明天和保安一起去东门看看" in shown
    assert "照片 1 张" in shown and "uri.amap.com/marker?position=120.155100,30.274100" in shown
    assert picture.image == "AgAD-photo-1"  # a Telegram photo is sent again by its file id
    assert "[停车]" in shown and "待处理" not in shown  # replied
    async with app.read_maker() as session:
        actions = list(await session.scalars(select(AuditLog.action)))
    assert "suggestion.show" in actions


async def test_show_refuses_what_is_not_there_or_not_theirs(app) -> None:
    staff = await make_staff(app, greet=True)
    assert "用法" in await staff.text("详情")
    assert "没有找到编号 99" in await staff.text("/show 99")
    assert "没有找到编号 1" in await staff.text("详情 一")
    assert "只有社区工作人员" in await Chat(app, "居民").text("/show 1")
