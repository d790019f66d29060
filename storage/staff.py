"""Queries about staff grants, their current community, and who gets staff alerts."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Community,
    ConversationState,
    StaffInvite,
    StaffMember,
    StaffPreference,
)
from storage.scoping import Scope
from storage.types import rows_changed


def split_account(account: str) -> tuple[str, str]:
    """Split ``"telegram:12345"`` into ``("telegram", "12345")``."""
    channel, sep, external_id = account.partition(":")
    if not sep or not channel or not external_id:
        raise ValueError(f"staff account {account!r} must look like CHANNEL:ID, e.g. console:admin")
    return channel, external_id


async def add(
    session: AsyncSession,
    channel: str,
    external_id: str,
    community_id: int | None,
    display_name: str | None = None,
) -> StaffMember:
    """Grant staff rights in one community (or operator-wide with ``None``); idempotent."""
    existing = await session.scalar(
        select(StaffMember).where(
            StaffMember.channel == channel,
            StaffMember.external_id == external_id,
            StaffMember.community_id.is_(None)
            if community_id is None
            else StaffMember.community_id == community_id,
        )
    )
    if existing is not None:
        return existing
    member = StaffMember(
        channel=channel,
        external_id=external_id,
        community_id=community_id,
        display_name=display_name,
    )
    session.add(member)
    await session.flush()
    return member


async def scope_of(
    session: AsyncSession, channel: str, external_id: str, operators: Iterable[str] = ()
) -> Scope | None:
    """Return what a platform account may see as staff, or ``None`` if it is not staff."""
    if f"{channel}:{external_id}" in set(operators):
        return Scope.operator()
    grants = list(
        await session.scalars(
            select(StaffMember.community_id).where(
                StaffMember.channel == channel, StaffMember.external_id == external_id
            )
        )
    )
    if not grants:
        return None
    if any(g is None for g in grants):
        return Scope.operator()
    return Scope.of(*[g for g in grants if g is not None])


async def members(session: AsyncSession, scope: Scope) -> list[tuple[StaffMember, str | None]]:
    """Return the staff grants a scope covers, with each one's community slug (None: operator).

    Operator-wide grants are listed only for an operator-wide scope.
    """
    stmt = (
        select(StaffMember, Community.slug)
        .outerjoin(Community, Community.id == StaffMember.community_id)
        .order_by(StaffMember.community_id.is_not(None), Community.slug, StaffMember.id)
    )
    if scope.community_ids is not None:
        stmt = stmt.where(StaffMember.community_id.in_(sorted(scope.community_ids)))
    return [(member, slug) for member, slug in await session.execute(stmt)]


async def remove(
    session: AsyncSession, channel: str, external_id: str, community_id: int | None = None
) -> int:
    """Take an account's staff rights away (in one community, or all of them); return how many.

    What it was in the middle of as staff (a half-written announcement) is dropped with its
    rights, and so is its choice of community; the next message it sends is a resident's.
    """
    grants = delete(StaffMember).where(
        StaffMember.channel == channel, StaffMember.external_id == external_id
    )
    if community_id is not None:
        grants = grants.where(StaffMember.community_id == community_id)
    removed = rows_changed(await session.execute(grants))
    if removed and not await scope_of(session, channel, external_id):
        account = (StaffPreference.channel == channel, StaffPreference.external_id == external_id)
        await session.execute(delete(StaffPreference).where(*account))
        await session.execute(
            delete(ConversationState).where(
                ConversationState.channel == channel, ConversationState.external_id == external_id
            )
        )
    return removed


async def current_community(session: AsyncSession, channel: str, external_id: str) -> int | None:
    """Return the community a staff member last switched to, if any."""
    pref = await session.get(StaffPreference, (channel, external_id))
    return pref.community_id if pref else None


async def set_current_community(
    session: AsyncSession, channel: str, external_id: str, community_id: int
) -> None:
    """Remember which community a staff member of several works in now."""
    pref = await session.get(StaffPreference, (channel, external_id))
    if pref is None:
        session.add(
            StaffPreference(channel=channel, external_id=external_id, community_id=community_id)
        )
    else:
        pref.community_id = community_id
    await session.flush()


async def communities_in(session: AsyncSession, scope: Scope) -> list[Community]:
    """Return the communities a scope covers, oldest first."""
    stmt = scope.apply(select(Community).order_by(Community.id), Community.id)
    return list(await session.scalars(stmt))


async def alert_recipients(
    session: AsyncSession, community_id: int, operators: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """Return the (channel, id) of everyone who gets staff alerts for a community."""
    rows = await session.execute(
        select(StaffMember.channel, StaffMember.external_id)
        .where(or_(StaffMember.community_id == community_id, StaffMember.community_id.is_(None)))
        .order_by(StaffMember.id)
    )
    found = [(c, e) for c, e in rows]
    for account in operators:
        pair = split_account(account)
        if pair not in found:
            found.append(pair)
    return found


async def accounts_on(session: AsyncSession, channel: str) -> list[str]:
    """Return the ids of every staff member on one channel."""
    rows = await session.scalars(
        select(StaffMember.external_id).where(StaffMember.channel == channel).distinct()
    )
    return list(rows)


async def create_invite(
    session: AsyncSession, community_id: int | None, now: datetime, ttl: timedelta
) -> str:
    """Make a single-use staff invite code valid for ``ttl``."""
    code = secrets.token_urlsafe(12)
    session.add(StaffInvite(code=code, community_id=community_id, expires_at=now + ttl))
    await session.flush()
    return code


async def redeem_invite(
    session: AsyncSession, code: str, channel: str, external_id: str, now: datetime
) -> StaffInvite | None:
    """Use an invite (once, before it expires) to make an account staff; None if invalid."""
    taken = await session.execute(
        update(StaffInvite)
        .where(
            StaffInvite.code == code,
            StaffInvite.used_at.is_(None),
            StaffInvite.expires_at > now,
        )
        .values(used_at=now, used_by=f"{channel}:{external_id}")
    )
    if not rows_changed(taken):
        return None
    invite = await session.get(StaffInvite, code)
    assert invite is not None
    await add(session, channel, external_id, invite.community_id)
    return invite
