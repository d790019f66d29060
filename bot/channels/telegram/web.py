"""Telegram's webhook: its secret path and header, and the route the web app mounts.

The secrets derive from the bot token, so every instance and restart agrees on them. An update
is checked (secret, JSON, shape) and stored before Telegram hears 200: a crash loses nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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


def routes(channel: Any) -> list[Route]:
    """Return the webhook route of a Telegram channel (its ``receive`` stores each update)."""
    token = channel.token
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

    return [Route(webhook_path(token), telegram_webhook, methods=["POST"])]
