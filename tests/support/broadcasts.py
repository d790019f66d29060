"""Announcements for tests: a small town of residents on two channels, and quiet hours."""

from __future__ import annotations

from handlers.broadcasts.rules import QuietHours
from storage import communities, residents, staff, tags
from storage.engine import transaction
from storage.models import (
    ChannelAccount,
)

QUIET = QuietHours()


async def town(app) -> dict[str, int]:
    """Twelve residents: 3栋 and 5栋, Telegram and WeChat, ages, tags, one with two accounts."""
    ids: dict[str, int] = {}
    async with transaction(app.maker) as session:
        community = await communities.ensure_default(session)
        for n in range(12):
            channel = "telegram" if n % 3 else "wechat"
            person = await residents.create(
                session,
                channel,
                f"{channel}-{n}",
                display_name=f"居民{n}",
                community_id=community.id,
            )
            person.building = "3" if n < 6 else "5"
            person.birth_year = 1940 + 5 * n  # 86, 81, … 31 years old in 2026
            ids[f"居民{n}"] = person.id
        session.add(ChannelAccount(resident_id=ids["居民1"], channel="wechat", external_id="w-1"))
        await tags.tag(session, [ids["居民0"], ids["居民1"], ids["居民7"]], "老人")
        await staff.add(session, "console", "小王", community.id)
    return ids
