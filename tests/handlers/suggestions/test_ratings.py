"""Rating a resolution in words, one prompt at a time, later if need be; withdrawing in words."""

from __future__ import annotations

import pytest

from nlp.rating import UNSOLVED, rating_of
from storage.models import SuggestionStatus
from tests.support.chat import make_staff, outbox_to, resident, suggestions


@pytest.mark.parametrize(
    ("said", "score"),
    [
        ("5", 5),
        ("满意", 4),
        ("很满意", 5),
        ("给四分吧", 4),
        ("四", 4),
        ("五星", 5),
        ("一般", 3),
        ("不满意", 2),
        ("很不满意", 1),
        ("6", UNSOLVED),
        ("没解决", UNSOLVED),
        ("没有解决 还是没地方去", UNSOLVED),
        ("还是老样子", UNSOLVED),
    ],
)
def test_ratings_in_words(said: str, score: int) -> None:
    assert rating_of(said) == score


def test_words_that_are_no_rating() -> None:
    assert rating_of("明天有什么活动") is None
    assert rating_of("8") is None


async def _resolved(app, staff, me, text: str, note: str = "") -> int:
    await me.say(text)
    number = (await suggestions(app))[-1].id
    await staff.say(f"/resolve {number} {note}".strip())
    return number


async def test_one_rating_prompt_at_a_time_each_naming_its_suggestion(app) -> None:
    staff = await make_staff(app, "小王")
    me = await resident(app, "张阿姨")
    await me.say("3栋楼道灯坏了")
    await me.say("小区门口的垃圾桶满了没人倒")
    first, second = (s.id for s in await suggestions(app))
    await staff.say(f"/resolve {first}")
    await staff.say(f"/resolve {second}")
    sent = [m.payload["text"] for m in await outbox_to(app, me.user)]
    asked = [t for t in sent if "打个分" in t]
    assert len(asked) == 1 and f"编号 {first}" in asked[0] and "楼道灯" in asked[0]
    assert "5 很满意" in asked[0] and "6 没解决" in asked[0]
    assert any(f"编号 {first} 没评价" in t for t in sent)  # the second waits, and says so
    answer = await me.text("满意")
    assert "谢谢您的评价(4 分)" in answer
    assert f"编号 {second}" in answer and "垃圾桶" in answer  # now the next one
    assert "重新打开" in await me.text("没有解决 还是没人倒")
    stored = {s.id: s for s in await suggestions(app)}
    assert stored[first].status == SuggestionStatus.CLOSED
    assert stored[second].status == SuggestionStatus.REOPENED
    reopened = [m.payload["text"] for m in await outbox_to(app, staff.user)][-1]
    assert "没解决" in reopened and "还是没人倒" in reopened


async def test_a_rating_can_wait_and_be_given_later(app) -> None:
    staff = await make_staff(app, "小王")
    me = await resident(app, "李大爷")
    number = await _resolved(app, staff, me, "健身器材坏了一个")
    await me.say("0")  # not now
    prompt = await me.text(f"评价 {number}")
    assert "打个分" in prompt and f"编号 {number}" in prompt
    assert "谢谢您的评价(5 分)" in await me.text("五星")
    assert "评价过" in await me.text(f"评价 {number}") or "不需要评价" in await me.text(
        f"评价 {number}"
    )


async def test_an_answer_that_is_no_rating_is_asked_again(app) -> None:
    staff = await make_staff(app, "小王")
    me = await resident(app, "赵奶奶")
    await _resolved(app, staff, me, "楼下路灯不亮")
    again = await me.text("明天几点开会啊")
    assert "请回复 1 到 5 打分" in again


async def test_a_rating_asked_long_ago_does_not_hold_a_new_complaint(app) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from storage.engine import transaction
    from storage.models import ConversationState
    from storage.types import utcnow

    staff = await make_staff(app, "小王")
    me = await resident(app, "孙大爷")
    await _resolved(app, staff, me, "楼下路灯不亮")
    async with transaction(app.maker) as session:  # the question was asked five hours ago
        state = await session.scalar(select(ConversationState))
        state.data = {**state.data, "asked": (utcnow() - timedelta(hours=5)).isoformat()}
    assert "已收到您的建议" in await me.text("楼道里又堆满了杂物")
    await me.say("评价 1")
    assert "谢谢您的评价(5 分)" in await me.text("5")


@pytest.mark.parametrize("said", ["撤回十一", "撤回第11条", "撤销第11号", "不要了 撤回 11"])
async def test_withdrawing_in_words(app, said: str) -> None:
    me = await resident(app, "钱阿姨")
    for n in range(11):
        await me.say(f"第{n}个问题:{n}栋楼道灯坏了很久没人修")
        await me.say("0")
    assert "已撤回您的建议(编号 11)" in await me.text(said)
    assert (await suggestions(app))[10].status == SuggestionStatus.WITHDRAWN
