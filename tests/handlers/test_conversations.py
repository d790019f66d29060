"""Conversations a senior cannot break: a question asked stays asked, yes and no and numbers in
all their forms, chit-chat answered and never filed, a help menu whose numbers work."""

from __future__ import annotations

import pytest

from handlers.yes_no import typed_answer
from nlp.numbers import choice_number, phone_digits
from storage import tags
from storage.engine import transaction
from tests.support.chat import make_staff, outbox_to, profile_of, resident, shown, suggestions

# A yes/no question every resident can reach: deleting their data (nothing is deleted on no).
ASK = "删除我的信息"


@pytest.mark.parametrize(
    "said", ["要", "确定", "好的", "行", "对", "嗯嗯", "可以的", "好嘞", "确认", "是的是的", "OK"]
)
def test_yes_in_all_its_forms(said: str) -> None:
    assert typed_answer(said, "q") == "q:yes"


@pytest.mark.parametrize("said", ["不用了", "算了", "不要", "不了", "别", "不行", "不要了。"])
def test_no_in_all_its_forms(said: str) -> None:
    assert typed_answer(said, "q") == "q:no"


@pytest.mark.parametrize(
    ("said", "number"),
    [("一", 1), ("十一", 11), ("第一个", 1), ("第1个", 1), ("选二", 2), ("3号", 3), ("①", 1)],
)
def test_choices_in_chinese_numbers(said: str, number: int) -> None:
    assert choice_number(said) == number


def test_phone_numbers_in_chinese_digits() -> None:
    assert phone_digits("一三八一二三四五六七八") == "13812345678"
    assert phone_digits("幺三八 1234 五六七八") == "13812345678"


async def test_an_answer_that_does_not_fit_is_asked_again_and_filed_as_nothing(app) -> None:
    staff = await make_staff(app, "小王")
    me = await resident(app, "张阿姨")
    await me.say(ASK)
    again = await me.text("我家门口的灯也不亮")
    assert "请回复 1 确认删除 或 2 不删除" in again and "发 0 返回" in again
    assert await suggestions(app) == []
    assert await outbox_to(app, staff.user) == []
    # The question still waits: its answer still works.
    assert "没有删除任何信息" in await me.text("不用了")


async def test_a_new_request_sets_the_question_aside_with_a_word(app) -> None:
    me = await resident(app, "李奶奶")
    await me.say(ASK)
    answer = await me.text("明天有什么活动")
    assert "刚才的问题先放一放" in answer
    assert "好的" in await me.text("好的")  # chit-chat now, no longer an answer to deleting


async def test_a_command_is_answered_and_the_question_still_waits(app) -> None:
    me = await resident(app, "王大爷")
    await me.say(ASK)
    assert "您在邻里的资料" in await me.text("我的资料")
    assert "没有删除任何信息" in await me.text("算了")


@pytest.mark.parametrize("typed", ["二", "第二个", "不删除", "不用了"])
async def test_a_choice_in_words_or_chinese_numbers(app, typed: str) -> None:
    me = await resident(app, "周奶奶")
    await me.say(ASK)
    assert "没有删除任何信息" in await me.text(typed)


@pytest.mark.parametrize(
    "said", ["谢谢", "好的知道了", "辛苦了", "好", "你好", "在吗", "好的 谢谢你们"]
)
async def test_chit_chat_gets_a_friendly_answer_and_no_record(app, said: str) -> None:
    staff = await make_staff(app, "小王")
    me = await resident(app, "吴阿姨")
    answer = await me.text(said)
    assert answer and "编号" not in answer and "建议" not in answer
    assert await suggestions(app) == []
    assert await outbox_to(app, staff.user) == []


async def test_a_message_too_short_to_act_on_is_asked_about_first(app) -> None:
    me = await resident(app, "陈爷爷")
    ask = await shown(me, "哈哈哈哈")
    assert "哈哈哈哈" not in [s.text for s in await suggestions(app)]
    assert "好的" in ask or "没太明白" in ask
    ask = await shown(me, "电梯")
    assert "请多说几句" in ask and await suggestions(app) == []
    assert "编号 1" in await me.text("1")  # they confirm: it is filed as said
    [filed] = await suggestions(app)
    assert filed.text == "电梯"


async def test_the_help_menu_numbers_work(app) -> None:
    me = await resident(app, "郑奶奶")
    menu = await shown(me, "帮助")
    assert "3 社区活动" in menu and "4 食堂菜单和订餐" in menu
    assert "/forget" not in menu and "Ctrl-D" not in menu and "staff" not in menu
    assert "最近没有可以报名的活动" in await me.text("3")
    await me.say("帮助")
    assert "您在邻里的资料" in await me.text("八")
    await me.say("帮助")
    assert "是什么事、在哪里" in await me.text("1")


async def test_stop_sending_notices_lets_the_resident_choose(app) -> None:
    me = await resident(app, "孙奶奶")
    ask = await shown(me, "不要再给我发通知了")
    assert "紧急通知" in ask and "1 活动通知" in ask and "5 以上全部" in ask
    assert "不再给您发活动通知" in await me.text("1")
    who = await profile_of(app, "孙奶奶")
    async with transaction(app.maker) as session:
        assert await tags.opted_out(session, who.id) == {"activity"}
    await me.say("不想收通知了")
    assert "请回复 1 到 5" in await me.text("都不要")  # asked again; nothing was chosen yet
    assert "其他通知都不再发给您" in await me.text("5")
    async with transaction(app.maker) as session:
        assert await tags.opted_out(session, who.id) == {"activity", "notice", "poll"}
