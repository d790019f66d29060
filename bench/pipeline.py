"""Dispatcher pipeline: incoming message → classify → store → reply, on SQLite and PostgreSQL.

Prints messages/s and p50/p99 latency; asserts nothing. Goals: ≥ 500 msgs/s on SQLite,
≥ 300 msgs/s on PostgreSQL, p99 < 50 ms. Each message is a new suggestion from one of 200
residents, with its own platform message id, so every message does the full work: the replay
record, resident and state lookups, classification, similarity search, the insert, the staff
alert in the outbox, and the reply.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _lines import resident_lines
from sqlalchemy import text

from bot.app import open_app
from bot.config import Config
from handlers.types import Incoming
from storage import staff
from storage.engine import create_engine, transaction

PG_ADMIN = os.environ.get("LINLI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


async def run(url: str, messages: int, concurrency: int) -> None:
    app = await open_app(Config.model_validate({"database": {"url": url}}))
    async with transaction(app.maker) as session:
        await staff.add(session, "telegram", "900", 1)
    lines = resident_lines()
    # Warm up the classifier and the connection pool.
    await app.dispatcher.handle(Incoming("telegram", "warm", "你好", message_id="warm"))
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(messages):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            incoming = Incoming(
                "telegram", str(1000 + i % 200), lines[i % len(lines)], message_id=str(i)
            )
            start = time.perf_counter()
            replies = await app.dispatcher.handle(incoming)
            latencies.append(time.perf_counter() - start)
            assert replies and "抱歉" not in replies[-1].text, replies

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    await app.close()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    name = url.split(":", 1)[0]
    print(
        f"{name:10s} concurrency {concurrency:2d}: {messages / elapsed:6.0f} msgs/s, "
        f"p50 {p50:5.1f} ms, p99 {p99:5.1f} ms ({messages} messages)"
    )


async def pg_database() -> str | None:
    name = f"linli_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"postgresql skipped: {exc.__class__.__name__}: {exc}")
        return None
    finally:
        await engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


async def drop_pg(url: str) -> None:
    engine = create_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for concurrency in (1, 8):
            await run(f"sqlite:///{tmp}/bench-{concurrency}.db", args.messages, concurrency)
    for concurrency in (1, 8):
        url = await pg_database()
        if url is None:
            break
        try:
            await run(url, args.messages, concurrency)
        finally:
            await drop_pg(url)


if __name__ == "__main__":
    asyncio.run(main())
