"""Queries about communities."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Community

DEFAULT_SLUG = "default"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class InvalidSlug(ValueError):
    """A community slug that is not lower-case letters, digits and dashes."""


async def get_by_slug(session: AsyncSession, slug: str) -> Community | None:
    """Return the community with ``slug``, if any."""
    return await session.scalar(select(Community).where(Community.slug == slug))


async def get(session: AsyncSession, community_id: int) -> Community | None:
    """Return the community with ``community_id``, if any."""
    return await session.get(Community, community_id)


async def list_all(session: AsyncSession) -> list[Community]:
    """Return every community, oldest first."""
    return list(await session.scalars(select(Community).order_by(Community.id)))


async def count(session: AsyncSession) -> int:
    """Return how many communities exist."""
    return await session.scalar(select(func.count()).select_from(Community)) or 0


async def add(
    session: AsyncSession, slug: str, name: str, duty_phone: str | None = None
) -> Community:
    """Create a community, or update the name and phone of an existing slug."""
    if not SLUG_RE.fullmatch(slug):
        raise InvalidSlug(
            f"community slug {slug!r} must be lower-case letters, digits and dashes (max 63)"
        )
    community = await get_by_slug(session, slug)
    if community is None:
        community = Community(slug=slug, name=name, duty_phone=duty_phone)
        session.add(community)
    else:
        community.name = name
        if duty_phone is not None:
            community.duty_phone = duty_phone
    await session.flush()
    return community


async def ensure_default(session: AsyncSession, name: str = "我的小区") -> Community:
    """Return the ``default`` community, creating it on first start."""
    community = await get_by_slug(session, DEFAULT_SLUG)
    if community is None:
        community = await add(session, DEFAULT_SLUG, name)
    return community
