"""linli's HTTP server: the Telegram webhook, the WeChat callback and /healthz (Starlette)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000


def derived_secret(token: str, purpose: str, length: int) -> str:
    """Derive a stable secret from the bot token (the same on every instance and restart)."""
    return hmac.new(token.encode(), purpose.encode(), hashlib.sha256).hexdigest()[:length]


def webhook_path(token: str) -> str:
    """Return the webhook's path: it carries a random-looking part nobody can guess."""
    return f"/telegram/{derived_secret(token, 'webhook-path', 24)}"


def webhook_secret(token: str) -> str:
    """Return the secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token."""
    return derived_secret(token, "webhook-secret", 32)


def build(health: Any, telegram: Any = None, wechat: Any = None) -> Starlette:
    """Build the web app: /healthz, and the Telegram webhook and WeChat callback if enabled."""
    routes = [Route("/healthz", _healthz(health), methods=["GET"])]
    if telegram is not None:
        routes.append(_telegram_route(telegram))
    if wechat is not None:
        routes.append(_wechat_route(wechat))
    return Starlette(routes=routes)


def _healthz(health: Any) -> Any:
    async def healthz(_request: Request) -> Response:
        try:
            await health()
        except Exception as exc:
            return JSONResponse({"ok": False, "error": type(exc).__name__}, status_code=503)
        return JSONResponse({"ok": True})

    return healthz


def _telegram_route(channel: Any) -> Route:
    token = channel.config.token
    secret = webhook_secret(token)

    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not hmac.compare_digest(given, secret):
            return Response("forbidden", status_code=403)
        body = await request.body()
        if not body or len(body) > MAX_BODY:
            return Response("bad request", status_code=400)
        try:
            payload = json.loads(body)
        except ValueError:
            return Response("bad request", status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return Response("bad request", status_code=400)
        if not channel.readable(payload):  # "message": "x" and the like: never stored
            return Response("bad request", status_code=400)
        if channel.inbox.full:  # Telegram keeps the update and tries again later
            return Response("busy", status_code=503)
        # Stored (and queued for handling) before Telegram hears 200: a crash loses nothing.
        await channel.receive(payload)
        return Response("ok")

    return Route(webhook_path(token), telegram_webhook, methods=["POST"])


def _wechat_route(channel: Any) -> Route:
    from bot.channels.wechat import MAX_BODY as WECHAT_MAX_BODY
    from bot.channels.wechat import CallbackRejected

    async def wechat_callback(request: Request) -> Response:
        query = dict(request.query_params)
        try:
            if request.method == "GET":
                return PlainTextResponse(channel.verify(query))
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > WECHAT_MAX_BODY:
                raise CallbackRejected(413, "body too large")
            answer = await channel.callback(query, await _capped_body(request, WECHAT_MAX_BODY))
        except CallbackRejected as exc:
            log.info("wechat callback rejected (%s): %s", exc.status, exc)
            return PlainTextResponse(str(exc), status_code=exc.status)
        except Exception:
            # WeChat shows the user an error for anything but a reply or "success".
            log.exception("wechat callback failed")
            return PlainTextResponse("success")
        media = "text/plain" if answer == "success" else "application/xml"
        return Response(answer, media_type=media)

    return Route(channel.config.path, wechat_callback, methods=["GET", "POST"])


async def _capped_body(request: Request, limit: int) -> bytes:
    """Read a body, but stop (and refuse) once it grows past ``limit``."""
    from bot.channels.wechat import CallbackRejected

    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise CallbackRejected(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)
