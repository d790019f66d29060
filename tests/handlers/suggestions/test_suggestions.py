"""A resident's suggestion from message to rating, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import OutboxMessage, Suggestion, SuggestionRating, SuggestionSupporter
from tests.support.chat import Chat, make_staff

PARKING = "私家车越来越多,要规划好停车位,不能停得横七竖八的。"


async def _suggestions(app) -> list[Suggestion]:
    async with app.read_maker() as session:
        return list(await session.scalars(select(Suggestion).order_by(Suggestion.id)))


async def _outbox(app, recipient: str) -> list[OutboxMessage]:
    async with app.read_maker() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        return list(await session.scalars(stmt.order_by(OutboxMessage.id)))


async def test_first_message_is_stored_numbered_and_classified(app) -> None:
    replies = await Chat(app, "张阿姨").say(PARKING)
    assert "隐私说明" in replies[0].text  # first contact
    ack = replies[-1]
    assert "已收到您的建议(编号 1,分类:停车)" in ack.text
    assert [b.label for row in ack.buttons for b in row] == ["分类不对", "撤回"]
    [stored] = await _suggestions(app)
    assert stored.text == PARKING and stored.topic == "parking" and stored.status == "open"
    assert stored.created_at.tzinfo is not None
    # The privacy notice is shown once only.
    assert "隐私说明" not in await Chat(app, "张阿姨").text("楼道灯坏了好几天了")


async def test_wrong_topic_by_number_and_by_button(app) -> None:
    chat = Chat(app, "李大爷")
    await chat.say(PARKING)
    menu = await chat.say("1")
    assert "请选择正确的分类" in menu[0].text
    labels = [b.label for row in menu[0].buttons for b in row]
    assert labels.index("绿化") == 2
    assert "已改为分类:绿化" in await chat.text("3")
    [stored] = await _suggestions(app)
    assert stored.topic == "greenery"
    # Pressing a stale button of someone else's suggestion changes nothing.
    assert "过期" in await Chat(app, "王阿姨").text(button="retopic:1:noise")
    [stored] = await _suggestions(app)
    assert stored.topic == "greenery"


async def test_withdraw_and_my_suggestions(app) -> None:
    chat = Chat(app, "陈女士")
    await chat.say("广场舞音响太吵了,晚上九点以后还在放")
    await chat.say("小区门口的公交车半小时才来一趟")
    assert "已撤回您的建议(编号 1)" in await chat.text("撤回 1")
    listing = await chat.text("我的建议")
    assert "编号 1|噪音扰民|已撤回" in listing and "编号 2|交通出行|待处理" in listing
    assert "没有找到您的编号 2" in await Chat(app, "别人").text("撤回 2")
    assert (await _suggestions(app))[1].status == "open"


async def test_similar_suggestion_is_offered_and_merged(app) -> None:
    await Chat(app, "赵先生").say("小区停车位太少了,晚上回来没地方停车")
    second = Chat(app, "钱女士")
    offer = await second.text("停车位不够用,晚上回家找不到地方停车")
    assert "编号 2" in offer and "已有 1 位邻居反映了类似问题" in offer and "编号 1" in offer
    assert "已合并到编号 1,现在共有 2 位邻居关注" in await second.text("1")
    first, merged = await _suggestions(app)
    assert merged.status == "merged" and merged.merged_into_id == first.id
    async with app.read_maker() as session:
        supporters = await session.scalar(select(func.count()).select_from(SuggestionSupporter))
    assert supporters == 1
    # A third neighbour now hears of two.
    assert "已有 2 位邻居" in await Chat(app, "孙大爷").text("晚上停车位不够,车没地方停")


async def test_different_problem_of_same_topic_is_not_offered(app) -> None:
    await Chat(app, "赵先生").say("小区停车位太少了,晚上回来没地方停车")
    reply = await Chat(app, "钱女士").text("充电桩只有两个,电动汽车排队充电要等一晚上")
    assert "类似问题" not in reply


async def test_staff_reply_resolve_and_rating_reach_author_and_supporters(app) -> None:
    await make_staff(app, "小王")
    staff = Chat(app, "小王")
    await Chat(app, "赵先生").say("小区停车位太少了,晚上回来没地方停车")
    supporter = Chat(app, "钱女士")
    await supporter.say("停车位不够用,晚上回家找不到地方停车")
    await supporter.say("1")  # merge
    assert "新建议 #1 [停车]" in (await _outbox(app, "小王"))[0].payload["text"]

    listing = await staff.text("/open")
    assert "#1" in listing and "2人" in listing and "#2" not in listing
    assert "已回复编号 1,2 位居民会收到" in await staff.text("/reply 1 已联系物业,下周划线")
    for person in ("赵先生", "钱女士"):
        texts = [m.payload["text"] for m in await _outbox(app, person)]
        assert any("社区回复了您的建议(编号 1)" in t and "下周划线" in t for t in texts)

    assert "已请 2 位居民评价" in await staff.text("/resolve 1 已划线")
    author = Chat(app, "赵先生")
    assert "谢谢您的评价(5 分)" in await author.text("5")  # typed number maps to the button
    assert "已经评价过" in await author.text(button="rate:1:4")
    [first, _] = await _suggestions(app)
    assert first.status == "closed"
    assert "重新打开" in await supporter.text("没解决")
    [first, _] = await _suggestions(app)
    assert first.status == "reopened"
    async with app.read_maker() as session:
        ratings = list(await session.scalars(select(SuggestionRating)))
    assert sorted((r.score or 0, r.unresolved) for r in ratings) == [(0, True), (5, False)]


async def test_staff_commands_check_input(app) -> None:
    await make_staff(app, "小王")
    staff = Chat(app, "小王")
    assert "用法:/reply" in await staff.text("/reply")
    assert "没有找到编号 99" in await staff.text("/reply 99 你好")
    await Chat(app, "居民").say("楼道灯坏了一个星期了")
    assert "请输入要回复给居民的内容" in await staff.text("/reply 1")
    assert "已回复编号 1" in await staff.text("师傅明天来修")
    assert "用法:/topic" in await staff.text("/topic 1 不存在的分类")
    assert "分类已改为:安全" in await staff.text("/topic 1 安全")
    stats = await staff.text("/stats")
    assert "建议共 1 条" in stats and "安全:1/1" in stats
    assert "只有社区工作人员可以用" in await Chat(app, "居民").text("/stats")


async def test_urgent_message_gets_numbers_at_once_and_alerts_staff(app) -> None:
    await make_staff(app, "小王")
    replies = await Chat(app, "刘奶奶").say("电梯困人了,我被关在3栋电梯里")
    assert "110" in replies[1].text and "119" in replies[1].text and "120" in replies[1].text
    assert "警铃" in replies[1].text
    # Nothing about suggestion numbers or categories: the numbers, what to do, staff told.
    assert "已通知社区工作人员" in replies[2].text
    assert not any("编号" in r.text or "分类" in r.text for r in replies)
    [alert] = await _outbox(app, "小王")
    assert alert.urgent and "【紧急·电梯困人】#1 刘奶奶" in alert.payload["text"]
    [stored] = await _suggestions(app)
    assert stored.urgent
    # A past danger is a suggestion, not an emergency.
    past = await Chat(app, "刘奶奶").text("上次电梯困人的事,希望物业加强维护")
    assert "110" not in past
