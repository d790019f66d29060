"""Queries for polls and questionnaires: who may answer, responses, answers and tallies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audience as audiences
from storage.dialect import insert_once, upsert
from storage.models import Poll, PollAnswer, PollQuestion, PollResponse, Resident
from storage.scoping import Scope

# A reminder goes this long before closing to those who have not answered.
REMIND_BEFORE = timedelta(days=1)
# ... and never sooner than this after the invitation (a poll open just over a day).
INVITED_AT_LEAST = timedelta(hours=12)


def household_of(resident: Resident) -> str | None:
    """Return a resident's household key (building, unit, room), or None if the room is unknown."""
    if not resident.building or not resident.room:
        return None
    return f"h{resident.building}-{resident.unit or ''}-{resident.room}"


def respondent_key(poll: Poll, resident: Resident) -> str | None:
    """Return who answers for this resident: themselves, or their household (None: unknown)."""
    return household_of(resident) if poll.per_household else f"r{resident.id}"


async def create(session: AsyncSession, poll: Poll, questions: Sequence[PollQuestion]) -> Poll:
    """Store a poll and its questions (numbered 1, 2, … in the order given)."""
    session.add(poll)
    await session.flush()
    for position, question in enumerate(questions, start=1):
        question.poll_id, question.position = poll.id, position
        session.add(question)
    await session.flush()
    return poll


async def get(session: AsyncSession, poll_id: int, scope: Scope | None = None) -> Poll | None:
    """Return a poll (None if missing, or outside a staff scope)."""
    poll = await session.get(Poll, poll_id)
    if poll is None or (scope is not None and not scope.allows(poll.community_id)):
        return None
    return poll


async def for_update(session: AsyncSession, poll_id: int) -> Poll | None:
    """Return a poll locked against a job or a staff change at the same moment.

    Read afresh under the lock: a copy this session loaded before may be out of date.
    """
    stmt = select(Poll).where(Poll.id == poll_id).with_for_update()
    return await session.scalar(stmt.execution_options(populate_existing=True))


async def lock_response(session: AsyncSession, response: PollResponse) -> PollResponse:
    """Lock a response (two messages of one respondent at once take turns), read afresh."""
    stmt = select(PollResponse).where(PollResponse.id == response.id).with_for_update()
    found = await session.scalar(stmt.execution_options(populate_existing=True))
    assert found is not None
    return found


async def questions(session: AsyncSession, poll_id: int) -> list[PollQuestion]:
    """Return a poll's questions in order."""
    stmt = select(PollQuestion).where(PollQuestion.poll_id == poll_id)
    return list(await session.scalars(stmt.order_by(PollQuestion.position)))


async def in_audience(session: AsyncSession, poll: Poll, resident: Resident, year: int) -> bool:
    """Tell whether a resident is in a poll's audience (its community, its condition)."""
    if resident.community_id != poll.community_id:
        return False
    stmt = select(Resident.id).where(
        Resident.id == resident.id, audiences.condition(poll.audience, year)
    )
    return await session.scalar(stmt) is not None


async def open_in(session: AsyncSession, community_id: int, now: datetime) -> list[Poll]:
    """Return the polls of a community open now, closing soonest first."""
    stmt = select(Poll).where(
        Poll.community_id == community_id, Poll.opens_at <= now, Poll.closes_at > now
    )
    return list(await session.scalars(stmt.order_by(Poll.closes_at, Poll.id)))


async def recent_for_results(
    session: AsyncSession, community_id: int, now: datetime, days: int = 30
) -> list[Poll]:
    """Return the polls of a community open now or closed in the last ``days``, newest first."""
    stmt = select(Poll).where(
        Poll.community_id == community_id,
        Poll.opens_at <= now,
        Poll.closes_at > now - timedelta(days=days),
    )
    return list(await session.scalars(stmt.order_by(Poll.closes_at.desc()).limit(5)))


async def recent(session: AsyncSession, scope: Scope, limit: int = 10) -> list[Poll]:
    """Return the latest polls in a staff scope, newest first."""
    stmt = scope.apply(select(Poll), Poll.community_id)
    return list(await session.scalars(stmt.order_by(Poll.id.desc()).limit(limit)))


async def response_of(
    session: AsyncSession, poll_id: int, resident_id: int, respondent: str
) -> PollResponse | None:
    """Return the response this resident (or their household) has started, if any."""
    stmt = select(PollResponse).where(
        PollResponse.poll_id == poll_id,
        or_(PollResponse.resident_id == resident_id, PollResponse.respondent == respondent),
    )
    return (await session.scalars(stmt.order_by(PollResponse.id))).first()


async def start(
    session: AsyncSession, poll_id: int, resident_id: int, respondent: str, now: datetime
) -> PollResponse:
    """Return this respondent's response, starting one if none exists.

    Two people of one household starting at once: the unique key keeps one response, and the
    second gets the first one's (the caller tells them someone at home is answering).
    """
    await insert_once(
        session,
        PollResponse,
        {
            "poll_id": poll_id,
            "resident_id": resident_id,
            "respondent": respondent,
            "started_at": now,
            "updated_at": now,
        },
    )
    found = await response_of(session, poll_id, resident_id, respondent)
    assert found is not None
    return found


async def answers(session: AsyncSession, response_id: int) -> dict[int, PollAnswer]:
    """Return a response's answers by question id."""
    stmt = select(PollAnswer).where(PollAnswer.response_id == response_id)
    # Answers are written by upsert (SQL, not the ORM): read them fresh, not from the session.
    stmt = stmt.execution_options(populate_existing=True)
    return {a.question_id: a for a in await session.scalars(stmt)}


