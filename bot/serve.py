"""Run the configured platform channels, the HTTP server and the clock until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import App
from bot.delivery.workers import Presence, lead, send_forever
from bot.jobs import scheduler
from bot.web.server import http_server

log = logging.getLogger(__name__)


def warm_up() -> None:
    """Load the language models and dictionaries before the first message needs them."""
    from nlp.intents import understand
    from nlp.topics import classify

    understand("你好")
    classify("楼道灯坏了")


def platforms_configured(app: App) -> bool:
    """Tell whether any platform channel is configured (else linli opens the console)."""
    return bool(app.config.telegram.token or app.config.wechat.token)


ROLES = ("all", "web", "worker")


async def serve_channels(app: App, role: str = "all") -> None:
    """Run linli's part for ``role`` until a signal stops it.

    ``web`` receives (Telegram webhook or polling, the WeChat callback); ``worker`` sends the
    outbox and runs the scheduler (one instance at a time); ``all`` does both.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    config = app.config
    senders: dict[str, Any] = {}
    telegram = wechat = None
    if config.telegram.token:
        from bot.channels.telegram.channel import TelegramChannel

        telegram = TelegramChannel(app, config.telegram)
        await telegram.start()
        senders[telegram.name] = telegram
    if config.wechat.token:
        from bot.channels.wechat.channel import WeChatChannel

        wechat = WeChatChannel(app, config.wechat, config.redis.url)
        senders[wechat.name] = wechat
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    background: list[asyncio.Task[Any]] = []
    presence = None
    if role in ("worker", "all"):
        timeout = timedelta(seconds=config.outbox.worker_timeout_seconds)
        presence = Presence(app.maker, role, telegram.share_rate if telegram else None, timeout)
        await presence.start()
        background.append(asyncio.create_task(_send(app, senders, stop, presence)))
        background.append(asyncio.create_task(_lead(app, senders, stop)))
    try:
        if role in ("web", "all"):
            await _receive(app, telegram, wechat, stop)
        else:
            log.info("linli worker %s is sending", presence.id if presence else "")
            await stop.wait()
    finally:
        stop.set()
        for task in background:
            with contextlib.suppress(Exception):
                await task
        if presence is not None:
            await presence.stop()
        if wechat is not None:
            await wechat.stop()
        if telegram is not None:
            await telegram.stop()


async def _send(app: App, senders: dict[str, Any], stop: asyncio.Event, me: Presence) -> None:
    outbox = app.config.outbox
    quiet, zone = app.dispatcher.settings.quiet_hours, ZoneInfo(app.config.community.timezone)
    await send_forever(
        app.maker,
        senders,
        stop,
        worker_id=me.id,
        batch=outbox.batch,
        concurrency=outbox.concurrency,
        idle_seconds=outbox.poll_seconds,
        worker_timeout=timedelta(seconds=outbox.worker_timeout_seconds),
        quiet_now=lambda: quiet.holds(datetime.now(zone)),
        healthy=me.healthy,
        read_maker=app.read_maker,
    )


async def _lead(app: App, senders: dict[str, Any], stop: asyncio.Event) -> None:
    clocks: list[Any] = []

    def start() -> None:
        clocks.append(scheduler.build(app, senders))
        clocks[-1].start()

    def stop_leading() -> None:
        while clocks:
            clocks.pop().shutdown(wait=False)

    await lead(app.engine, start, stop_leading, stop)


async def _receive(app: App, telegram: Any, wechat: Any, stop: asyncio.Event) -> None:
    """Receive messages (webhooks, polling, the WeChat callback) until ``stop``."""
    config = app.config
    if telegram is not None:
        # What a previous run stored but did not finish goes first, before anything new.
        await telegram.inbox.recover()
    # The first message should not wait for jieba's dictionary (about a second).
    await asyncio.to_thread(warm_up)
    server = http_server(app, telegram, wechat)
    web = asyncio.create_task(server.serve())
    recovering: asyncio.Task[None] | None = None
    try:
        if wechat is not None:
            log.info("linli is answering WeChat at %s", config.wechat.path)
            # Messages kept while the database was away are handled once it is back.
            recovering = asyncio.create_task(wechat.recover_forever(stop))
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
        if recovering is not None:
            stop.set()
            await recovering
