"""The poll job: the invitation when a poll opens, one reminder, the results at closing.

Each runs through the real broadcast fan-out (bot.jobs.broadcasts.broadcast_tick), with an
explicit ``now``, on SQLite and PostgreSQL. The residents are the town() of
tests.handlers.broadcasts.test_broadcasts:
居民0…5 live in 3栋, 居民6…11 in 5栋; Telegram unless n % 3 == 0 (WeChat); 居民1 has a
second (WeChat) account "w-1".
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.delivery.sender import deliver_due
from bot.jobs.broadcasts import MassSend
from bot.jobs.polls import poll_tick
from handlers.charts import Chart
from storage import broadcasts, polls
from storage.engine import transaction
from storage.models import OutboxMessage, Poll, Resident
from tests.support import ZONE
from tests.support.chat import Chat
from tests.support.fakes import FakeSender
from tests.support.poll_jobs import (
    CLOSES,
    CREATED,
    CREATOR,
    MINUTE,
    NO,
    OPENS,
    REMIND_AT,
    TZ,
    YES,
    all_broadcasts,
    make_poll,
    setup,
    tick,
)


async def respond(
    app,
    poll_id: int,
    resident_id: int,
    given: tuple[list[int], list[int], int],
    complete: bool = True,
    at: datetime = OPENS + timedelta(hours=1),
) -> None:
    """Answer a poll as a resident (all three questions, or only the first if not complete)."""
    async with transaction(app.maker) as session:
        poll = await session.get(Poll, poll_id)
        person = await session.get(Resident, resident_id)
        key = polls.respondent_key(poll, person)
        assert key is not None
        response = await polls.start(session, poll_id, resident_id, key, at)
        first, second, third = await polls.questions(session, poll_id)
        await polls.save_answer(session, response, first.id, at, choices=given[0])
        if complete:
            await polls.save_answer(session, response, second.id, at, choices=given[1])
            await polls.save_answer(session, response, third.id, at, rating=given[2])
            response.completed_at = at


async def opt_out_of_polls(app, external_id: str) -> None:
    """A Telegram resident sends 退订问卷通知."""
    chat = Chat(app, external_id, channel="telegram")
    said = await chat.text("退订问卷通知", received_at=CREATED)
    assert "不再给您发问卷通知" in said


async def recipients(app, broadcast_id: int) -> list[str]:
    """The accounts a broadcast was fanned out to (sorted)."""
    async with app.read_maker() as session:
        stmt = select(OutboxMessage.recipient).where(OutboxMessage.broadcast_id == broadcast_id)
        return sorted(await session.scalars(stmt))


async def delivery_count(app) -> int:
    async with app.read_maker() as session:
        stmt = select(func.count()).where(OutboxMessage.broadcast_id.is_not(None))
        return int(await session.scalar(stmt) or 0)


async def reports(app) -> list[OutboxMessage]:
    """What was written to the poll's creator about its results."""
    async with app.read_maker() as session:
        stmt = select(OutboxMessage).where(OutboxMessage.kind == "poll_report")
        return list(await session.scalars(stmt.order_by(OutboxMessage.id)))


# 3栋's accounts: 居民0…5, 居民1 with two.
BUILDING_3 = ["telegram-1", "telegram-2", "telegram-4", "telegram-5", "w-1", "wechat-0", "wechat-3"]


async def test_invitation_waits_for_opening_and_reaches_the_audience_once(app) -> None:
    await setup(app)
    await opt_out_of_polls(app, "telegram-4")
    poll_id = await make_poll(app)
    await tick(app, CREATED)
    await tick(app, OPENS - MINUTE)
    assert await all_broadcasts(app) == []  # not open yet: nobody invited
    await tick(app, OPENS)
    [invitation] = await all_broadcasts(app)
    assert invitation.kind == "poll" and not invitation.urgent
    assert invitation.audience == {"kind": "building", "building": "3"}
    assert invitation.created_by == CREATOR
    assert "加装电梯意见征集" in invitation.text and "共3 道题" in invitation.text
    assert "11月27日(周五)10:00 截止" in invitation.text
    buttons = [b["data"] for row in invitation.buttons for b in row]
    assert buttons == [f"poll:open:{poll_id}"]
    # 3栋 only, and not 居民4, who opted out of poll news.
    assert await recipients(app, invitation.id) == [r for r in BUILDING_3 if r != "telegram-4"]
    async with app.read_maker() as session:
        payload = (await broadcasts.payloads(session, {invitation.id}))[invitation.id]
        poll = await session.get(Poll, poll_id)
    assert payload["buttons"] == invitation.buttons  # the button goes out with the text
    assert poll.invited_at == OPENS
    for later in (OPENS, OPENS + MINUTE, OPENS + timedelta(hours=5)):
        await tick(app, later)
    assert len(await all_broadcasts(app)) == 1  # exactly once
    assert await delivery_count(app) == 6


