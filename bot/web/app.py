"""linli's web app: /healthz, and the routes each configured channel brings (Starlette).

The app knows no platform: a channel's ``routes()`` returns its webhook or callback, and the
app mounts them. The staff workbench will be mounted here too.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def build(health: Any, telegram: Any = None, wechat: Any = None) -> Starlette:
    """Build the web app: /healthz, and the routes of each channel given."""
    routes = [Route("/healthz", _healthz(health), methods=["GET"])]
    for channel in (telegram, wechat):
        if channel is not None:
            routes.extend(channel.routes())
    return Starlette(routes=routes)


def _healthz(health: Any) -> Any:
    async def healthz(_request: Request) -> Response:
        try:
            await health()
        except Exception as exc:
            return JSONResponse({"ok": False, "error": type(exc).__name__}, status_code=503)
        return JSONResponse({"ok": True})

    return healthz
