"""Stored platform updates handed to per-chat workers: each chat in order, chats side by side.

A channel stores an update (``storage.inbound``) before it is acted on, then submits it here.
Every chat has its own queue and worker, so a chat that waits (a 429, a network error) holds up
nobody else, and receiving never waits for processing. An update is marked handled once it was;
one that could not finish stays stored and its chat tries again after a pause, keeping its order.
Marks are written in batches by one flusher, so a busy minute costs a few writes, not thousands.
After a crash, ``recover`` queues whatever was stored but not marked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import inbound
from storage.engine import transaction
from storage.types import utcnow

log = logging.getLogger(__name__)

Payload = dict[str, Any]
Handler = Callable[[str, Payload], Awaitable[bool]]

MAX_RETRY_SECONDS = 300.0
# Retries of one update before it is given up (about 2 hours with the pauses doubling to 5 min),
# so that one that can never be answered does not hold up its chat for ever.
MAX_ATTEMPTS = 30
CLOSE_SECONDS = 5.0
FLUSH_SECONDS = 0.25


class Inbox:
    """Per-chat queues over stored updates of one channel."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        read_maker: async_sessionmaker[AsyncSession],
        channel: str,
        handle: Handler,
        chat_of: Callable[[Payload], str | None],
        concurrency: int = 8,
        retry_seconds: float = 5.0,
        backlog_limit: int = 1000,
    ) -> None:
        """Handle updates with ``handle`` (True: finished; False: try again later)."""
        self.maker = maker
        self.read_maker = read_maker
        self.channel = channel
        self.handle = handle
        self.chat_of = chat_of
        self.retry_seconds = retry_seconds
        self.backlog_limit = backlog_limit
        self._slots = asyncio.Semaphore(concurrency)
        self._queues: dict[str, deque[tuple[str, Payload]]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._known: set[str] = set()  # queued, running, or handled but not yet marked
        self._handled: list[str] = []
        self._flusher: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._room = asyncio.Event()
        self._room.set()

    @property
    def backlog(self) -> int:
        """Return how many updates are queued, running or waiting to be marked."""
        return len(self._known)

    @property
    def full(self) -> bool:
        """Tell whether the backlog is at its limit (a webhook should answer 'later')."""
        return len(self._known) >= self.backlog_limit

    def submit(self, update_id: str, payload: Payload) -> None:
        """Queue a stored update behind the earlier ones of its chat."""
        if update_id in self._known:
            return
        self._known.add(update_id)
        chat = self.chat_of(payload) or update_id
        self._queues.setdefault(chat, deque()).append((update_id, payload))
        if chat not in self._workers:
            self._workers[chat] = asyncio.create_task(self._work(chat))
        self._idle.clear()
        if len(self._known) >= self.backlog_limit:
            self._room.clear()

    async def recover(self) -> int:
        """Queue every stored update not yet handled (after a restart); return how many."""
        async with self.read_maker() as session:
            rows = [(r.update_id, r.payload) for r in await inbound.pending(session, self.channel)]
        fresh = [row for row in rows if row[0] not in self._known]
        for update_id, payload in fresh:
            self.submit(update_id, payload)
        return len(fresh)

    async def settle(self) -> None:
        """Wait until everything submitted so far is handled and marked (retries included)."""
        await self._idle.wait()

    async def room(self) -> None:
        """Wait while the backlog is at its limit (receiving pauses; Telegram keeps the rest)."""
        await self._room.wait()

    async def close(self) -> None:
        """Stop the workers (unfinished updates stay stored) and write the last marks."""
        workers = list(self._workers.values())
        for task in workers:
            task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # The last marks, unless the database is away: unmarked updates are handled again at
        # the next start, answered from the dispatcher's record.
        if self._flusher is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._flusher, CLOSE_SECONDS)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._flush_once(), CLOSE_SECONDS)

    async def _work(self, chat: str) -> None:
        queue = self._queues[chat]
        delay, attempts = self.retry_seconds, 0
        try:
            while queue:
                update_id, payload = queue[0]
                async with self._slots:
                    finished = await self._handle_safely(update_id, payload)
                attempts += 1
                if not finished and attempts < MAX_ATTEMPTS:
                    # Keep the chat's order: this update and those behind it wait together.
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, MAX_RETRY_SECONDS)
                    continue
                if not finished:
                    log.error(
                        "%s update %s given up after %d tries", self.channel, update_id, attempts
                    )
                delay, attempts = self.retry_seconds, 0
                queue.popleft()
                self._handled.append(update_id)
                if self._flusher is None:
                    self._flusher = asyncio.create_task(self._flush())
        finally:
            del self._workers[chat]
            if not queue:
                del self._queues[chat]
            self._check_idle()

    async def _handle_safely(self, update_id: str, payload: Payload) -> bool:
        try:
            return await self.handle(update_id, payload)
        except asyncio.CancelledError:
            raise
        except Exception:  # the handler should not raise; if it does, retrying will not help
            log.exception("%s update %s failed", self.channel, update_id)
            return True

    async def _flush(self) -> None:
        """Write marks until none are waiting, gathering them for a moment between writes.

        A mark only saves work after a crash, so it can wait a quarter of a second; writing
        one per update would take the database's write lock from the messages themselves.
        """
        try:
            while self._handled:
                await asyncio.sleep(FLUSH_SECONDS)
                if not await self._flush_once():
                    await asyncio.sleep(1.0)  # the database is away: the marks wait in memory
        finally:
            self._flusher = None
            self._check_idle()

    async def _flush_once(self) -> bool:
        batch, self._handled = self._handled, []
        if not batch:
            return True
        try:
            async with transaction(self.maker) as session:
                await inbound.mark_processed(session, self.channel, batch, utcnow())
        except Exception as exc:
            log.warning("could not mark %d %s updates handled: %s", len(batch), self.channel, exc)
            self._handled = batch + self._handled
            return False
        self._known.difference_update(batch)
        if len(self._known) < self.backlog_limit // 2:
            self._room.set()
        return True

    def _check_idle(self) -> None:
        if not self._workers and not self._handled and self._flusher is None:
            self._idle.set()
