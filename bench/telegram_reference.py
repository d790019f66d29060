"""The yardstick for bench/telegram_roundtrip.py: a bare python-telegram-bot echo bot.

Same emulator, same machine, same load: PTB's own polling ``Updater`` (pipelined), and a
webhook served by Starlette/uvicorn that puts each update on ``application.update_queue``
(PTB's "custom webhook" pattern, queue mode). No storage, no classification. Prints
messages/s and p50/p99; asserts nothing. Run it next to telegram_roundtrip.py: linli's goal is
to stay within 2x of these figures.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.routing import Route  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import Application, MessageHandler, filters  # noqa: E402

from bench.telegram_roundtrip import measure  # noqa: E402
from tests.peers.telegram_peer import TOKEN, Peer  # noqa: E402


async def echo(update: Update, _context: object) -> None:
    """Answer every text with itself."""
    if update.message is not None:
        await update.message.reply_text(update.message.text or "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def run(mode: str, latency_messages: int, burst_messages: int) -> None:
    peer = Peer.__new__(Peer)
    Peer.__init__(peer)
    application = (
        Application.builder().token(TOKEN).base_url(peer.bot_url).concurrent_updates(True).build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    await application.initialize()
    await application.start()
    server = web = None
    if mode == "webhook":

        async def hook(request: Request) -> Response:
            payload = await request.json()
            await application.update_queue.put(Update.de_json(payload, application.bot))
            return Response("ok")

        port = free_port()
        routes = [Route("/hook", hook, methods=["POST"])]
        config = uvicorn.Config(Starlette(routes=routes), port=port, log_level="warning")
        server = uvicorn.Server(config)
        web = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.01)
        await application.bot.set_webhook(f"http://127.0.0.1:{port}/hook")
    else:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        p50, p99, rate = await measure(peer, latency_messages, burst_messages, first_replies=1)
        print(
            f"echo {mode:8s} round trip p50 {p50:5.1f} ms, p99 {p99:5.1f} ms; "
            f"{rate:5.0f} msgs/s with {burst_messages} users at once"
        )
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if server is not None and web is not None:
            await application.bot.delete_webhook()
            server.should_exit = True
            await web
        await application.stop()
        await application.shutdown()
        peer.close()


async def main() -> None:
    for mode in ("polling", "webhook"):
        await run(mode, latency_messages=200, burst_messages=300)


if __name__ == "__main__":
    asyncio.run(main())
