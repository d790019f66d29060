"""One profile every feature uses: ages, birth years, addresses and households said anywhere."""

from __future__ import annotations

import pytest

from nlp.profile import facts
from storage.engine import transaction
from tests.support.canteen import MONDAY, at, publish
from tests.support.chat import make_staff, profile_of, resident, suggestions

EIGHT = at(MONDAY, 8)


@pytest.mark.parametrize(
    ("text", "birth_year", "rest"),
    [
        ("我今年八十二了 吃饭有没有优惠", 1944, "吃饭有没有优惠"),
        ("我是1944年生的", 1944, ""),
        ("我四四年的", 1944, ""),
        ("我82了 订一份饭", 1944, "订一份饭"),
        ("我七十多岁了", 1956, ""),
    ],
)
def test_ages_and_birth_years_in_words(text: str, birth_year: int, rest: str) -> None:
    found = facts(text, 2026)
    assert found is not None and found.birth_year == birth_year and found.rest == rest


def test_only_the_speaker_s_own_facts() -> None:
    assert facts("我孙子今年五岁了", 2026) is None
    assert facts("明天中午订两份饭", 2026) is None
    found = facts("我住五栋一单元三零二", 2026)
    assert found is not None and (found.building, found.unit, found.room) == ("5", "1", "302")
    assert facts("家里就我和老伴两个人", 2026).household == ("老伴",)  # type: ignore[union-attr]
    assert facts("我一个人住", 2026).household == ()  # type: ignore[union-attr]


async def test_an_age_said_in_passing_is_kept_and_prices_the_canteen(app) -> None:
    await publish(app, MONDAY)
    staff = await make_staff(app, "小王")
    me = await resident(app, "吴奶奶")
    answer = await me.text("我今年八十二了 吃饭有没有优惠", received_at=EIGHT)
    assert "已记下:您今年 82 岁" in answer and "只给本社区工作人员看" in answer
    assert "每份饭少 4 元" in answer  # the 80+ tier of the default config
    assert await suggestions(app) == []
    assert (await profile_of(app, "吴奶奶")).birth_year == 1944
    # The canteen prices by it and delivers (80 and over): the menu shows her own price.
    assert "(您 6 元)" in await me.text("今天吃什么", received_at=EIGHT)
    assert "送到" not in (await staff.text("/open"))  # nothing was filed for staff


async def test_a_birth_year_told_once_serves_every_feature(app) -> None:
    me = await resident(app, "郑爷爷")
    assert "1944年生" in await me.text("我是1944年生的")
    assert await suggestions(app) == []
    # Announcements to 80岁以上 reach him now.
    from storage import broadcasts
    from storage.scoping import Scope

    async with transaction(app.maker) as session:
        found = await broadcasts.preview(
            session, Scope.of(1), {"kind": "age", "min": 80}, "notice", False, 2026
        )
    assert sum(found.values()) == 1


async def test_the_profile_can_be_read_changed_and_deleted(app) -> None:
    me = await resident(app, "冯阿姨")
    await me.say("我是1950年生的")
    await me.say("我住3栋2单元502")
    await me.say("家里就我和老伴")
    shown = await me.text("我的资料")
    assert "76 岁(1950年生)" in shown and "3栋2单元502" in shown and "与老伴同住" in shown
    assert "已改为:80 岁" in await me.text("修改年龄 1946")
    assert "已删除您的年龄" in await me.text("删除年龄")
    assert (await profile_of(app, "冯阿姨")).birth_year is None
    await me.say("删除我的信息")
    await me.say("确认删除")
    async with app.read_maker() as session:
        from sqlalchemy import select

        from storage.models import Resident

        assert (
            await session.scalar(select(Resident).where(Resident.display_name == "冯阿姨")) is None
        )


async def test_a_fact_during_a_question_is_kept_and_the_question_asked_again(app) -> None:
    me = await resident(app, "褚奶奶")
    await me.say("删除我的信息")
    answer = await me.text("我是1944年生的")
    assert "已记下" in answer and "请回复 1 确认删除 或 2 不删除" in answer