async def test_a_job_that_starts_late_still_invites(app) -> None:
    await setup(app)
    await make_poll(app)
    await tick(app, OPENS + timedelta(hours=3))  # the scheduler was down at opening
    [invitation] = await all_broadcasts(app)
    assert len(await recipients(app, invitation.id)) == 7


async def test_invitation_in_quiet_hours_waits_for_the_morning(app) -> None:
    await setup(app)
    night = datetime(2026, 11, 24, 22, 0, tzinfo=ZONE)
    await make_poll(app, opens=night)
    await tick(app, night)
    [invitation] = await all_broadcasts(app)
    async with app.read_maker() as session:
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.broadcast_id == invitation.id)
            )
        )
    assert len(rows) == 7
    morning = datetime(2026, 11, 25, 8, 0, tzinfo=ZONE)
    assert {r.not_before.astimezone(ZONE) for r in rows} == {morning}


async def test_reminder_goes_once_to_those_who_have_not_completed(app) -> None:
    ids = await setup(app)
    await opt_out_of_polls(app, "telegram-5")
    poll_id = await make_poll(app)
    await tick(app, OPENS)
    await respond(app, poll_id, ids["居民0"], YES)
    await respond(app, poll_id, ids["居民2"], NO, complete=False)  # started, not finished
    await respond(app, poll_id, ids["居民7"], YES)  # 5栋: outside the audience anyway
    await tick(app, REMIND_AT - MINUTE)
    assert len(await all_broadcasts(app)) == 1  # not yet
    await tick(app, REMIND_AT)
    _, reminder = await all_broadcasts(app)
    assert reminder.kind == "poll" and "还没有填写" in reminder.text
    assert reminder.audience["kind"] == "poll_pending"
    assert [b["data"] for row in reminder.buttons for b in row] == [f"poll:open:{poll_id}"]
    # Not 居民0 (completed) nor 居民5 (opted out); 居民2, who stopped half-way, is reminded.
    pending = ["telegram-1", "telegram-2", "telegram-4", "w-1", "wechat-3"]
    assert await recipients(app, reminder.id) == pending
    for later in (REMIND_AT, REMIND_AT + MINUTE, REMIND_AT + timedelta(hours=2)):
        await tick(app, later)
    assert len(await all_broadcasts(app)) == 2
    assert await recipients(app, reminder.id) == pending  # still one reminder each


async def test_household_poll_reminds_only_households_that_have_not_completed(app) -> None:
    ids = await setup(app)
    poll_id = await make_poll(app, per_household=True)
    await tick(app, OPENS)
    await respond(app, poll_id, ids["居民0"], YES)  # for 3栋1单元101: 居民1 need not answer
    await respond(app, poll_id, ids["居民2"], NO, complete=False)  # 102 started, not done
    await tick(app, REMIND_AT)
    await tick(app, REMIND_AT + MINUTE)
    _, reminder = await all_broadcasts(app)
    assert reminder.audience["per_household"] is True
    # 居民2 and 居民3 (102, not complete), 居民4 (201), 居民5 (room unknown).
    expected = ["telegram-2", "telegram-4", "telegram-5", "wechat-3"]
    assert await recipients(app, reminder.id) == expected


async def test_no_reminder_for_a_poll_open_less_than_a_day(app) -> None:
    await setup(app)
    await make_poll(app, closes=OPENS + timedelta(hours=20))
    for at in (OPENS, OPENS + MINUTE, OPENS + timedelta(hours=10), OPENS + timedelta(hours=19)):
        await tick(app, at)
    assert len(await all_broadcasts(app)) == 1  # the invitation only
    async with app.read_maker() as session:
        assert await session.scalar(select(Poll.reminded_at)) is None


async def test_no_reminder_when_the_invitation_went_out_within_the_last_day(app) -> None:
    await setup(app)
    await make_poll(app)
    await tick(app, REMIND_AT + timedelta(hours=1))  # the job was down until then
    await tick(app, REMIND_AT + timedelta(hours=2))
    assert len(await all_broadcasts(app)) == 1


