"""The HTTP server linli runs: uvicorn serving the web app, with /healthz asking the database."""

from __future__ import annotations

from typing import Any

import uvicorn

from bot.app import App
from bot.web.app import build


async def _health(app: App) -> None:
    async with app.engine.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")


def http_server(app: App, telegram: Any = None, wechat: Any = None) -> uvicorn.Server:
    """Build (not start) the uvicorn server for the channels' routes and /healthz."""
    web = build(lambda: _health(app), telegram=telegram, wechat=wechat)
    config = uvicorn.Config(
        web,
        host=app.config.http.host,
        port=app.config.http.port,
        log_level="warning",
        lifespan="off",
    )
    return uvicorn.Server(config)
