"""The processes of a deployment: heartbeats, the one scheduler, and the send loop.

Several linli processes may share one PostgreSQL: web instances answer webhooks, workers send.
Every sending worker beats every few seconds; rows a silent worker had claimed are released
for one retry (bot.outbox_sender). The scheduler runs in one process only: whoever holds a
PostgreSQL advisory lock. The lock lives with its connection, so a holder that dies (even
SIGKILL) releases it at once and a waiting instance takes over at its next try.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.outbox_sender import WORKER_TIMEOUT, ChannelSender, deliver_due
from storage import workers
from storage.broadcast_models import Worker
from storage.engine import transaction
from storage.types import utcnow

log = logging.getLogger(__name__)

PAUSE_POLL_SECONDS = 0.2  # how soon a "retry after" one worker got stops the others
LEADER_RETRY_SECONDS = 10.0
# Any fixed number, the same in every instance: the advisory lock of the scheduler.
SCHEDULER_LOCK = 0x6C696E6C69  # "linli"


class Presence:
    """A process's row in ``workers``, kept fresh while it runs."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        role: str,
        on_senders: Callable[[int], None] | None = None,
        timeout: timedelta = WORKER_TIMEOUT,
    ) -> None:
        """Prepare a presence; ``on_senders`` hears how many sending workers are alive.

        It beats four times per ``timeout`` (the silence after which others take it for dead).
        """
        self.maker = maker
        self.role = role
        self.timeout = timeout
        self.id = uuid.uuid4().hex[:16]
        self.on_senders = on_senders
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Register, then beat in the background."""
        async with transaction(self.maker) as session:
            await workers.register(session, self._row())
        await self._beat()
        self._task = asyncio.create_task(self._run())

    def _row(self) -> Worker:
        return Worker(id=self.id, role=self.role, host=socket.gethostname(), pid=os.getpid())

    async def _beat(self) -> None:
        now = utcnow()
        async with transaction(self.maker) as session:
            if not await workers.beat(session, self.id, now):
                # Taken for dead (a long pause): come back under the same id.
                await workers.register(session, self._row())
            await workers.forget_dead(session, now - timedelta(hours=1))
            live = await workers.live_senders(session, now - self.timeout)
        if self.on_senders is not None:
            self.on_senders(live)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.timeout.total_seconds() / 4)
            try:
                await self._beat()
            except Exception:  # the database may be away for a moment; keep beating
                log.warning("heartbeat failed", exc_info=True)

    async def stop(self) -> None:
        """Stop beating and leave (rows still claimed are released by the others)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            async with transaction(self.maker) as session:
                await workers.leave(session, self.id)


async def send_forever(
    maker: async_sessionmaker[AsyncSession],
    senders: dict[str, ChannelSender],
    stop: asyncio.Event,
    *,
    worker_id: str,
    batch: int,
    concurrency: int,
    idle_seconds: float,
    worker_timeout: timedelta = WORKER_TIMEOUT,
) -> None:
    """Deliver due outbox rows until ``stop`` is set; wait ``idle_seconds`` when none are due."""
    sharing = asyncio.create_task(share_pauses(maker, senders, stop))
    try:
        while not stop.is_set():
            try:
                sent = await deliver_due(
                    maker,
                    senders,
                    batch=batch,
                    worker_id=worker_id,
                    concurrency=concurrency,
                    worker_timeout=worker_timeout,
                )
            except Exception:
                log.warning("sending failed; trying again shortly", exc_info=True)
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle_seconds)
    finally:
        sharing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sharing


async def share_pauses(
    maker: async_sessionmaker[AsyncSession], senders: dict[str, ChannelSender], stop: asyncio.Event
) -> None:
    """Keep every process's "retry after" in step: publish ours, and obey the others'.

    A channel with a rate limiter (Telegram) pauses all its sends here within
    PAUSE_POLL_SECONDS of another worker being told to wait.
    """
    limiters = {n: s.limiter for n, s in senders.items() if hasattr(s, "limiter")}  # type: ignore[attr-defined]
    heard: list[tuple[str, float]] = []
    for name, limiter in limiters.items():
        limiter.on_pause = lambda seconds, name=name: heard.append((name, seconds))
    while not stop.is_set():
        try:
            async with transaction(maker) as session:
                now = utcnow()
                while heard:
                    name, seconds = heard.pop()
                    until = now + timedelta(seconds=seconds)
                    await workers.pause(session, name, until, "retry after")
                for name, until in (await workers.paused(session, now)).items():
                    if name in limiters:
                        limiters[name].pause_for((until - now).total_seconds())
        except Exception:
            log.warning("could not share send pauses", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), PAUSE_POLL_SECONDS)


async def lead(
    engine: AsyncEngine,
    start: Callable[[], Any],
    stop_leading: Callable[[], Any],
    stop: asyncio.Event,
) -> None:
    """Run the scheduler here while this process holds the scheduler lock.

    On SQLite there is one process, which always leads. On PostgreSQL the lock is tried every
    LEADER_RETRY_SECONDS; once held, its connection is checked as often, and a lost
    connection (the lock with it) stops the scheduler until the lock is won again.
    """
    if engine.dialect.name != "postgresql":
        start()
        await stop.wait()
        stop_leading()
        return
    while not stop.is_set():
        try:
            async with engine.connect() as conn:
                try_lock = text("SELECT pg_try_advisory_lock(:k)")
                got = await conn.scalar(try_lock, {"k": SCHEDULER_LOCK})
                await conn.commit()
                if got:
                    log.info("this instance runs the scheduler")
                    start()
                    try:
                        while not stop.is_set():
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(stop.wait(), LEADER_RETRY_SECONDS)
                            await conn.scalar(text("SELECT 1"))
                            await conn.commit()
                    finally:
                        stop_leading()
                        with contextlib.suppress(Exception):
                            await conn.scalar(
                                text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEDULER_LOCK}
                            )
        except Exception:
            log.warning("scheduler lock: connection lost; trying again", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), LEADER_RETRY_SECONDS)
