"""Send-rate limits shared by everything one process sends on a platform."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

# The overall rate kept: 4 % under the limit leaves room for sends that arrive closer together
# than they left (jitter), so the platform never counts more than its limit in a second.
HEADROOM = 0.96


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

    Overall, sends are evenly spaced a little under ``per_second`` (no bursts), so that no
    one-second window seen by the platform holds more than the limit, network jitter included.
    Per chat, small bursts (``burst``) are allowed; over time that rate holds too.
    """

    per_second: float = 30.0
    per_chat: float = 1.0
    burst: float = 3.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    # Hears every "retry after" this process got, to share it with the other processes.
    on_pause: Callable[[float], None] | None = None
    _global: _Bucket | None = None
    _chats: dict[str, _Bucket] = field(default_factory=dict)
    _paused_until: float = 0.0

    def __post_init__(self) -> None:
        """Start with full buckets."""
        now = self.clock()
        self._global = _Bucket(self.per_second * HEADROOM, 1.0, 1.0, now)
        self.set_rate(self.per_second)

    def set_rate(self, per_second: float) -> None:
        """Change the overall rate (several workers share the platform's one limit)."""
        assert self._global is not None
        self._global.wait_for(self.clock())  # refill at the old rate up to now
        self._global.rate = per_second * HEADROOM
        # A little may be saved up: it absorbs the timer's lateness (a send due every 33 ms that
        # leaves 1 ms late would otherwise lose 3 % of the rate), while saved + rate × 1 s
        # stays within the limit, with room for jitter at higher rates.
        self._global.capacity = 1 + max(0.2, per_second * 0.01)

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the platform said "retry after"); tell ``on_pause``."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)
        if self.on_pause is not None:
            self.on_pause(seconds)

    def pause_for(self, seconds: float) -> None:
        """Send nothing for ``seconds``: another process was told to wait (not passed on)."""
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
