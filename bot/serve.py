"""Run the configured platform channels, the HTTP server and the clock until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

import uvicorn

from bot import scheduler
from bot.app import App

log = logging.getLogger(__name__)


async def _health(app: App) -> None:
    async with app.engine.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")


def http_server(app: App, telegram: Any = None, wechat: Any = None) -> uvicorn.Server:
    """Build (not start) the uvicorn server for the webhook, the WeChat callback and /healthz."""
    from bot.http import build

    web = build(lambda: _health(app), telegram=telegram, wechat=wechat)
    config = uvicorn.Config(
        web,
        host=app.config.http.host,
        port=app.config.http.port,
        log_level="warning",
        lifespan="off",
    )
    return uvicorn.Server(config)


def warm_up() -> None:
    """Load the language models and dictionaries before the first message needs them."""
    from nlp.intents import understand
    from nlp.topics import classify

    understand("你好")
    classify("楼道灯坏了")


def platforms_configured(app: App) -> bool:
    """Tell whether any platform channel is configured (else linli opens the console)."""
    return bool(app.config.telegram.token or app.config.wechat.token)


async def serve_channels(app: App) -> None:
    """Start Telegram (polling or webhook) and WeChat with the scheduler; stop on a signal."""
    config = app.config
    senders: dict[str, Any] = {}
    telegram = wechat = None
    if config.telegram.token:
        from bot.channels.telegram import TelegramChannel

        telegram = TelegramChannel(app, config.telegram)
        await telegram.start()
        senders[telegram.name] = telegram
    if config.wechat.token:
        from bot.channels.wechat import WeChatChannel

        wechat = WeChatChannel(app, config.wechat, config.redis.url)
        senders[wechat.name] = wechat
    clock = scheduler.build(app, senders)
    clock.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    if telegram is not None:
        # What a previous run stored but did not finish goes first, before anything new.
        await telegram.inbox.recover()
    # The first message should not wait for jieba's dictionary (about a second).
    await asyncio.to_thread(warm_up)
    server = http_server(app, telegram, wechat)
    web = asyncio.create_task(server.serve())
    try:
        if wechat is not None:
            log.info("linli is answering WeChat at %s", config.wechat.path)
        if telegram is not None:
            if config.telegram.mode == "webhook":
                assert config.telegram.webhook_url is not None  # checked by the config
                await telegram.set_webhook(config.telegram.webhook_url)
                log.info("linli is running on Telegram (webhook)")
            else:
                await telegram.bot.delete_webhook(drop_pending_updates=False)
                log.info("linli is running on Telegram (polling)")
                await telegram.poll_forever(stop)
        await stop.wait()
    finally:
        server.should_exit = True
        await web
        clock.shutdown(wait=False)
        if wechat is not None:
            await wechat.stop()
        if telegram is not None:
            await telegram.stop()