async def answered_poll(app, **changes: Any) -> int:
    """A poll invited and answered: 3 complete responses of 3栋 (one half-done, one of 5栋)."""
    ids = await setup(app)
    await opt_out_of_polls(app, "telegram-4")
    poll_id = await make_poll(app, **changes)
    await tick(app, OPENS)
    await respond(app, poll_id, ids["居民0"], YES)
    await respond(app, poll_id, ids["居民2"], YES)
    await respond(app, poll_id, ids["居民3"], NO)
    await respond(app, poll_id, ids["居民5"], NO, complete=False)  # not counted
    return poll_id


RESULT_LINES = [
    "【结果】加装电梯意见征集",
    "共 3 人填写,应答率 50%(3/6 人)。",
    "第 1 题:您支持加装电梯吗?",
    "· 支持:2(67%)",
    "· 反对:1(33%)",
    "· 无所谓:0(0%)",
    "(可多选,3 人作答)",
    "· 助餐:2(67%)",
    "· 理发:1(33%)",
    "· 体检:3(100%)",
    "平均 4.3 分,3 人评分",
    "1分:0 2分:0 3分:1 4分:0 5分:2",
]


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


async def test_results_go_to_the_audience_and_the_creator_once_at_closing(app) -> None:
    poll_id = await answered_poll(app)
    await tick(app, CLOSES - MINUTE)
    assert await reports(app) == []
    assert all("【结果】" not in b.text for b in await all_broadcasts(app))
    for at in (CLOSES, CLOSES, CLOSES + MINUTE, CLOSES + timedelta(days=1)):
        await tick(app, at)
    published = [b for b in await all_broadcasts(app) if "【结果】" in b.text]
    assert len(published) == 1
    [results] = published
    assert results.kind == "poll" and results.audience == {"kind": "building", "building": "3"}
    assert results.image is None and not results.buttons
    assert all(line in lines_of(results.text) for line in RESULT_LINES), results.text
    # The whole audience but 居民4, who opted out; completed or not.
    assert await recipients(app, results.id) == [r for r in BUILDING_3 if r != "telegram-4"]
    [report] = await reports(app)
    assert (report.channel, report.recipient) == ("console", "staff1")
    text = report.payload["text"]
    assert text.startswith(f"问卷 #{poll_id}“加装电梯意见征集”已截止。")
    assert all(line in lines_of(text) for line in RESULT_LINES), text
    async with app.read_maker() as session:
        poll = await session.get(Poll, poll_id)
    assert poll.reported_at == CLOSES and poll.published_at == CLOSES


async def test_without_publishing_only_the_creator_hears_the_results(app) -> None:
    await answered_poll(app, results="after_close")
    for at in (CLOSES, CLOSES + MINUTE):
        await tick(app, at)
    assert all("【结果】" not in b.text for b in await all_broadcasts(app))
    [report] = await reports(app)
    assert all(line in lines_of(report.payload["text"]) for line in RESULT_LINES)
    async with app.read_maker() as session:
        poll = await session.scalar(select(Poll))
    assert poll.published_at is None and poll.reported_at == CLOSES


async def test_closing_early_then_the_job_reports_once(app) -> None:
    poll_id = await answered_poll(app)
    early = OPENS + timedelta(days=1)
    worker = Chat(app, "staff1")
    await worker.say("你好", received_at=early)
    said = await worker.text(f"/pollclose {poll_id}", received_at=early)
    assert "已结束" in said and "结果马上发给大家" in said
    for at in (early, early + MINUTE, CLOSES, CLOSES + MINUTE):
        await tick(app, at)
    published = [b for b in await all_broadcasts(app) if "【结果】" in b.text]
    assert len(published) == 1
    assert all(line in lines_of(published[0].text) for line in RESULT_LINES)
    assert len(await reports(app)) == 1
    reminders = [b for b in await all_broadcasts(app) if b.audience["kind"] == "poll_pending"]
    assert reminders == []  # closed before the reminder was due
    async with app.read_maker() as session:
        poll = await session.get(Poll, poll_id)
    assert poll.closed_early and poll.reported_at == early


async def test_results_chart_goes_with_the_published_results(app, tmp_path) -> None:
    chart_file = tmp_path / "chart.png"
    chart_file.write_bytes(b"\x89PNG\r\n")  # drawn: a file WeChat can be sent
    picture = str(chart_file)
    drawn: list[Chart] = []

    async def draw(chart: Chart) -> str | None:
        drawn.append(chart)
        return picture

    await answered_poll(app)
    await tick(app, CLOSES, draw)
    await tick(app, CLOSES + MINUTE, draw)
    [results] = [b for b in await all_broadcasts(app) if "【结果】" in b.text]
    assert results.image == picture
    async with app.read_maker() as session:
        payload = (await broadcasts.payloads(session, {results.id}))[results.id]
    assert payload["image"] == picture and payload["text"] == results.text
    chart = drawn[0]
    assert chart.title == "加装电梯意见征集" and len(chart.panels) == 3
    assert [b.value for b in chart.panels[0].bars] == [2, 1, 0]
    assert [b.value for b in chart.panels[1].bars] == [2, 1, 3]
    assert [b.value for b in chart.panels[2].bars] == [0, 0, 1, 0, 2]
    text, image = await reports(app)  # the creator gets the picture too
    assert "【结果】" in text.payload["text"] and image.payload["image"] == picture


