"""Telegram round trip: resident → emulator → linli → emulator, polling and webhook.

Prints messages/s and p50/p99; asserts nothing. Uses the telegram-test-api emulator from
tests/telegram (run `make test` once to install it). Latency is one resident at a time: from the
user's message to the bot's reply arriving at the emulator. Throughput: many residents at once,
until every reply has arrived.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import open_app  # noqa: E402
from bot.channels.telegram.channel import TelegramChannel  # noqa: E402
from bot.config import Config, TelegramConfig  # noqa: E402
from bot.web.server import http_server  # noqa: E402
from tests.peers.telegram_peer import TOKEN, Peer  # noqa: E402

TEXTS = ["楼道灯坏了好几天了", "小区停车位太少了", "垃圾桶满了没人清理", "广场舞音响太吵"]


class Replies:
    """Counts the bot's sendMessage calls at the emulator, reading only the new ones."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.count = 0
        self.since = 0

    def refresh(self) -> int:
        calls = self.peer.post(f"/__calls?method=sendMessage&since={self.since}", method="GET")
        calls = calls.get("result", calls) if isinstance(calls, dict) else calls
        for call in calls:
            self.since = max(self.since, call["seq"])
            self.count += not call.get("faulted")
        return self.count


async def wait_for(replies: Replies, count: int, limit: float = 120) -> None:
    deadline = time.perf_counter() + limit
    while await asyncio.to_thread(replies.refresh) < count:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"fewer than {count} replies")
        await asyncio.sleep(0.005)


async def measure(
    peer: Peer, latency_messages: int, burst_messages: int, first_replies: int
) -> tuple[float, float, float]:
    """Return p50 and p99 (ms) one user at a time, and msgs/s with many users at once.

    ``first_replies``: how many messages a user's first message gets back (linli adds its
    privacy notice); later messages get one.
    """
    replies = Replies(peer)
    seen = await asyncio.to_thread(replies.refresh)
    latencies = []
    for i in range(latency_messages):
        start = time.perf_counter()
        # A new user each time: one chat is limited to about 1 message a second.
        await asyncio.to_thread(peer.say, 7 + i, TEXTS[i % len(TEXTS)] + str(i))
        seen += first_replies
        await wait_for(replies, seen)
        latencies.append(time.perf_counter() - start)
    # Users who have talked to the bot before (most traffic): a first round unmeasured.
    users = range(100_000, 100_000 + burst_messages)
    for u in users:
        await asyncio.to_thread(peer.say, u, "你好")
    seen += first_replies * burst_messages
    await wait_for(replies, seen)
    await asyncio.sleep(1.1)  # let every chat's send budget refill
    start = time.perf_counter()
    await asyncio.gather(*(asyncio.to_thread(peer.say, u, TEXTS[u % len(TEXTS)]) for u in users))
    seen += burst_messages
    await wait_for(replies, seen)
    elapsed = time.perf_counter() - start
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return p50, p99, burst_messages / elapsed


async def run(mode: str, latency_messages: int, burst_messages: int) -> None:
    peer = Peer.__new__(Peer)
    Peer.__init__(peer)
    tmp = tempfile.mkdtemp()
    app = await open_app(Config.model_validate({"database": {"url": f"sqlite:///{tmp}/t.db"}}))
    settings = TelegramConfig(
        token=TOKEN, base_url=peer.bot_url, poll_timeout=1, rate_per_second=1000
    )
    channel = TelegramChannel(app, settings)
    await channel.start()
    stop = asyncio.Event()
    server = None
    if mode == "webhook":
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            app.config.http.port = sock.getsockname()[1]
        server = http_server(app, channel)
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.01)
        await channel.set_webhook(f"http://127.0.0.1:{app.config.http.port}")
    else:
        task = asyncio.create_task(channel.poll_forever(stop))
    try:
        p50, p99, rate = await measure(peer, latency_messages, burst_messages, first_replies=2)
        print(
            f"{mode:8s} round trip p50 {p50:5.1f} ms, p99 {p99:5.1f} ms ({latency_messages} msgs); "
            f"{rate:5.0f} msgs/s with {burst_messages} known residents at once"
        )
    finally:
        stop.set()
        if server is not None:
            server.should_exit = True
        await task
        await channel.stop()
        await app.close()
        peer.close()


async def main() -> None:
    for mode in ("polling", "webhook"):
        await run(mode, latency_messages=200, burst_messages=300)


if __name__ == "__main__":
    asyncio.run(main())
