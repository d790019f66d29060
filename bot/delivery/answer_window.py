"""Answer a message within a time budget, or hand the answer on to be sent later.

WeChat waits 5 s for the HTTP answer to a callback and retries it (up to 3 times) when it gets
none. Each message (by its key) is handled once; every request for it — the first and the
retries — waits for that one result until its own deadline. If a request is waiting when the
result is ready, that request carries it; if none is (they all gave up), the result goes to
``late`` (the outbox) instead, exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from handlers import texts
from handlers.types import Reply

log = logging.getLogger(__name__)

LATE_ATTEMPTS = 6  # about a minute of database trouble before an answer is given up

Work = Callable[[], Awaitable[list[Reply]]]
Late = Callable[[str, list[Reply]], Awaitable[None]]


class NotNow(Exception):
    """The message cannot be handled now (it is kept and tried later); tell the sender so.

    Nothing is remembered under its key: WeChat's retry, or the later attempt, starts afresh.
    """

    def __init__(self, replies: list[Reply]) -> None:
        """Keep what to answer now."""
        super().__init__("not now")
        self.replies = replies


@dataclass
class _Job:
    task: asyncio.Task[None] | None = None
    replies: list[Reply] | None = None
    waiting: int = 0
    carried_by: str | None = None  # "request" | "later"
    ready: asyncio.Event = field(default_factory=asyncio.Event)


class AnswerWindow:
    """Runs each message once and decides who carries its answer."""

    def __init__(self, late: Late, keep_seconds: float = 60.0) -> None:
        """Send results nobody waited for through ``late``; remember keys ``keep_seconds``."""
        self.late = late
        self.keep_seconds = keep_seconds
        self._jobs: dict[str, _Job] = {}

    async def answer(self, key: str, work: Work, deadline: float) -> list[Reply] | None:
        """Return the replies if ready by ``deadline`` (loop time); None if sent some other way."""
        job = self._jobs.get(key)
        if job is None:
            job = self._jobs[key] = _Job()
            job.task = asyncio.create_task(self._run(key, job, work))
        job.waiting += 1
        try:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining > 0 and not job.ready.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(job.ready.wait(), remaining)
        finally:
            job.waiting -= 1
        if job.replies is None or job.carried_by == "later":
            return None
        job.carried_by = "request"
        return job.replies

    def busy_keys(self) -> set[str]:
        """Return the keys of messages being handled now."""
        return {key for key, job in self._jobs.items() if job.task and not job.task.done()}

    async def close(self) -> None:
        """Wait for the messages still being handled (their answers go out later)."""
        tasks = [job.task for job in self._jobs.values() if job.task and not job.task.done()]
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, key: str, job: _Job, work: Work) -> None:
        try:
            replies = await work()
        except asyncio.CancelledError:
            self._jobs.pop(key, None)  # a retry may start it afresh
            raise
        except NotNow as exc:
            self._jobs.pop(key, None)  # a retry (or the later attempt) starts afresh
            job.replies, job.carried_by = exc.replies, "request"
            job.ready.set()
            return
        except Exception:
            log.exception("handling %s failed", key)
            replies = [Reply(texts.SORRY)]
        job.replies = replies
        job.ready.set()
        asyncio.get_running_loop().call_later(self.keep_seconds, self._jobs.pop, key, None)
        if job.waiting == 0 and replies:
            # Every request gave up: the answer goes out another way, once.
            job.carried_by = "later"
            for attempt in range(LATE_ATTEMPTS):
                try:
                    await self.late(key, replies)
                    return
                except Exception:
                    log.exception("could not queue the late answer to %s", key)
                    await asyncio.sleep(2**attempt)