async def test_results_without_a_picture_are_text_only(app) -> None:
    async def draw(chart: Chart) -> str | None:
        return None

    await answered_poll(app)
    await tick(app, CLOSES, draw)
    [results] = [b for b in await all_broadcasts(app) if "【结果】" in b.text]
    assert results.image is None
    [report] = await reports(app)
    assert report.payload["image"] is None


async def test_two_jobs_at_the_same_moment_invite_once(app, monkeypatch) -> None:
    locked = polls.for_update

    async def slow(session, poll_id: int) -> Poll | None:
        found = await locked(session, poll_id)
        await asyncio.sleep(0.05)  # both jobs inside a step at once, but for the lock
        return found

    monkeypatch.setattr(polls, "for_update", slow)
    await setup(app)
    await make_poll(app)
    await asyncio.gather(*(poll_tick(app.maker, TZ, now=OPENS) for _ in range(2)))
    assert len(await all_broadcasts(app)) == 1
    await asyncio.gather(*(poll_tick(app.maker, TZ, now=REMIND_AT) for _ in range(2)))
    assert len(await all_broadcasts(app)) == 2
    await asyncio.gather(*(poll_tick(app.maker, TZ, now=CLOSES) for _ in range(3)))
    assert len(await all_broadcasts(app)) == 3
    assert len(await reports(app)) == 1


async def test_a_poll_imported_from_the_command_line_reports_to_nobody(app) -> None:
    await setup(app)
    await make_poll(app, created_by="cli")
    await tick(app, OPENS)
    [invitation] = await all_broadcasts(app)
    assert invitation.created_by == ""  # no staff account for the delivery report
    sender = FakeSender({})
    assert await deliver_due(app.maker, {"telegram": sender, "wechat": sender}) == 7
    await tick(app, OPENS + timedelta(seconds=5))  # all delivered: the broadcast finishes
    await tick(app, CLOSES)
    await tick(app, CLOSES + timedelta(seconds=5))
    assert await reports(app) == []
    assert {b.status for b in await all_broadcasts(app)} == {"done", "sending"}


class TextOnlyMass:
    """WeChat's mass send by tag as bot.channels.wechat makes it: a text, no picture."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str], str]] = []

    async def mass_send(self, tag: str, openids: list[str], text: str, client_id: str) -> str:
        self.sent.append((tag, sorted(openids), text))
        return f"{1000 + len(self.sent)}"


class Pictures(FakeSender):
    """A sender that also notes the picture of each message."""

    def __init__(self) -> None:
        super().__init__({})
        self.images: list[tuple[str, str | None]] = []

    async def send(self, recipient: str, reply, kind: str = "") -> str | None:
        self.images.append((recipient, reply.image))
        return await super().send(recipient, reply, kind)


async def test_results_chart_reaches_wechat_residents_of_a_tag(app, tmp_path) -> None:
    chart_file = tmp_path / "chart.png"
    chart_file.write_bytes(b"\x89PNG\r\n")  # drawn: a file WeChat can be sent
    picture = str(chart_file)

    async def draw(chart: Chart) -> str | None:
        return picture

    await setup(app)  # 老人: 居民0 (wechat-0), 居民1 (telegram-1, w-1), 居民7 (telegram-7)
    await make_poll(app, audience="标签 老人")
    mass = MassSend(TextOnlyMass())
    await tick(app, OPENS, draw, mass)
    await tick(app, CLOSES, draw, mass)
    await tick(app, CLOSES + timedelta(minutes=11), draw, mass)  # after the mass hold
    [results] = [b for b in await all_broadcasts(app) if "【结果】" in b.text]
    assert results.image == picture
    sender = Pictures()
    await deliver_due(app.maker, {"telegram": sender, "wechat": sender})
    got = {(r, image) for r, image in sender.images if image}
    # The chart goes to everyone, WeChat included (a mass send would carry the text only).
    assert got == {(r, picture) for r in ("telegram-1", "telegram-7", "w-1", "wechat-0")}
