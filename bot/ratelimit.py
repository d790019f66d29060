"""Send-rate limits shared by everything one process sends on a platform."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    stamp: float

    def wait_for(self, now: float) -> float:
        """Refill, then return how long until one token is available (0 if one is)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        # A hair of tolerance: float rounding must not leave a wait too small to pass.
        return 0.0 if self.tokens >= 1 - 1e-9 else (1 - self.tokens) / self.rate


@dataclass
class RateLimiter:
    """Token buckets: one for the whole bot, one per chat, and a pause after a 429.

    Small bursts are allowed (``burst`` per chat, one second's worth overall); over time the
    rates hold.
    """

    per_second: float = 30.0
    per_chat: float = 1.0
    burst: float = 3.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _global: _Bucket | None = None
    _chats: dict[str, _Bucket] = field(default_factory=dict)
    _paused_until: float = 0.0

    def __post_init__(self) -> None:
        """Start with full buckets."""
        now = self.clock()
        self._global = _Bucket(self.per_second, max(1.0, self.per_second), self.per_second, now)

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the platform said "retry after")."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    async def acquire(self, chat: str) -> None:
        """Wait until one more message to ``chat`` is within every limit, and take it."""
        assert self._global is not None
        while True:
            now = self.clock()
            bucket = self._chats.get(chat)
            if bucket is None:
                bucket = self._chats[chat] = _Bucket(self.per_chat, self.burst, self.burst, now)
            wait = max(self._paused_until - now, self._global.wait_for(now), bucket.wait_for(now))
            if wait <= 0:
                self._global.tokens -= 1
                bucket.tokens -= 1
                if len(self._chats) > 10_000:  # forget chats whose buckets are full again
                    self._chats = {
                        k: b
                        for k, b in self._chats.items()
                        if b.wait_for(now) > 0 or b.tokens < b.capacity - 1e-9
                    }
                return
            await self.sleep(wait)
