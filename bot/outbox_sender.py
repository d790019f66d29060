"""Deliver due outbox rows through the channels, marking each sent, failed or blocked."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.types import Reply
from storage import outbox, residents
from storage.engine import transaction
from storage.models import OutboxStatus
from storage.types import utcnow

log = logging.getLogger(__name__)

# A row claimed this long ago and never marked: its sender died mid-send.
STALE_AFTER = timedelta(minutes=5)


class RecipientBlocked(Exception):
    """The recipient blocked linli or left the platform; do not retry."""


class Undeliverable(Exception):
    """The platform refuses this message for good (e.g. outside a reply window)."""


class OutcomeUnknown(Exception):
    """The send timed out: the message may or may not have arrived (retried once)."""


class RetryLater(Exception):
    """The platform asked to wait (429); the row goes back with that delay."""

    def __init__(self, seconds: float) -> None:
        """Remember how long to wait."""
        super().__init__(f"retry after {seconds:g} s")
        self.seconds = seconds


class PartlyDelivered(Exception):
    """Part of a message went out before ``cause`` stopped it; ``remaining`` is the rest.

    The row keeps only the rest, so a retry does not send the delivered part again.
    """

    def __init__(self, cause: Exception, remaining: Reply) -> None:
        """Keep the error that stopped delivery and what is left to send."""
        super().__init__(str(cause))
        self.cause = cause
        self.remaining = remaining


class ChannelSender(Protocol):
    """What a channel offers the outbox sender."""

    name: str

    async def send(self, recipient: str, reply: Reply, kind: str = "") -> str | None:
        """Deliver one reply (of an outbox ``kind``); return the platform's message id."""
        ...


async def deliver_due(
    maker: async_sessionmaker[AsyncSession],
    senders: dict[str, ChannelSender],
    *,
    batch: int = 50,
    recipient: str | None = None,
) -> int:
    """Claim and deliver one batch of due rows; return how many were sent."""
    now = utcnow()
    async with transaction(maker) as session:
        await outbox.release_stale(session, now - STALE_AFTER)
        rows = await outbox.claim_due(session, list(senders), now, batch, recipient)
        claimed = [(r.id, r.channel, r.recipient, r.kind, dict(r.payload)) for r in rows]
    sent = 0
    for row_id, channel, to, kind, payload in claimed:
        status, error, platform_id = OutboxStatus.SENT, None, None
        try:
            try:
                platform_id = await senders[channel].send(to, Reply.from_dict(payload), kind)
            except PartlyDelivered as partly:
                async with transaction(maker) as session:
                    await outbox.replace_payload(session, row_id, partly.remaining.to_dict())
                raise partly.cause from partly
        except RecipientBlocked as exc:
            status, error = OutboxStatus.BLOCKED, str(exc) or "blocked"
        except Undeliverable as exc:
            status, error = OutboxStatus.UNDELIVERABLE, str(exc)
        except OutcomeUnknown as exc:
            status, error = OutboxStatus.UNKNOWN, str(exc) or "timed out"
        except RetryLater as exc:
            async with transaction(maker) as session:
                await outbox.postpone(session, row_id, utcnow() + timedelta(seconds=exc.seconds))
            continue
        except Exception as exc:
            log.warning("sending outbox row %s on %s failed: %s", row_id, channel, exc)
            status, error = OutboxStatus.FAILED, f"{type(exc).__name__}: {exc}"
        async with transaction(maker) as session:
            if status == OutboxStatus.FAILED:
                row = await outbox.get(session, row_id)
                if row is not None:
                    await outbox.retry_later(session, row, utcnow(), error or "")
                continue
            await outbox.mark(
                session, row_id, status, now=utcnow(), error=error, platform_message_id=platform_id
            )
            if status == OutboxStatus.BLOCKED:
                resident = await residents.find_by_account(session, channel, to)
                if resident is not None:
                    await residents.set_active(session, resident.id, False)
        sent += status == OutboxStatus.SENT
    return sent
