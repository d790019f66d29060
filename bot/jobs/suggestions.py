"""Suggestions and housekeeping on a clock: the staff digest, and clearing what is old.

Each job looks for due work in the database, so running twice does nothing new.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.suggestions import texts as suggestion_texts
from handlers.suggestions.handoff import TALKING as HANDOFF_STATE
from handlers.types import Reply
from nlp.topics import TOPICS
from storage import canteen, conversations, handoffs, inbound, nonces, outbox, processed, staff
from storage import suggestions as store
from storage.engine import transaction
from storage.types import utcnow

PROCESSED_KEEP = timedelta(days=30)


async def staff_digest(maker: async_sessionmaker[AsyncSession], operators: tuple[str, ...]) -> int:
    """Send staff one message listing the suggestions they were not yet told about."""
    now = utcnow()
    async with transaction(maker) as session:
        pending = await store.unalerted(session)
        by_community = defaultdict(list)
        for suggestion in pending:
            by_community[suggestion.community_id].append(suggestion)
        for community_id, items in by_community.items():
            lines = [suggestion_texts.STAFF_DIGEST.format(n=len(items))]
            lines += [
                f"#{s.id} [{TOPICS[s.topic]}] {suggestion_texts.snippet(s.text, 40)}" for s in items
            ]
            await outbox.enqueue_for_staff(
                session,
                community_id,
                [staff.split_account(account) for account in operators],
                kind="staff_digest",
                payloads=[Reply("\n".join(lines)).to_dict()],
            )
            for suggestion in items:
                suggestion.staff_alerted_at = now
    return len(pending)


async def housekeeping(maker: async_sessionmaker[AsyncSession]) -> None:
    """Drop expired steps, old replay records and old delivered messages; end idle handoffs."""
    now = utcnow()
    async with transaction(maker) as session:
        await conversations.purge_expired(session, now)
        await processed.purge_before(session, now - PROCESSED_KEEP)
        await outbox.purge_finished(session, now - PROCESSED_KEEP)
        await inbound.purge(session, now - PROCESSED_KEEP)
        await canteen.forget_jobs(session, now - PROCESSED_KEEP)
        # Callbacks older than a day are refused by their timestamp already.
        await nonces.forget_before(session, now - timedelta(days=1))
        await handoffs.close_abandoned(session, HANDOFF_STATE, now)
