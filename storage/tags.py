"""Queries for residents' tags (given by staff) and the announcements they opted out of."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert_once
from storage.models import OptOut, ResidentTag
from storage.types import rows_changed


async def tag(session: AsyncSession, resident_ids: list[int], name: str) -> int:
    """Give residents a tag; return how many did not have it yet."""
    added = 0
    for resident_id in resident_ids:
        added += await insert_once(session, ResidentTag, {"resident_id": resident_id, "tag": name})
    return added


async def untag(session: AsyncSession, resident_ids: list[int], name: str) -> int:
    """Take a tag from residents; return how many had it."""
    result = await session.execute(
        delete(ResidentTag).where(
            ResidentTag.resident_id.in_(resident_ids), ResidentTag.tag == name
        )
    )
    return rows_changed(result)


async def tags_of(session: AsyncSession, resident_id: int) -> list[str]:
    """Return a resident's tags, in order."""
    stmt = select(ResidentTag.tag).where(ResidentTag.resident_id == resident_id)
    return sorted(await session.scalars(stmt))


async def opt_out(session: AsyncSession, resident_id: int, kind: str) -> bool:
    """Stop announcements of ``kind`` to a resident; False if they had opted out before."""
    return await insert_once(session, OptOut, {"resident_id": resident_id, "kind": kind})


async def opt_in(session: AsyncSession, resident_id: int, kind: str) -> bool:
    """Send announcements of ``kind`` to a resident again; False if they were not opted out."""
    result = await session.execute(
        delete(OptOut).where(OptOut.resident_id == resident_id, OptOut.kind == kind)
    )
    return bool(rows_changed(result))


async def opted_out(session: AsyncSession, resident_id: int) -> set[str]:
    """Return the kinds a resident opted out of."""
    stmt = select(OptOut.kind).where(OptOut.resident_id == resident_id)
    return set(await session.scalars(stmt))
