"""Attacks that once worked: replayed WeChat callbacks, plain mode acting as staff, messages
lost while the database was away, terminal escapes, numbers and dates out of all bounds."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.terminal import visible
from storage.models import AuditLog, OutboxMessage
from tests.support.chat import make_staff, resident, suggestions
from tests.support.wechat import USER, Linli, _start

STAFF = "oLinliStaff0000000000000000001"


def _spooled(linli: Linli) -> list[Path]:
    return list(Path(linli.channel.config.spool_dir).glob("*.xml"))


async def _staff_on_wechat(linli: Linli) -> None:
    await make_staff(linli.app, STAFF, channel="wechat")


async def test_a_signed_query_replayed_with_another_body_is_refused(db_url, api, tmp_path) -> None:
    async for linli in _start(db_url, api, tmp_path, mode="plain"):
        xml = linli.peer.text_xml(USER, "楼道灯坏了", 2001)
        query, body = linli.peer.plain_request(xml)
        first = await linli.http.post(linli.peer.base_url, params=query, content=body.encode())
        assert first.status_code == 200
        # WeChat's own retry (same query, same message) is still answered.
        again = await linli.http.post(linli.peer.base_url, params=query, content=body.encode())
        assert again.status_code == 200
        # The same query with a body of someone's choosing is not.
        forged = linli.peer.text_xml(STAFF, "/broadcast", 2002)
        replay = await linli.http.post(linli.peer.base_url, params=query, content=forged.encode())
        assert replay.status_code == 403
        assert len(await suggestions(linli.app)) == 1


async def test_plain_mode_refuses_staff_commands_and_deletion(db_url, api, tmp_path) -> None:
    async for linli in _start(db_url, api, tmp_path, mode="plain"):
        await _staff_on_wechat(linli)
        answer = await linli.say("/broadcast", 3001, user=STAFF)
        assert "只有社区工作人员" in answer
        await linli.say("楼道灯坏了", 3002)
        refusal = await linli.say("删除我的信息", 3003)
        assert "不能删除资料" in refusal
        assert len(await suggestions(linli.app)) == 1  # nothing was deleted
        async with linli.app.read_maker() as session:
            actions = set(await session.scalars(select(AuditLog.action)))
        assert {"refused.staff_only", "refused.forget.unverified_sender"} <= actions


async def test_safe_mode_keeps_staff_rights(db_url, api, tmp_path) -> None:
    async for linli in _start(db_url, api, tmp_path, mode="safe"):
        linli.safe = True
        await _staff_on_wechat(linli)
        assert "还没有发过通知" in await linli.say("/broadcasts", 4001, user=STAFF)


async def test_a_message_while_the_database_is_away_is_kept_and_handled_later(
    db_url, api, tmp_path
) -> None:
    async for linli in _start(db_url, api, tmp_path, mode="plain"):
        real = linli.app.dispatcher._handle
        away = {"on": True}

        async def flaky(incoming, real=real, away=away):
            if away["on"]:
                raise OperationalError("SELECT 1", {}, ConnectionRefusedError("database down"))
            return await real(incoming)

        linli.app.dispatcher._handle = flaky
        told = await linli.say("三栋楼道灯坏了,晚上黑漆漆的", 5001)
        assert "稍后回复您" in told
        assert _spooled(linli)
        # WeChat's retry is not answered from a cached failure: it is tried afresh.
        away["on"] = False
        answer = await linli.say("三栋楼道灯坏了,晚上黑漆漆的", 5001)
        assert "已收到您的建议" in answer
        assert not _spooled(linli)
        # A message whose retries all failed is handled by the recovery, answer sent later.
        away["on"] = True
        await linli.say("小区门口的垃圾桶满了", 5002)
        away["on"] = False
        assert await linli.channel.recover(older_than=0) == 1
        stored = [s.text for s in await suggestions(linli.app)]
        assert stored == ["三栋楼道灯坏了,晚上黑漆漆的", "小区门口的垃圾桶满了"]
        async with linli.app.read_maker() as session:
            later = list(await session.scalars(select(OutboxMessage)))
        assert any("编号 2" in m.payload["text"] for m in later)


def test_terminal_escapes_are_made_visible() -> None:
    shown = visible("你好\x1b]0;owned\x07\x1b[2J\u202egnp.exe\n下一行")
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\\x1b]0;owned" in shown and shown.endswith("\n下一行")


async def test_the_console_shows_escapes_instead_of_obeying_them(app) -> None:
    from bot.channels import console

    staff = await make_staff(app, "小王")
    await (await resident(app, "坏人")).say("楼道灯坏了\x1b[2J\x1b]0;你被黑了\x07")
    out = io.StringIO()
    await console.chat(app, staff.user, stdin=io.StringIO("/open\n"), out=out, interactive=False)
    assert "\x1b" not in out.getvalue() and "\\x1b[2J" in out.getvalue()


async def test_numbers_beyond_all_bounds_get_a_clear_answer(app) -> None:
    from tests.support.activities import add, coming

    staff = await make_staff(app, "小王")
    activity = await add(app, title="义诊", starts_at=coming(3), capacity=10)
    answer = await staff.text(f"/editevent {activity.id} 名额 99999999999999999999999")
    assert "名额请写 1 到 10000" in answer
    answer = await staff.text(f"/editevent {activity.id} 时间 9999年12月31日 9:00")
    assert "没看懂时间" in answer
    async with app.read_maker() as session:
        kept = await session.get(type(activity), activity.id)
    assert kept.capacity == 10 and kept.starts_at.year < 2100


def test_imports_refuse_absurd_numbers_dates_and_prices(tmp_path: Path) -> None:
    from bot.files.activities import read_specs
    from bot.files.menus import read_menus

    events = tmp_path / "events.csv"
    events.write_text(
        "title,starts_at,capacity\n义诊,2027-01-05 09:00,99999999999999999999\n"
        "讲座,2001-01-01 09:00,10\n理发,9999-12-31 09:00,10\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError) as problem:
        read_specs(events)
    said = str(problem.value)
    assert "activity 1: capacity" in said and "activity 2:" in said and "activity 3:" in said
    menus = tmp_path / "menus.csv"
    day = (datetime.now() + timedelta(days=2)).date()
    menus.write_text(
        f"date,meal,dishes,price\n{day},午餐,米饭,0.001\n9999-12-31,晚餐,粥,8\n", encoding="utf-8"
    )
    with pytest.raises(ValueError) as problem:
        read_menus(menus)
    assert "menu 1: price" in str(problem.value) and "menu 2: date" in str(problem.value)


def test_a_year_is_shown_when_it_is_not_this_year() -> None:
    from zoneinfo import ZoneInfo

    from handlers.activities.texts import when

    zone = ZoneInfo("Asia/Shanghai")
    later = datetime.now(zone).replace(month=1, day=2, hour=9) + timedelta(days=400)
    assert when(later, zone).startswith(f"{later.year}年")
    assert not when(datetime.now(zone), zone)[0:4].isdigit()


async def test_a_slash_command_during_a_guided_flow_is_not_taken_as_its_answer(app) -> None:
    staff = await make_staff(app, "小王")
    await staff.say("/broadcast")
    await staff.say("明天上午停水,请提前储水。")  # the text; now the audience is asked
    answer = await staff.text("/pollresults 2")
    assert "没有找到编号为 2 的问卷" in answer  # the command ran; it was not the audience
    assert "这是哪种通知" in await staff.text("全体")  # the audience step still waited
    async with app.read_maker() as session:
        from storage.models import Broadcast

        assert list(await session.scalars(select(Broadcast))) == []


def test_webhook_updates_whose_message_is_not_an_object_are_refused() -> None:
    from telegram import Bot

    from bot.channels.telegram.channel import TelegramChannel

    class Readable(TelegramChannel):
        bot = Bot("1:x")  # only reading updates: no network

    channel = Readable.__new__(Readable)
    assert not channel.readable({"update_id": 1, "message": "x"})
    assert not channel.readable({"update_id": 1, "callback_query": []})
    good = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
    assert channel.readable({"update_id": 1, "message": good})


async def test_long_messages_of_digits_are_handled(app) -> None:
    me = await resident(app, "钱大爷")
    answer = await me.text("1" * 2000)
    assert answer  # a kind answer, whatever it is; no error
    assert not any(s.urgent for s in await suggestions(app))
