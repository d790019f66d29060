"""Run the configured platform channels, the HTTP server and the clock until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import uvicorn

from bot import scheduler
from bot.app import App

log = logging.getLogger(__name__)


async def _health(app: App) -> None:
    async with app.engine.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")


def http_server(app: App, channel: object) -> uvicorn.Server:
    """Build (not start) the uvicorn server for the webhook and /healthz."""
    from bot.http import build

    web = build(channel, lambda: _health(app))
    config = uvicorn.Config(
        web, host=app.config.http.host, port=app.config.http.port, log_level="warning"
    )
    return uvicorn.Server(config)


async def serve_channels(app: App) -> None:
    """Start Telegram (polling or webhook) with the scheduler; stop on SIGINT/SIGTERM."""
    from bot.channels.telegram import TelegramChannel

    settings = app.config.telegram
    telegram = TelegramChannel(app, settings)
    await telegram.start()
    clock = scheduler.build(app, {telegram.name: telegram})
    clock.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    server = http_server(app, telegram)
    web = asyncio.create_task(server.serve())
    try:
        await telegram.inbox.recover()  # whatever a previous run stored but did not finish
        if settings.mode == "webhook":
            assert settings.webhook_url is not None  # checked by the config
            await telegram.set_webhook(settings.webhook_url)
            log.info("linli is running on Telegram (webhook)")
            await stop.wait()
        else:
            await telegram.bot.delete_webhook(drop_pending_updates=False)
            log.info("linli is running on Telegram (polling)")
            await telegram.poll_forever(stop)
    finally:
        server.should_exit = True
        await web
        clock.shutdown(wait=False)
        await telegram.stop()
