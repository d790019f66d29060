"""Queries about suggestions, their supporters, ratings and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_once
from storage.models import (
    ACTIVE_STATUSES,
    Resident,
    Suggestion,
    SuggestionEvent,
    SuggestionRating,
    SuggestionStatus,
    SuggestionSupporter,
)
from storage.scoping import Columns, Scope
from storage.types import UTCDateTime, table_of, utcnow

_INSERT = insert(table_of(Suggestion)).returning(table_of(Suggestion).c.id)


async def create(session: AsyncSession, **fields: Any) -> Suggestion:
    """Store a new suggestion; return a detached copy carrying its number.

    A plain INSERT … RETURNING: this runs for every message, and the ORM's unit of work
    costs more than the insert itself. Load it with ``get`` to change it later.
    """
    number = (await session.execute(_INSERT, fields)).scalar_one()
    return Suggestion(id=number, **fields)


async def get(session: AsyncSession, suggestion_id: int) -> Suggestion | None:
    """Return a suggestion by number (unscoped: for the resident's own checks)."""
    return await session.get(Suggestion, suggestion_id)


async def get_scoped(session: AsyncSession, scope: Scope, suggestion_id: int) -> Suggestion | None:
    """Return a suggestion only if it lies within a staff scope."""
    stmt = scope.apply(
        select(Suggestion).where(Suggestion.id == suggestion_id), Suggestion.community_id
    )
    return await session.scalar(stmt)


# Built once: it runs for every new suggestion.
_SIMILAR_CANDIDATES = (
    select(Suggestion.id, Suggestion.terms, Suggestion.resident_id)
    .where(
        Suggestion.community_id == bindparam("community_id"),
        Suggestion.topic == bindparam("topic"),
        Suggestion.status.in_(ACTIVE_STATUSES),
        Suggestion.created_at >= bindparam("since", type_=UTCDateTime()),
        Suggestion.id != bindparam("exclude_id"),
    )
    .order_by(Suggestion.id.desc())
    .limit(bindparam("limit"))
)


async def similar_candidates(
    session: AsyncSession,
    community_id: int,
    topic: str,
    since: datetime,
    exclude_id: int,
    limit: int = 100,
) -> list[Row[int, str, int | None]]:
    """Return (id, terms, resident_id) of recent active suggestions of a topic."""
    params = {
        "community_id": community_id,
        "topic": topic,
        "since": since,
        "exclude_id": exclude_id,
        "limit": limit,
    }
    return list(await session.execute(_SIMILAR_CANDIDATES, params))


async def supporter_ids(session: AsyncSession, suggestion_id: int) -> list[int]:
    """Return the resident ids of a suggestion's supporters (forgotten ones excluded)."""
    rows = await session.scalars(
        select(SuggestionSupporter.resident_id).where(
            SuggestionSupporter.suggestion_id == suggestion_id,
            SuggestionSupporter.resident_id.is_not(None),
        )
    )
    return [r for r in rows if r is not None]


_SUPPORTER_COUNT = select(func.count()).where(
    SuggestionSupporter.suggestion_id == bindparam("suggestion_id")
)


async def supporter_count(session: AsyncSession, suggestion_id: int) -> int:
    """Return how many residents support a suggestion (its author not counted)."""
    return await session.scalar(_SUPPORTER_COUNT, {"suggestion_id": suggestion_id}) or 0


async def add_supporter(session: AsyncSession, suggestion_id: int, resident_id: int) -> bool:
    """Record a resident as a supporter; return False if they already were one."""
    values = {"suggestion_id": suggestion_id, "resident_id": resident_id, "created_at": utcnow()}
    return await insert_once(session, SuggestionSupporter, values)


async def move_supporters(session: AsyncSession, from_id: int, to_id: int) -> None:
    """Make the supporters of one suggestion supporters of another (when merging)."""
    moving = await supporter_ids(session, from_id)
    for resident_id in moving:
        await add_supporter(session, to_id, resident_id)
    await session.execute(
        delete(SuggestionSupporter).where(SuggestionSupporter.suggestion_id == from_id)
    )


async def add_event(
    session: AsyncSession, suggestion_id: int, kind: str, actor: str | None, text: str | None = None
) -> None:
    """Append a step to a suggestion's history."""
    session.add(SuggestionEvent(suggestion_id=suggestion_id, kind=kind, actor=actor, text=text))
    await session.flush()


async def list_by_resident(
    session: AsyncSession, resident_id: int, limit: int = 10
) -> list[Suggestion]:
    """Return a resident's own suggestions, newest first."""
    stmt = (
        select(Suggestion)
        .where(Suggestion.resident_id == resident_id)
        .order_by(Suggestion.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(stmt))


@dataclass(frozen=True)
class Waiting:
    """Which suggestions waiting for staff to list: a topic, a building, statuses, overdue."""

    topic: str | None = None
    building: str | None = None
    statuses: tuple[str, ...] = tuple(ACTIVE_STATUSES)
    # Only those nobody has touched since this time (waiting too long).
    untouched_since: datetime | None = None


def _waiting(stmt: Select[*Columns], scope: Scope, wanted: Waiting) -> Select[*Columns]:
    stmt = stmt.where(Suggestion.status.in_(wanted.statuses))
    if wanted.topic:
        stmt = stmt.where(Suggestion.topic == wanted.topic)
    if wanted.building:
        stmt = stmt.join(Resident, Resident.id == Suggestion.resident_id).where(
            Resident.building == wanted.building
        )
    if wanted.untouched_since is not None:
        stmt = stmt.where(Suggestion.updated_at < wanted.untouched_since)
    return scope.apply(stmt, Suggestion.community_id)


async def list_active(
    session: AsyncSession,
    scope: Scope,
    wanted: Waiting | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Suggestion]:
    """Return suggestions waiting for staff in a scope, oldest first (urgent ones on top)."""
    stmt = _waiting(select(Suggestion), scope, wanted or Waiting())
    stmt = stmt.order_by(Suggestion.urgent.desc(), Suggestion.id).limit(limit).offset(offset)
    return list(await session.scalars(stmt))


async def count_active(session: AsyncSession, scope: Scope, wanted: Waiting | None = None) -> int:
    """Return how many suggestions wait for staff in a scope (of those wanted)."""
    stmt = _waiting(select(func.count(Suggestion.id)), scope, wanted or Waiting())
    return await session.scalar(stmt) or 0


async def history(session: AsyncSession, suggestion_id: int) -> list[SuggestionEvent]:
    """Return a suggestion's steps (filed, replied, resolved…), oldest first."""
    stmt = select(SuggestionEvent).where(SuggestionEvent.suggestion_id == suggestion_id)
    return list(await session.scalars(stmt.order_by(SuggestionEvent.id)))


async def counts(session: AsyncSession, scope: Scope) -> list[tuple[str, str, int]]:
    """Return (topic, status, count) rows for a scope."""
    stmt = select(Suggestion.topic, Suggestion.status, func.count()).group_by(
        Suggestion.topic, Suggestion.status
    )
    stmt = scope.apply(stmt, Suggestion.community_id)
    return [(t, s, n) for t, s, n in await session.execute(stmt)]


async def add_rating(
    session: AsyncSession,
    suggestion_id: int,
    resident_id: int,
    score: int | None,
    unresolved: bool,
    round: int,
) -> bool:
    """Store a resident's rating of one resolution; return False if they already rated it."""
    values = {
        "suggestion_id": suggestion_id,
        "resident_id": resident_id,
        "score": score,
        "unresolved": unresolved,
        "round": round,
        "created_at": utcnow(),
    }
    return await insert_once(session, SuggestionRating, values)


async def unalerted(session: AsyncSession, limit: int = 200) -> list[Suggestion]:
    """Return suggestions staff have not yet been alerted about, oldest first."""
    stmt = (
        select(Suggestion)
        .where(Suggestion.staff_alerted_at.is_(None), Suggestion.status != SuggestionStatus.MERGED)
        .order_by(Suggestion.id)
        .limit(limit)
    )
    return list(await session.scalars(stmt))


async def recent_photo_refs(session: AsyncSession, channel: str, since: datetime) -> list[str]:
    """Return the platform refs of photos attached to suggestions from a channel since then."""
    stmt = select(Suggestion.media).where(
        Suggestion.channel == channel, Suggestion.created_at >= since
    )
    return [
        str(item["ref"])
        for media in await session.scalars(stmt)
        for item in media or ()
        if isinstance(item, dict) and item.get("kind") == "photo" and item.get("ref")
    ]


async def any_stored(session: AsyncSession) -> bool:
    """Tell whether any suggestion is stored at all."""
    return await session.scalar(select(Suggestion.id).limit(1)) is not None


async def awaiting_rating(
    session: AsyncSession, resident_id: int, since: datetime
) -> list[Suggestion]:
    """Return resolved suggestions a resident is involved in and has not yet rated, oldest first.

    Involved: they wrote it or joined it. Only resolutions since ``since`` are asked about.
    """
    supported = select(SuggestionSupporter.suggestion_id).where(
        SuggestionSupporter.resident_id == resident_id
    )
    rated = select(SuggestionRating.id).where(
        SuggestionRating.suggestion_id == Suggestion.id,
        SuggestionRating.resident_id == resident_id,
        SuggestionRating.round >= Suggestion.times_resolved,
    )
    stmt = (
        select(Suggestion)
        .where(
            Suggestion.status == SuggestionStatus.RESOLVED,
            Suggestion.updated_at >= since,
            (Suggestion.resident_id == resident_id) | Suggestion.id.in_(supported),
            ~rated.exists(),
        )
        .order_by(Suggestion.updated_at, Suggestion.id)
    )
    return list(await session.scalars(stmt))


async def has_rated(
    session: AsyncSession, suggestion_id: int, resident_id: int, times_resolved: int
) -> bool:
    """Tell whether a resident has rated a suggestion's latest resolution."""
    stmt = select(SuggestionRating.id).where(
        SuggestionRating.suggestion_id == suggestion_id,
        SuggestionRating.resident_id == resident_id,
        SuggestionRating.round >= max(1, times_resolved),
    )
    return await session.scalar(stmt) is not None
