"""The processes of a deployment: heartbeats, the one scheduler, and the send loop.

Several linli processes may share one PostgreSQL: web instances answer webhooks, workers send.
Every sending worker beats every few seconds; rows a silent worker had claimed are released
for one retry (bot.delivery.sender). The scheduler runs in one process only: whoever holds a
PostgreSQL advisory lock. The lock lives with its connection, so a holder that dies (even
SIGKILL) releases it at once and a waiting instance takes over at its next try.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.delivery.sender import WORKER_TIMEOUT, ChannelSender, Claimed, Recorder, claim, send_one
from storage import outbox, workers
from storage.engine import transaction
from storage.models import Worker
from storage.types import utcnow

log = logging.getLogger(__name__)

PAUSE_POLL_SECONDS = 0.2  # how soon a "retry after" one worker got stops the others
LEADER_RETRY_SECONDS = 10.0
# Any fixed number, the same in every instance: the advisory lock of the scheduler.
SCHEDULER_LOCK = 0x6C696E6C69  # "linli"
KEEPALIVES = (
    "SET tcp_keepalives_idle = 10",
    "SET tcp_keepalives_interval = 5",
    "SET tcp_keepalives_count = 3",
)


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
        self.last_beat = float("-inf")  # time.monotonic() of the last beat that was recorded
        self.id = uuid.uuid4().hex[:16]
        self.on_senders = on_senders
        self.settled_at = 0.0  # time.monotonic() from which this worker may send
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Register, then beat in the background."""
        async with transaction(self.maker) as session:
            await workers.register(session, self._row())
        others = await self._beat() > 1
        if others:
            # The others still send at a share of the rate that leaves none for this one until
            # their next beat counts it: sending before then would go over the bot's limit.
            self.settled_at = time.monotonic() + self.timeout.total_seconds() / 4 * 1.2
        self._task = asyncio.create_task(self._run())

    def _row(self) -> Worker:
        return Worker(id=self.id, role=self.role, host=socket.gethostname(), pid=os.getpid())

    async def _beat(self) -> int:
        """Record a beat; return how many sending workers are alive (this one included)."""
        now = utcnow()
        async with transaction(self.maker) as session:
            if not await workers.beat(session, self.id, now):
                # Taken for dead (a long pause): come back under the same id.
                await workers.register(session, self._row())
            await workers.forget_dead(session, now - timedelta(hours=1))
            live = await workers.live_senders(session, now - self.timeout)
        self.last_beat = time.monotonic()
        if self.on_senders is not None:
            self.on_senders(live)
        return live

    def healthy(self) -> bool:
        """Tell whether this worker may send: it has joined, and beat within half the timeout.

        Without a recent beat the others may soon take this worker for dead and its rows over:
        it must not send them. A worker joining others waits until they have counted it.
        """
        now = time.monotonic()
        return now >= self.settled_at and now - self.last_beat < self.timeout.total_seconds() / 2

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
    quiet_now: Callable[[], bool] = lambda: False,
    healthy: Callable[[], bool] = lambda: True,
    read_maker: async_sessionmaker[AsyncSession] | None = None,
) -> None:
    """Deliver due outbox rows until ``stop`` is set, as a pipeline.

    ``concurrency`` senders take rows from a short queue that a feeder keeps filled (a new
    batch is claimed while the last is still being sent, so the rate limit, not the claiming,
    sets the pace); outcomes are recorded in groups. When none are due the feeder waits
    ``idle_seconds``. On stop, rows claimed but not yet tried go back at once. While
    ``quiet_now()`` holds, ordinary announcements are not claimed (a long one started before
    the quiet hours waits for the morning). While ``healthy()`` fails (this worker's heartbeat
    could not be recorded), nothing is claimed or sent.
    """
    queue: asyncio.Queue[Claimed] = asyncio.Queue()
    recorder = Recorder(maker, concurrency)
    low_water = 2 * concurrency

    dropped: list[int] = []  # claimed, not sent while unhealthy: handed back once healthy

    async def feed() -> None:
        while not stop.is_set():
            try:
                await recorder.flush_if_due()
                if healthy() and dropped:
                    async with transaction(maker) as session:
                        await outbox.release_untried(
                            session, dropped, utcnow(), claimed_by=worker_id
                        )
                    dropped.clear()
            except Exception:  # the database may be away for a moment; the loop goes on
                log.warning("recording outcomes failed; trying again shortly", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if queue.qsize() >= low_water or not healthy():
                await asyncio.sleep(0.02)
                continue
            try:
                claimed = await claim(
                    maker, list(senders), batch, None, worker_id, worker_timeout, quiet_now()
                )
            except Exception:
                log.warning("claiming failed; trying again shortly", exc_info=True)
                claimed = []
            for row in claimed:
                queue.put_nowait(row)
            if not claimed and queue.empty():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), idle_seconds)

    busy = [0]

    async def send() -> None:
        while True:
            row = await queue.get()
            if not healthy():  # not sent: another worker may be taking it over
                dropped.append(row.row_id)
                continue
            busy[0] += 1
            try:
                await recorder.add(await send_one(maker, senders, row))
            except Exception:  # never lose the sender: the row comes back as unknown
                log.warning("sending outbox row %s failed", row.row_id, exc_info=True)
            finally:
                busy[0] -= 1

    tasks = [asyncio.create_task(send()) for _ in range(max(1, concurrency))]
    sharing = asyncio.create_task(share_pauses(maker, senders, stop, read_maker))
    try:
        await feed()
        while not queue.empty():  # hand back what was claimed but not started
            leftover = [queue.get_nowait() for _ in range(queue.qsize())]
            async with transaction(maker) as session:
                await outbox.release_untried(session, [r.row_id for r in leftover], utcnow())
        for _ in range(100):  # let the sends under way finish (ten seconds at most)
            if not busy[0]:
                break
            await asyncio.sleep(0.1)
    finally:
        for task in [*tasks, sharing]:
            task.cancel()
        await asyncio.gather(*tasks, sharing, return_exceptions=True)
        with contextlib.suppress(Exception):
            await recorder.flush()


