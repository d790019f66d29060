"""Waiting for something to happen without sleeping a fixed time: short polls until it holds."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def until(
    holds: Callable[[], bool | Awaitable[bool]], within: float = 10.0, what: str = "it"
) -> None:
    """Return as soon as ``holds()`` is true (checked every 20 ms); fail after ``within`` s."""
    deadline = time.monotonic() + within
    while True:
        result = holds()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {within} s for {what}")
        await asyncio.sleep(0.02)
