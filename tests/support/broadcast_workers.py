"""Real linli worker processes sending a broadcast through the fault proxy, on PostgreSQL.

Used by the reliability tests: residents are written in bulk, workers are `linli run --role
worker` subprocesses (killed with SIGKILL when a test says so), and the proxy in front of the
Telegram emulator counts what arrived.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from storage.engine import create_engine
from tests.peers.telegram_peer import TOKEN

FIRST_CHAT = 700_000  # chat ids of the seeded residents: FIRST_CHAT, FIRST_CHAT + 1, …


def write_config(
    path: Path, db_url: str, bot_url: str, canteen: list[str] | None = None, **telegram: object
) -> Path:
    """Write a worker's linli.toml: the database, the bot behind the proxy, quick timeouts."""
    options = {"rate_per_second": 500.0, "allow_paid_broadcast": True, **telegram}
    lines = [
        "[database]",
        f'url = "{db_url}"',
        "[telegram]",
        f'token = "{TOKEN}"',
        f'base_url = "{bot_url}"',
        *(f"{k} = {str(v).lower() if isinstance(v, bool) else v}" for k, v in options.items()),
        "[outbox]",
        "poll_seconds = 0.2",
        "batch = 100",
        "concurrency = 8",
        "worker_timeout_seconds = 3",
        "[broadcast]",
        'quiet_start = "00:00"',  # start == end: no quiet hours in these tests
        'quiet_end = "00:00"',
        "[canteen]",
        *(canteen or []),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sql(url: str, statement: str, **params: object) -> list[tuple]:
    """Run one statement on the database; return its rows (if any)."""

    async def go() -> list[tuple]:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement), params)
                return [tuple(r) for r in result] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(go())


def seed(url: str, residents: int) -> None:
    """Add ``residents`` Telegram residents to community 1 and a broadcast to all, due now."""
    sql(
        url,
        "INSERT INTO residents (community_id, display_name, delivery_eligible, consents, active,"
        " created_at) SELECT 1, '居民' || g, false, '{}', true, now()"
        " FROM generate_series(1, :n) g",
        n=residents,
    )
    sql(
        url,
        "INSERT INTO channel_accounts (resident_id, channel, external_id, created_at)"
        " SELECT id, 'telegram', (:first + id)::text, now() FROM residents",
        first=FIRST_CHAT,
    )
    sql(
        url,
        "INSERT INTO broadcasts (community_id, text, kind, urgent, audience, status, send_at,"
        " created_by, created_at, report) VALUES (1, '今晚8点停电检修,请提前做好准备。',"
        " 'notice', false, '{\"kind\": \"all\"}', 'scheduled', now(), '', now(), '{}')",
    )


class Worker:
    """A `linli run --role worker` process (its log in a file beside its config)."""

    def __init__(self, config: Path, name: str) -> None:
        """Start it."""
        self.log = config.parent / f"{name}.log"
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "run", "--role", "worker"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            cwd=config.parent,
        )

    def kill(self) -> None:
        """SIGKILL: no chance to mark, release or say goodbye."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop politely (SIGTERM), or kill it after ten seconds."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def leads(self) -> bool:
        """Tell whether it said it runs the scheduler."""
        return "this instance runs the scheduler" in self.log.read_text(errors="replace")


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def outcomes(url: str) -> Counter[str]:
    """Count the broadcast's delivery rows by status."""
    rows = sql(url, "SELECT status, count(*) FROM outbox WHERE broadcast_id = 1 GROUP BY status")
    return Counter({status: n for status, n in rows})
