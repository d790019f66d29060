"""Emergencies: recognised in residents' words first, answered with numbers and advice only,
staff alerted at once with all linli knows, whatever the resident was in the middle of."""

from __future__ import annotations

import pytest

from nlp import urgent
from tests.support.chat import make_staff, outbox_to, resident, shown, suggestions

# The issue's examples: each is an emergency of this kind.
FLOOR = [
    ("天然气漏了", "gas"),
    ("心脏病犯了", "heart"),
    ("老头子突然说不出话了 嘴歪了", "stroke"),
    ("我妈在厕所滑倒了", "fall"),
    ("电题困人了", "elevator"),
    ("家里好像有煤汽味", "gas"),
    ("救命", "help"),
    ("着伙了", "fire"),
    ("水漫进配电箱了", "electric"),
    ("我爸半边身子没劲 胸口疼", "stroke"),
    ("喘不上气了", "heart"),
    ("我老伴叫不醒了", "unconscious"),
    ("孙子的头磕破了 一直在流血", "bleeding"),
    ("我孙子不见了 刚才还在楼下", "missing"),
    ("有人撬我家门", "violence"),
    ("厨房插座漏电了", "electric"),
    ("我不想活了", "self_harm"),
    ("今天天气不错 中午吃的饺子 对了我老伴刚才在卫生间摔倒了起不来", "fall"),
    ("电梯坏了好几天了 今天我妈被关在里面出不来", "elevator"),
    ("阿公中咗风", "stroke"),
]
LOOKALIKES = [
    "电梯坏了好几天了",
    "煤气费怎么交",
    "消防通道被车堵了",
    "上次摔倒后腿还疼,想问问义诊",
    "楼道堆杂物有火灾隐患",
    "二号楼电梯又停了维修 几点能好",
    "笑死我了",
    "累死了 今天带了一天孙子",
    "3栋2单元502",
]


@pytest.mark.parametrize(("text", "kind"), FLOOR)
def test_the_issue_examples_are_emergencies(text: str, kind: str) -> None:
    found = urgent.detect(text)
    assert found is not None and found.kind == kind, (text, found)


@pytest.mark.parametrize("text", LOOKALIKES)
def test_look_alikes_are_not(text: str) -> None:
    assert urgent.detect(text) is None


async def test_the_answer_is_numbers_and_advice_never_a_suggestion_number(app) -> None:
    staff = await make_staff(app, "小王")
    me = await resident(app, "张阿姨", building="3", unit="2", room="502", phone="13800138000")
    replies = await me.say("天然气漏了")
    words = "\n".join(r.text for r in replies)
    assert words.startswith("【紧急】请马上打电话") and "119" in words and "关掉燃气阀门" in words
    assert "已通知社区工作人员" in words
    assert "编号" not in words and "分类" not in words and "回复 1" not in words
    [alert] = await outbox_to(app, staff.user)
    text = alert.payload["text"]
    assert alert.urgent and "【紧急·燃气泄漏】" in text
    # Everything linli knows: name, phone, address, and the words.
    assert "张阿姨" in text and "13800138000" in text and "3栋2单元502" in text
    assert "原话:天然气漏了" in text
    [stored] = await suggestions(app)
    assert stored.urgent


async def test_an_emergency_wins_over_a_pending_question(app) -> None:
    await make_staff(app, "小王")
    me = await resident(app, "李大爷")
    await me.say("删除我的信息")  # a yes/no question is now pending
    answer = await me.text("我老伴摔倒了起不来")
    assert "120" in answer and "先别急着扶起来" in answer
    # The rest of what they say in the next half hour goes to staff, not into a new record.
    assert "已转告工作人员" in await me.text("在3栋2单元502 快来")
    [record] = await suggestions(app)
    assert record.urgent
    more = [m.payload["text"] for m in await outbox_to(app, "小王")]
    assert any("【紧急·补充】" in m and "在3栋2单元502 快来" in m for m in more)


async def test_repeated_cries_add_to_one_record(app) -> None:
    staff = await make_staff(app, "小王")
    me = await resident(app, "王奶奶")
    await me.say("电梯困人了")
    await me.say("0")  # leaves the follow-up; the next cry is a new message
    await me.say("救命 电梯里好闷")
    assert len(await suggestions(app)) == 1
    alerts = [m.payload["text"] for m in await outbox_to(app, staff.user)]
    assert any("再次" in a for a in alerts)


async def test_no_address_known_asks_where(app) -> None:
    await make_staff(app, "小王")
    me = await resident(app, "赵阿姨")
    answer = await shown(me, "家里着火了")
    assert "119" in answer and "几栋几单元" in answer
    [alert] = await outbox_to(app, "小王")
    assert "住址未登记" in alert.payload["text"]


async def test_staff_composing_an_announcement_are_not_alarmed(app) -> None:
    staff = await make_staff(app, "小王")
    await staff.say("/broadcast")
    reply = await staff.text("今晚8点消防演练,听到警报请从楼梯下楼,不要乘电梯")
    assert "紧急" not in reply and "119" not in reply
    assert not await suggestions(app)


async def test_nlp_understand_reports_urgent() -> None:
    from datetime import datetime
    from io import BytesIO, StringIO

    from bot.cli.nlp import understand_lines

    out = StringIO()
    understand_lines(BytesIO("电题困人了\n煤气费怎么交\n".encode()), out, datetime(2026, 12, 8))
    first, second = out.getvalue().splitlines()
    assert '"urgent": "elevator"' in first and '"urgent": null' in second
