"""Run the configured platform channels, the outbox sender and the clock until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot import scheduler
from bot.app import App

log = logging.getLogger(__name__)


async def serve_channels(app: App) -> None:
    """Start Telegram (polling) with the scheduler; stop cleanly on SIGINT/SIGTERM."""
    from bot.channels.telegram import TelegramChannel

    telegram = TelegramChannel(app, app.config.telegram)
    await telegram.start()
    clock = scheduler.build(app, {telegram.name: telegram})
    clock.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    log.info("linli is running on Telegram (polling)")
    try:
        await telegram.poll_forever(stop)
    finally:
        clock.shutdown(wait=False)
        await telegram.stop()