async def share_pauses(
    maker: async_sessionmaker[AsyncSession],
    senders: dict[str, ChannelSender],
    stop: asyncio.Event,
    read_maker: async_sessionmaker[AsyncSession] | None = None,
) -> None:
    """Keep every process's "retry after" in step: publish ours, and obey the others'.

    A channel with a rate limiter (Telegram) pauses all its sends here within
    PAUSE_POLL_SECONDS of another worker being told to wait. Looking costs a read (through
    ``read_maker``: on SQLite it takes no write lock); only a pause heard here is written.
    """
    limiters = {n: s.limiter for n, s in senders.items() if hasattr(s, "limiter")}
    if not limiters:
        return  # nothing here can be paused
    heard: list[tuple[str, float]] = []
    for name, limiter in limiters.items():
        limiter.on_pause = lambda seconds, name=name: heard.append((name, seconds))
    while not stop.is_set():
        try:
            now = utcnow()
            if heard:
                async with transaction(maker) as session:
                    while heard:
                        name, seconds = heard.pop()
                        until = now + timedelta(seconds=seconds)
                        await workers.pause(session, name, until, "retry after")
            async with (read_maker or maker)() as session:
                paused = await workers.paused(session, now)
            for name, until in paused.items():
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
                # If this host vanishes without closing the connection, the server notices
                # within about 25 s (not the default two hours) and frees the lock.
                for setting in KEEPALIVES:
                    await conn.execute(text(setting))
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
                        try:
                            unlock = text("SELECT pg_advisory_unlock(:k)")
                            await conn.scalar(unlock, {"k": SCHEDULER_LOCK})
                            await conn.commit()
                        except Exception:
                            # Never hand a connection that may still hold the lock back to
                            # the pool: closing it is what releases the lock.
                            await conn.invalidate()
        except Exception:
            log.warning("scheduler lock: connection lost; trying again", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), LEADER_RETRY_SECONDS)
