"""WeChat's callback route: the GET check of the server address and the POSTed messages.

WeChat shows the user an error for any answer but a reply or ``success``, so a failure while
handling is logged and answered ``success``; a callback refused for what it is (a bad
signature, a replay, a body too large) gets its HTTP status.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # WeChat's messages are a few kB; anything near this is not WeChat


class CallbackRejected(Exception):
    """A callback linli will not act on; ``status`` is the HTTP answer (403, 400, 413)."""

    def __init__(self, status: int, reason: str) -> None:
        """Keep the HTTP status and a reason for the log."""
        super().__init__(reason)
        self.status = status


def routes(channel: Any) -> list[Route]:
    """Return the callback route of a WeChat channel (``verify`` and ``callback``)."""

    async def wechat_callback(request: Request) -> Response:
        query = dict(request.query_params)
        try:
            if request.method == "GET":
                return PlainTextResponse(channel.verify(query))
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_BODY:
                raise CallbackRejected(413, "body too large")
            answer = await channel.callback(query, await _capped_body(request, MAX_BODY))
        except CallbackRejected as exc:
            log.info("wechat callback rejected (%s): %s", exc.status, exc)
            return PlainTextResponse(str(exc), status_code=exc.status)
        except Exception:
            log.exception("wechat callback failed")
            return PlainTextResponse("success")
        media = "text/plain" if answer == "success" else "application/xml"
        return Response(answer, media_type=media)

    return [Route(channel.config.path, wechat_callback, methods=["GET", "POST"])]


async def _capped_body(request: Request, limit: int) -> bytes:
    """Read a body, but stop (and refuse) once it grows past ``limit``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise CallbackRejected(413, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)
