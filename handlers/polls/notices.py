"""What a poll sends its audience: the invitation, one reminder, the results.

Each goes out as an announcement (a broadcast of kind ``poll``), so it is written once per
recipient and channel, waits out the quiet hours, respects the platforms' limits and is
reported to the staff member who made the poll. Each is marked on the poll in the same
transaction that writes the broadcast, so it is sent once, however often a job runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.charts import Chart, DrawChart
from handlers.polls import texts as poll_texts
from handlers.polls.results import chart_of, results_text, tally
from handlers.types import Button, Reply
from storage import polls as store
from storage.models import Broadcast, BroadcastKind, Poll


def _announce(
    poll: Poll,
    text: str,
    audience: dict[str, Any],
    now: datetime,
    reply_buttons: list[Any] | None = None,
) -> Broadcast:
    return Broadcast(
        community_id=poll.community_id,
        text=text,
        kind=BroadcastKind.POLL,
        urgent=False,
        audience=audience,
        send_at=now,
        # The delivery report goes to a staff account ("channel:id"); a poll imported from
        # the command line has none.
        created_by=poll.created_by if ":" in poll.created_by else "",
        buttons=reply_buttons,
    )


def _start_button(poll: Poll) -> list[Any]:
    """Return the 开始填写 button under an invitation, as a broadcast keeps buttons."""
    rows: list[Any] = Reply("", ((Button("开始填写", f"poll:open:{poll.id}"),),)).to_dict()[
        "buttons"
    ]
    return rows


async def invite(session: AsyncSession, poll: Poll, now: datetime, zone: ZoneInfo) -> Broadcast:
    """Invite the audience to a poll that opened (with a button to start, where there are)."""
    questions = await store.questions(session, poll.id)
    text = poll_texts.invitation(
        poll.title,
        poll.intro,
        poll_texts.when(poll.closes_at, zone),
        len(questions),
        poll.per_household,
    )
    broadcast = _announce(poll, text, poll.audience, now, _start_button(poll))
    session.add(broadcast)
    poll.invited_at = now
    return broadcast


async def remind(session: AsyncSession, poll: Poll, now: datetime, zone: ZoneInfo) -> Broadcast:
    """Remind those of the audience who (or whose household) have not completed it, once."""
    pending = {
        "kind": "poll_pending",
        "poll_id": poll.id,
        "base": poll.audience,
        "per_household": poll.per_household,
    }
    text = poll_texts.reminder(poll.title, poll_texts.when(poll.closes_at, zone))
    broadcast = _announce(poll, text, pending, now, _start_button(poll))
    session.add(broadcast)
    poll.reminded_at = now
    return broadcast


async def results(
    session: AsyncSession, poll: Poll, year: int, for_staff: bool = False
) -> tuple[str, Chart | None]:
    """Return the results in words, and their chart (None: no question to draw).

    Staff read the free-text answers word for word; residents by topic and common words.
    """
    questions = await store.questions(session, poll.id)
    tallies = tally(questions, await store.completed_answers(session, poll.id))
    completed = await store.completed(session, poll.id)
    audience = await store.audience_size(session, poll, year)
    text = results_text(poll, tallies, completed, audience, verbatim=for_staff)
    return text, chart_of(poll, tallies, completed, audience)


async def results_replies(
    session: AsyncSession, poll: Poll, year: int, draw: DrawChart | None, for_staff: bool = False
) -> list[Reply]:
    """Return the results as text and, where a picture can be drawn, as a bar chart."""
    text, chart = await results(session, poll, year, for_staff)
    replies = [Reply(text)]
    if chart is not None and draw is not None and (picture := await draw(chart)):
        replies.append(Reply(f"“{poll.title}”结果图", image=picture))
    return replies


async def publish(
    session: AsyncSession, poll: Poll, now: datetime, year: int, draw: DrawChart | None
) -> Broadcast:
    """Send the results to the poll's audience (with the chart as a picture, where drawn)."""
    text, chart = await results(session, poll, year)
    picture = await draw(chart) if draw is not None and chart is not None else None
    broadcast = _announce(poll, text, poll.audience, now)
    broadcast.image = picture
    session.add(broadcast)
    poll.published_at = now
    return broadcast
