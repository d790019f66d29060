"""A resident answers a questionnaire on Telegram by pressing buttons (the Bot API emulator)."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.delivery.sender import deliver_due
from bot.jobs.broadcasts import broadcast_tick
from bot.jobs.polls import poll_tick
from handlers.broadcasts.rules import QuietHours
from handlers.charts import Chart
from handlers.polls.specs import read_spec, to_rows
from storage import communities, polls
from storage.engine import transaction
from storage.models import PollAnswer, PollResponse
from storage.types import utcnow
from tests.peers.telegram_peer import Peer
from tests.support.chat import make_staff
from tests.support.telegram import RESIDENT, STAFF, keyboard, poll, texts

TZ = "Asia/Shanghai"
ZONE = ZoneInfo(TZ)
NEVER_QUIET = QuietHours(time(0), time(0))  # the test may run at night


async def questionnaire(app, results: str = "after_close") -> int:
    """An open questionnaire for everyone: one choice, several choices, a rating."""
    now = utcnow()
    spec = read_spec(
        {
            "title": "服务中心满意度",
            "results": results,
            "opens": now - timedelta(hours=1),
            "closes": now + timedelta(days=3),
            "question": [
                {"text": "您常去服务中心吗?", "options": ["常去", "偶尔", "没去过"]},
                {"text": "您用过哪些服务?", "options": ["助餐", "理发", "体检"], "max": 3},
                {"text": "您对服务中心满意吗?", "kind": "rating"},
            ],
        }
    )
    async with transaction(app.maker) as session:
        community = await communities.ensure_default(session)
        made, questions = to_rows(spec, community.id, ZONE, now, f"telegram:{STAFF}")
        await polls.create(session, made, questions)
        return made.id


async def test_answering_a_questionnaire_with_buttons(peer: Peer, linli) -> None:
    app, channel = linli
    poll_id = await questionnaire(app)
    peer.say(RESIDENT, "问卷")
    await poll(channel)
    first = peer.inbox(RESIDENT)[-1]
    said = first["message"]["text"]
    assert "“服务中心满意度”" in said and "共 3 题" in said and "第 1/3 题(单选)" in said
    async with app.read_maker() as session:
        ids = [q.id for q in await polls.questions(session, poll_id)]
    one, two, three = (f"{poll_id}:{i}" for i in ids)
    assert keyboard(first) == [("常去", f"pa:{one}:1"), ("偶尔", f"pa:{one}:2"),
                               ("没去过", f"pa:{one}:3")]  # fmt: skip

    peer.press(RESIDENT, f"pa:{one}:2")
    await poll(channel)
    second = peer.inbox(RESIDENT)[-1]
    assert "第 2/3 题(可多选,最多 3 项)" in second["message"]["text"]
    assert keyboard(second)[-1] == ("选好了", f"pd:{two}")

    peer.press(RESIDENT, f"pt:{two}:1")
    await poll(channel)
    ticked = peer.inbox(RESIDENT)[-1]
    assert "已选:助餐" in ticked["message"]["text"] and "第 2/3 题" in ticked["message"]["text"]
    assert ("✓ 助餐", f"pt:{two}:1") in keyboard(ticked)

    peer.press(RESIDENT, f"pt:{two}:3")
    await poll(channel)
    ticked = peer.inbox(RESIDENT)[-1]
    assert "已选:助餐、体检" in ticked["message"]["text"]
    assert {("✓ 助餐", f"pt:{two}:1"), ("✓ 体检", f"pt:{two}:3")} <= set(keyboard(ticked))

    peer.press(RESIDENT, f"pd:{two}")
    await poll(channel)
    third = peer.inbox(RESIDENT)[-1]
    assert "第 3/3 题(评分)" in third["message"]["text"]
    assert keyboard(third) == [(f"{n}分", f"pa:{three}:{n}") for n in range(1, 6)]

    peer.press(RESIDENT, f"pa:{three}:4")
    await poll(channel)
    done = "\n".join(texts(peer.inbox(RESIDENT)))
    assert "已提交,谢谢您!" in done
    assert "1. 您常去服务中心吗? → 偶尔" in done

    async with app.read_maker() as session:
        response = await session.scalar(select(PollResponse))
        answers = {
            a.question_id: a
            for a in await session.scalars(
                select(PollAnswer).where(PollAnswer.response_id == response.id)
            )
        }
    assert response.completed_at is not None and response.respondent.startswith("r")
    assert answers[ids[0]].choices == [2]
    assert answers[ids[1]].choices == [1, 3]
    assert answers[ids[2]].rating == 4
    # Each pressed prompt was edited to show the choice, its keyboard removed.
    shown = [m.get("message", {}).get("text", "") for m in peer.history()]
    edited = [t for t in shown if "✅" in t]
    assert any(t.endswith("✅ 偶尔") for t in edited) and any(t.endswith("✅ 4分") for t in edited)


async def jobs(app, channel, draw=None) -> None:
    """The poll and broadcast jobs now, then one round of sending."""
    await poll_tick(app.maker, TZ, draw, now=utcnow())
    await broadcast_tick(app.maker, TZ, NEVER_QUIET, utcnow())
    await deliver_due(app.maker, {"telegram": channel})


async def test_invitation_button_and_published_chart(peer: Peer, linli, tmp_path) -> None:
    app, channel = linli
    await make_staff(app, str(STAFF), channel="telegram")
    peer.say(RESIDENT, "你好")
    await poll(channel)
    peer.inbox(RESIDENT)
    poll_id = await questionnaire(app, results="publish")
    await jobs(app, channel)
    [invitation] = peer.inbox(RESIDENT)
    assert invitation["message"]["text"].startswith("【问卷】服务中心满意度")
    assert keyboard(invitation) == [("开始填写", f"poll:open:{poll_id}")]

    peer.press(RESIDENT, f"poll:open:{poll_id}")
    await poll(channel)
    first = peer.inbox(RESIDENT)[-1]
    assert "第 1/3 题(单选)" in first["message"]["text"]
    async with app.read_maker() as session:
        one, two, three = (f"{poll_id}:{q.id}" for q in await polls.questions(session, poll_id))
    for data in (f"pa:{one}:1", f"pt:{two}:2", f"pd:{two}", f"pa:{three}:5"):
        peer.press(RESIDENT, data)
        await poll(channel)
    assert any("已提交" in t for t in texts(peer.inbox(RESIDENT)))

    peer.say(STAFF, f"/pollclose {poll_id}", name="小王")
    await poll(channel)
    assert any("结果马上发给大家" in t for t in texts(peer.inbox(STAFF)))
    picture = tmp_path / "chart.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\nchart")
    drawn: list[Chart] = []

    async def draw(chart: Chart) -> str | None:
        drawn.append(chart)
        return str(picture)

    await jobs(app, channel, draw)
    [results] = [m["message"] for m in peer.inbox(RESIDENT) if "photo" in m["message"]]
    # The chart, with the results as its caption.
    assert results["caption"].startswith("【结果】服务中心满意度")
    assert "共 1 人填写" in results["caption"] and "· 常去:1(100%)" in results["caption"]
    assert [b.value for b in drawn[0].panels[0].bars] == [1, 0, 0]
    told = peer.inbox(STAFF)
    assert any(f"问卷 #{poll_id}“服务中心满意度”已截止。" in t for t in texts(told))
    assert any("photo" in m["message"] for m in told)