async def save_answer(
    session: AsyncSession,
    response: PollResponse,
    question_id: int,
    now: datetime,
    *,
    choices: Sequence[int] = (),
    rating: int | None = None,
    text: str = "",
    skipped: bool = False,
) -> None:
    """Keep the answer to one question (replacing an earlier one)."""
    values: dict[str, Any] = {
        "response_id": response.id,
        "question_id": question_id,
        "choices": list(choices),
        "rating": rating,
        "text": text,
        "skipped": skipped,
    }
    await upsert(session, PollAnswer, ("response_id", "question_id"), values)
    response.updated_at = now


async def drop_answers(session: AsyncSession, response_id: int, question_ids: list[int]) -> None:
    """Forget answers that no longer apply (a changed answer now skips their questions)."""
    if not question_ids:
        return
    for answer in await session.scalars(
        select(PollAnswer).where(
            PollAnswer.response_id == response_id, PollAnswer.question_id.in_(question_ids)
        )
    ):
        await session.delete(answer)


async def audience_size(session: AsyncSession, poll: Poll, year: int) -> int:
    """Return how many residents (or households) a poll asks: the base of its response rate."""
    base = [
        Resident.community_id == poll.community_id,
        Resident.active.is_(True),
        audiences.condition(poll.audience, year),
    ]
    if poll.per_household:
        stmt = select(func.count(func.distinct(audiences.household_sql()))).where(
            *base, Resident.building.is_not(None), Resident.room.is_not(None)
        )
    else:
        stmt = select(func.count()).select_from(Resident).where(*base)
    return int(await session.scalar(stmt) or 0)


async def completed(session: AsyncSession, poll_id: int) -> int:
    """Return how many responses are complete."""
    stmt = select(func.count()).where(
        PollResponse.poll_id == poll_id, PollResponse.completed_at.is_not(None)
    )
    return int(await session.scalar(stmt) or 0)


async def completed_answers(
    session: AsyncSession, poll_id: int
) -> list[tuple[int, list[Any], int | None, str, bool]]:
    """Return (question id, choices, rating, text, skipped) of every complete response."""
    stmt = (
        select(
            PollAnswer.question_id,
            PollAnswer.choices,
            PollAnswer.rating,
            PollAnswer.text,
            PollAnswer.skipped,
        )
        .join(PollResponse, PollResponse.id == PollAnswer.response_id)
        .where(PollResponse.poll_id == poll_id, PollResponse.completed_at.is_not(None))
    )
    return [tuple(row) for row in await session.execute(stmt)]


async def export_rows(
    session: AsyncSession, poll_id: int
) -> list[tuple[PollResponse, Resident | None, dict[int, PollAnswer]]]:
    """Return every response (complete first, by time) with its resident and answers."""
    stmt = (
        select(PollResponse, Resident)
        .outerjoin(Resident, Resident.id == PollResponse.resident_id)
        .where(PollResponse.poll_id == poll_id)
        .order_by(PollResponse.completed_at.is_(None), PollResponse.completed_at, PollResponse.id)
    )
    found = list(await session.execute(stmt))
    by_response: dict[int, dict[int, PollAnswer]] = {r.id: {} for r, _ in found}
    if by_response:
        for answer in await session.scalars(
            select(PollAnswer).where(PollAnswer.response_id.in_(list(by_response)))
        ):
            by_response[answer.response_id][answer.question_id] = answer
    return [(r, resident, by_response[r.id]) for r, resident in found]


def _due(*conditions: ColumnElement[bool]) -> Any:
    return select(Poll.id).where(and_(*conditions)).order_by(Poll.id)


async def to_invite(session: AsyncSession, now: datetime) -> list[int]:
    """Return the polls that opened and whose audience was not invited yet."""
    stmt = _due(Poll.invited_at.is_(None), Poll.opens_at <= now, Poll.closes_at > now)
    return list(await session.scalars(stmt))


async def to_remind(session: AsyncSession, now: datetime) -> list[int]:
    """Return the open polls closing within a day whose reminder was not sent yet.

    Only those invited at least a day before closing, and half a day ago: a reminder right
    after the invitation would only repeat it.
    """
    stmt = select(Poll.id, Poll.invited_at, Poll.closes_at).where(
        Poll.reminded_at.is_(None),
        Poll.invited_at.is_not(None),
        Poll.closes_at > now,
        Poll.closes_at <= now + REMIND_BEFORE,
    )
    found = await session.execute(stmt.order_by(Poll.id))
    return [
        i
        for i, invited, closes in found
        if invited is not None  # the query asks for invited polls only
        and invited <= closes - REMIND_BEFORE
        and invited <= now - INVITED_AT_LEAST
    ]


async def to_report(session: AsyncSession, now: datetime) -> list[int]:
    """Return the polls that closed and whose results staff (and maybe residents) lack."""
    stmt = _due(Poll.reported_at.is_(None), Poll.closes_at <= now)
    return list(await session.scalars(stmt))


async def anonymise(session: AsyncSession, poll_id: int) -> None:
    """Drop who answered an anonymous poll once it is over (only its rule needed it).

    While it is open, the respondent key (the household's door number) keeps one response per
    household, and the resident id lets them resume; afterwards neither is kept.
    """
    await session.execute(
        update(PollResponse)
        .where(PollResponse.poll_id == poll_id)
        .values(resident_id=None, respondent="x" + cast(PollResponse.id, String))
    )
