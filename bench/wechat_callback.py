"""WeChat callback answer time: signed POST → linli in uvicorn → passive reply, plain and safe.

Prints p50/p99 and messages/s; asserts nothing. Goal: p99 < 300 ms (WeChat waits 5 s, and linli
answers "success" after its reply budget). WeChat's side is played by
tests/peers/wechat_peer.py (plain or AES-encrypted callbacks, replies checked and decrypted) and
its HTTP API by
tests/peers/wechat_api_fake.py. Latency is from sending the POST to having the whole response; each
message has its own MsgId and comes from one of many residents who talked to linli before (a
warm-up round, unmeasured). Runs on SQLite and on a scratch PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import open_app  # noqa: E402
from bot.channels.wechat.channel import WeChatChannel  # noqa: E402
from bot.web.server import http_server  # noqa: E402
from storage.engine import create_engine  # noqa: E402
from tests.peers.wechat_api_fake import FakeWeChatAPI  # noqa: E402
from tests.peers.wechat_peer import WeChatPeer  # noqa: E402
from tests.support.chat import make_config  # noqa: E402

PG_ADMIN = os.environ.get("LINLI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
TOKEN = "linli-callback-token"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
TEXTS = ["楼道灯坏了好几天了", "小区停车位太少了", "垃圾桶满了没人清理", "广场舞音响太吵"]
RESIDENTS = 200


def resident(n: int) -> str:
    return f"oLinliBench{n:017d}"


def sender(i: int) -> str:
    """The resident who sends message ``i``: known, and not tied to what the message says."""
    return resident(random.Random(i).randrange(RESIDENTS))


def message(i: int) -> str:
    """A suggestion varied with a number, and now and then a query."""
    if i % 10 == 3:
        return "我的建议"
    if i % 10 == 7:
        return "帮助"
    return f"{i % 30 + 1}号楼{TEXTS[i % len(TEXTS)]},第{i}次反映"


class Callback:
    """WeChat's side: POSTs one message, times it, and checks the passive reply."""

    def __init__(self, peer: WeChatPeer, http: httpx.AsyncClient, safe: bool) -> None:
        self.peer, self.http, self.safe = peer, http, safe
        self.msg_id = 10**12
        self.unanswered = 0

    async def send(self, i: int) -> float:
        self.msg_id += 1
        xml = self.peer.text_xml(sender(i), message(i), self.msg_id)
        query, body = (self.peer.safe_request if self.safe else self.peer.plain_request)(xml)
        start = time.perf_counter()
        try:
            response = await self.http.post(self.peer.base_url, params=query, content=body)
            elapsed = time.perf_counter() - start
            ok = response.status_code == 200
            ok = ok and bool(self.peer.read_reply(response.text, self.safe).get("Content"))
        except (httpx.HTTPError, ValueError):
            elapsed, ok = time.perf_counter() - start, False
        self.unanswered += not ok
        return elapsed


def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[int(len(ordered) * 0.99) - 1] * 1000


async def run(db: str, url: str, safe: bool, tmp: str, sequential: int, burst: int) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with FakeWeChatAPI() as api:
        wechat = {
            "token": TOKEN,
            "appid": api.appid,
            "secret": api.secret,
            "encoding_aes_key": AES_KEY,
            "mode": "safe" if safe else "plain",
            "api_base_url": api.base_url,
            "media_dir": f"{tmp}/media",
            "spool_dir": f"{tmp}/inbox",
        }
        app = await open_app(make_config(url, wechat=wechat, http={"port": port}))
        channel = WeChatChannel(app, app.config.wechat)
        server = http_server(app, wechat=channel)
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
        peer = WeChatPeer(TOKEN, api.appid, AES_KEY, f"http://127.0.0.1:{port}/wechat")
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                callback = Callback(peer, http, safe)
                for i in range(RESIDENTS):  # warm-up: every resident says hello once
                    xml = peer.text_xml(resident(i), "你好", i + 1)
                    query, body = (peer.safe_request if safe else peer.plain_request)(xml)
                    await http.post(peer.base_url, params=query, content=body)
                latencies = [await callback.send(i) for i in range(sequential)]
                queue = list(range(sequential, sequential + burst))
                concurrent: list[float] = []

                async def worker() -> None:
                    while queue:
                        concurrent.append(await callback.send(queue.pop(0)))

                start = time.perf_counter()
                await asyncio.gather(*(worker() for _ in range(8)))
                rate = burst / (time.perf_counter() - start)
        finally:
            server.should_exit = True
            await task
            await channel.stop()
            await app.close()
    p50 = statistics.median(latencies) * 1000
    print(
        f"wechat {'safe' if safe else 'plain':5s} {db:8s} p50 {p50:5.1f} ms  "
        f"p99 {p99(latencies):5.1f} ms ({sequential} msgs, 1 at a time); "
        f"8 at a time: {rate:3.0f} msgs/s, p99 {p99(concurrent):5.1f} ms; "
        f"{callback.unanswered} not answered in time"
    )


async def admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with asyncio.timeout(5), engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def main(sequential: int = 300, burst: int = 400) -> None:
    print("goal: p99 < 300 ms")
    for safe in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            await run("sqlite", f"sqlite:///{tmp}/linli.db", safe, tmp, sequential, burst)
    for safe in (False, True):
        name = f"linli_bench_{uuid.uuid4().hex[:8]}"
        try:
            await admin(f'CREATE DATABASE "{name}"')
        except Exception as exc:
            print(f"postgresql skipped: {PG_ADMIN} unreachable ({type(exc).__name__})")
            return
        try:
            with tempfile.TemporaryDirectory() as tmp:
                url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
                await run("postgres", url, safe, tmp, sequential, burst)
        finally:
            await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
