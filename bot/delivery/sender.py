"""Deliver due outbox rows through the channels, marking each sent, failed or blocked."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.types import Reply
from storage import broadcasts, outbox, residents, workers
from storage.dialect import quick_commit
from storage.engine import transaction
from storage.models import OutboxStatus
from storage.types import utcnow

log = logging.getLogger(__name__)

# A row claimed this long ago and never marked: its sender died mid-send.
STALE_AFTER = timedelta(minutes=5)
# A worker that has not beaten for this long is taken for dead: its claimed rows are released.
WORKER_TIMEOUT = timedelta(seconds=20)
# An outcome waits at most this long (in seconds) before it is written.
RECORD_WITHIN = 0.2


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


@dataclass
class Outcome:
    """What became of one claimed row, to be recorded."""

    row_id: int
    channel: str
    recipient: str
    status: OutboxStatus
    error: str | None = None
    platform_id: str | None = None
    final: bool = False  # a failure not worth retrying
    wait_seconds: float | None = None  # the platform said "retry after"


async def deliver_due(
    maker: async_sessionmaker[AsyncSession],
    senders: dict[str, ChannelSender],
    *,
    batch: int = 50,
    recipient: str | None = None,
    worker_id: str | None = None,
    concurrency: int = 1,
    worker_timeout: timedelta = WORKER_TIMEOUT,
) -> int:
    """Claim and deliver one batch of due rows; return how many were sent.

    Up to ``concurrency`` sends are in flight at once (each still within the channel's rate
    limits). Outcomes are written in small groups (at most ``concurrency`` waiting, none for
    more than RECORD_WITHIN), so a worker killed mid-batch has at most 2 × ``concurrency`` − 1
    messages sent but not recorded: those come back as unknown and are tried once more.
    """
    claimed = await claim(maker, list(senders), batch, recipient, worker_id, worker_timeout)
    gate = asyncio.Semaphore(max(1, concurrency))
    recorder = Recorder(maker, max(1, concurrency))

    async def one(row: Claimed) -> bool:
        async with gate:
            outcome = await send_one(maker, senders, row)
            await recorder.add(outcome)
            return outcome.status == OutboxStatus.SENT

    try:
        sent = await asyncio.gather(*(one(row) for row in claimed))
    finally:
        await recorder.flush()
    return sum(sent)


@dataclass(frozen=True)
class Claimed:
    """A row claimed for sending, with what to send."""

    row_id: int
    channel: str
    recipient: str
    kind: str
    payload: dict[str, Any]
    attempts: int


async def claim(
    maker: async_sessionmaker[AsyncSession],
    channels: list[str],
    batch: int,
    recipient: str | None = None,
    worker_id: str | None = None,
    worker_timeout: timedelta = WORKER_TIMEOUT,
    hold_broadcasts: bool = False,
) -> list[Claimed]:
    """Release rows of dead senders, then claim up to ``batch`` due rows of unpaused channels.

    ``hold_broadcasts`` (quiet hours) leaves non-urgent announcements for later.
    """
    now = utcnow()
    async with transaction(maker) as session:
        await outbox.release_stale(session, now - STALE_AFTER, workers.live(now - worker_timeout))
        paused = await workers.paused(session, now)
        open_channels = [c for c in channels if c not in paused]
        if not open_channels:
            return []
        rows = await outbox.claim_due(
            session, open_channels, now, batch, recipient, worker_id, hold_broadcasts
        )
        texts = await broadcasts.payloads(session, {r.broadcast_id for r in rows if r.broadcast_id})
        return [
            Claimed(
                r.id,
                r.channel,
                r.recipient,
                r.kind,
                # A broadcast row's payload is empty, unless it keeps what a partial
                # delivery left to send.
                r.payload or texts.get(r.broadcast_id or 0, {}),
                r.attempts,
            )
            for r in rows
        ]


async def send_one(
    maker: async_sessionmaker[AsyncSession], senders: dict[str, ChannelSender], row: Claimed
) -> Outcome:
    """Send one claimed row; return what became of it."""
    row_id, channel, to, kind, payload = (
        row.row_id,
        row.channel,
        row.recipient,
        row.kind,
        row.payload,
    )
    attempts = row.attempts
    outcome = Outcome(row_id, channel, to, OutboxStatus.SENT)
    try:
        try:
            outcome.platform_id = await senders[channel].send(to, Reply.from_dict(payload), kind)
        except PartlyDelivered as partly:
            async with transaction(maker) as session:
                await outbox.replace_payload(session, row_id, partly.remaining.to_dict())
            raise partly.cause from partly
    except RecipientBlocked as exc:
        outcome.status, outcome.error = OutboxStatus.BLOCKED, str(exc) or "blocked"
    except Undeliverable as exc:
        outcome.status, outcome.error = OutboxStatus.UNDELIVERABLE, str(exc)
    except OutcomeUnknown as exc:
        outcome.status, outcome.error = OutboxStatus.UNKNOWN, str(exc) or "timed out"
        if attempts >= 2:  # unknown twice: tried enough, and it may well have arrived
            outcome.status, outcome.final = OutboxStatus.FAILED, True
    except RetryLater as exc:
        outcome.status, outcome.wait_seconds = OutboxStatus.PENDING, exc.seconds
        outcome.error = str(exc)
    except Exception as exc:
        log.warning("sending outbox row %s on %s failed: %s", row_id, channel, exc)
        outcome.status, outcome.error = OutboxStatus.FAILED, f"{type(exc).__name__}: {exc}"
    return outcome


class Recorder:
    """Writes outcomes in groups: one transaction for up to ``limit`` of them."""

    def __init__(self, maker: async_sessionmaker[AsyncSession], limit: int) -> None:
        """Record through ``maker``, flushing at ``limit`` outcomes or after RECORD_WITHIN."""
        self.maker = maker
        self.limit = limit
        self.pending: list[Outcome] = []
        self.oldest = 0.0
        self.lock = asyncio.Lock()

    async def flush_if_due(self) -> None:
        """Write the kept outcomes if the oldest waited RECORD_WITHIN."""
        if self.pending and time.monotonic() - self.oldest >= RECORD_WITHIN:
            await self.flush()

    async def add(self, outcome: Outcome) -> None:
        """Keep an outcome; write the group if it is full or waited long enough."""
        if not self.pending:
            self.oldest = time.monotonic()
        self.pending.append(outcome)
        waited = time.monotonic() - self.oldest
        if len(self.pending) >= self.limit or waited >= RECORD_WITHIN or outcome.wait_seconds:
            await self.flush()

    async def flush(self) -> None:
        """Write every outcome kept so far."""
        async with self.lock:
            taken, self.pending = self.pending, []
            if taken:
                try:
                    async with transaction(self.maker) as session:
                        # A mark lost to a crash of PostgreSQL itself leaves its row "sending":
                        # it comes back as unknown and is tried once more, as after a crash.
                        await quick_commit(session)
                        await _record(session, taken)
                except Exception:
                    self.pending = taken + self.pending  # written with the next group
                    raise


async def _record(session: AsyncSession, outcomes: list[Outcome]) -> None:
    now = utcnow()
    sent = [(o.row_id, o.platform_id) for o in outcomes if o.status == OutboxStatus.SENT]
    await outbox.mark_sent(session, sent, now)
    for o in outcomes:
        if o.wait_seconds is not None:
            until = now + timedelta(seconds=o.wait_seconds)
            await outbox.postpone(session, o.row_id, until)
            # Every process stops sending on this channel until then, not only this one.
            await workers.pause(session, o.channel, until, o.error or "")
        elif o.status == OutboxStatus.FAILED and not o.final:
            row = await outbox.get(session, o.row_id)
            if row is not None:
                await outbox.retry_later(session, row, now, o.error or "")
        elif o.status != OutboxStatus.SENT:
            await outbox.mark(session, o.row_id, o.status, now=now, error=o.error)
        if o.status == OutboxStatus.BLOCKED:
            resident = await residents.find_by_account(session, o.channel, o.recipient)
            if resident is not None:
                await residents.set_active(session, resident.id, False)
