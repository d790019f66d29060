"""A small fake of WeChat's HTTP API (api.weixin.qq.com/cgi-bin/) on 127.0.0.1, for tests.

It checks requests the way WeChat documents them and answers with WeChat's errcodes, records every
call, and lets a test expire the access token or inject errors. It runs uvicorn in a thread so
synchronous and asynchronous clients alike can call it.
"""

from __future__ import annotations

import itertools
import json
import secrets
import socket
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, NamedTuple

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# WeChat's own errmsg wording, so clients that log or match errmsg see what production sends.
ERRMSG = {
    -1: "system error",
    40004: "invalid media type", 40005: "invalid file type", 40009: "invalid image size",
    41005: "media data missing",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type", 40003: "invalid openid", 40007: "invalid media_id",
    40008: "invalid message type", 40013: "invalid appid", 40016: "invalid button size",
    40017: "invalid button type", 40018: "invalid button name size",
    40019: "invalid button key size", 40020: "invalid button url size",
    40023: "invalid sub button size", 40024: "invalid sub button type",
    40025: "invalid sub button name size", 40026: "invalid sub button key size",
    40027: "invalid sub button url size", 40037: "invalid template_id",
    40125: "invalid appsecret", 41001: "access_token missing", 44002: "empty post data",
    44003: "empty news data", 44004: "empty content", 45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit", 47001: "data format error",
    48001: "api unauthorized",
}  # fmt: skip
# Button types whose event carries the button's key back to the callback, so a key is required.
KEYED_TYPES = {
    "click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
    "pic_weixin", "location_select",
}  # fmt: skip
MENU_TYPES = KEYED_TYPES | {
    "view", "media_id", "view_limited", "article_id", "article_view_limited", "miniprogram"
}  # fmt: skip
POST_PATHS = {
    "message/custom/send", "message/template/send", "message/mass/sendall", "menu/create",
    "tags/create", "tags/members/batchtagging", "tags/members/batchuntagging", "user/tag/get",
}  # fmt: skip
MEDIA_TYPES = {"image", "voice", "video", "thumb"}
# What WeChat takes as a temporary image: PNG, JPEG, GIF or BMP, up to 10 MB.
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8", b"GIF87a", b"GIF89a", b"BM")
IMAGE_LIMIT = 10 * 1024 * 1024


class Upload(NamedTuple):
    """One file accepted by media/upload."""

    media_id: str
    type: str
    filename: str
    content_type: str
    data: bytes


class Call(NamedTuple):
    """One request as the fake saw it; ``path`` is relative to /cgi-bin/, e.g. "media/get"."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    at: float


class WeChatError(Exception):
    """Raised by a handler to answer with an errcode (WeChat answers errors with HTTP 200)."""

    def __init__(self, errcode: int, errmsg: str | None = None) -> None:
        super().__init__(errcode)
        self.errcode, self.errmsg = errcode, errmsg or ERRMSG.get(errcode, "error")


def _short(path: str) -> str:
    return path.strip("/").removeprefix("cgi-bin/")


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and value != ""


class FakeWeChatAPI:
    """WeChat's API server for one account; use as a context manager or call start()/stop().

    Point a client at ``base_url`` (it ends in "/cgi-bin/", like wechatpy's API_BASE_URL).
    """

    def __init__(
        self, appid: str = "wxlinli0000000001", secret: str = "linli-secret", ttl: int = 7200
    ) -> None:
        self.appid, self.secret, self.ttl = appid, secret, ttl
        self._lock = threading.Lock()
        self.calls: list[Call] = []
        self.token_requests = 0
        self._token: str | None = None
        self._token_at = 0.0
        self._failures: dict[str, list[tuple[int, str | None] | None]] = {}
        self.media: dict[str, tuple[bytes, str]] = {}
        self.tags: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []  # accepted custom/send bodies
        self.uploads: list[Upload] = []  # accepted media/upload files
        self.templates: list[dict[str, Any]] = []
        self.mass: list[dict[str, Any]] = []
        self.tag_members: dict[int, set[str]] = {}
        self._mass_ids: dict[str, int] = {}  # clientmsgid → msg_id (WeChat refuses a repeat)
        self.menu: dict[str, Any] | None = None
        self._ids = itertools.count(1001)  # msgid / msg_id values
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.app = Starlette(
            routes=[Route("/{path:path}", self._dispatch, methods=["GET", "POST"])]
        )

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return the API base, e.g. "http://127.0.0.1:PORT/cgi-bin/"."""
        return f"http://127.0.0.1:{self.port}/cgi-bin/"

    def start(self) -> FakeWeChatAPI:
        """Serve on a free port in a background thread; return once the port accepts."""
        # Binding here (not in uvicorn) tells us the port before the server thread runs.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        # Accepted sockets inherit this; without it, headers and body in separate writes meet
        # the client's delayed ACK and every keep-alive request takes 40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="wechat-fake"
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake WeChat API did not start")
            time.sleep(0.01)
        socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
        return self

    def stop(self) -> None:
        """Stop the server and wait for its thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> FakeWeChatAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- test controls ---------------------------------------------------------------------

    def expire_token(self) -> None:
        """Invalidate the issued token: the next call that presents it gets 40001."""
        with self._lock:
            self._token = None

    def fail_next(
        self, path: str, errcode: int, errmsg: str | None = None, times: int = 1, after: int = 0
    ) -> None:
        """Answer the next ``times`` calls to ``path`` (e.g. "message/custom/send") with errcode.

        ``after`` lets that many calls through first.
        """
        with self._lock:
            queue = self._failures.setdefault(_short(path), [])
            queue.extend([None] * after + [(errcode, errmsg)] * times)

    def add_media(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """Make ``media_id`` downloadable through media/get."""
        with self._lock:
            self.media[media_id] = (data, content_type)

    def add_tag(self, name: str, count: int = 0) -> int:
        """Create a user tag (as tags/get lists it) and return its id."""
        with self._lock:
            return self._new_tag(name, count)

    def _new_tag(self, name: str, count: int = 0) -> int:
        tag_id = 100 + len(self.tags)
        self.tags.append({"id": tag_id, "name": name, "count": count})
        self.tag_members[tag_id] = set()
        return tag_id

    def members(self, name: str) -> set[str]:
        """Return the openids carrying the tag called ``name``."""
        with self._lock:
            found = next((t["id"] for t in self.tags if t["name"] == name), None)
            return set(self.tag_members.get(found, set())) if found is not None else set()

    def calls_to(self, path: str) -> list[Call]:
        """Return the recorded calls to ``path`` ("menu/create" or "/cgi-bin/menu/create")."""
        with self._lock:
            return [c for c in self.calls if c.path == _short(path)]

    def sent_texts(self, touser: str | None = None) -> list[str]:
        """Return the contents of text messages accepted by custom/send, optionally to one user."""
        with self._lock:
            return [
                m["text"]["content"]
                for m in self.messages
                if m.get("msgtype") == "text" and touser in (None, m.get("touser"))
            ]

    def sent_images(self, touser: str | None = None) -> list[bytes]:
        """Return the uploaded pictures sent as image messages by custom/send, in order."""
        with self._lock:
            return [
                self.media[m["image"]["media_id"]][0]
                for m in self.messages
                if m.get("msgtype") == "image" and touser in (None, m.get("touser"))
            ]

    def sent_kinds(self, touser: str | None = None) -> list[str]:
        """Return the msgtype of every message accepted by custom/send, in order."""
        with self._lock:
            return [m["msgtype"] for m in self.messages if touser in (None, m.get("touser"))]

    # ---- serving ---------------------------------------------------------------------------

    async def _dispatch(self, request: Request) -> Response:
        path, query = _short(request.url.path), dict(request.query_params)
        raw = await request.body()
        try:  # wechatpy posts JSON bytes without a JSON content type, so parse regardless
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if path == "media/upload":  # multipart/form-data: the parts by field name
            body = _form_parts(request.headers.get("content-type", ""), raw)
        handler = getattr(self, "_api_" + path.replace("/", "_"), None)
        with self._lock:  # handlers never await, so holding a threading lock here is safe
            self.calls.append(Call(request.method, path, query, body, time.monotonic()))
            try:
                if handler is None:
                    raise WeChatError(48001, f"api unauthorized: fake has no {request.url.path}")
                if path == "token":
                    self.token_requests += 1  # counted before injection: a failed fetch counts
                else:
                    self._check_token(query.get("access_token"))
                self._injected(path)
                # Like WeChat, a GET (no body) to a POST endpoint is "empty post data".
                if path in POST_PATHS and not isinstance(body, dict):
                    raise WeChatError(44002 if not raw else 47001)
                result = handler(query, body)
            except WeChatError as exc:
                return JSONResponse({"errcode": exc.errcode, "errmsg": exc.errmsg})
        return result if isinstance(result, Response) else JSONResponse(result)

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise WeChatError(41001)
        if self._token is not None and time.monotonic() - self._token_at >= self.ttl:
            self._token = None
        if token != self._token:
            raise WeChatError(40001)

    def _injected(self, path: str) -> None:
        queue = self._failures.get(path)
        if queue and (failure := queue.pop(0)) is not None:
            raise WeChatError(*failure)

    def _api_token(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if query.get("grant_type") != "client_credential":
            raise WeChatError(40002)
        if query.get("appid") != self.appid:
            raise WeChatError(40013)
        if query.get("secret") != self.secret:
            raise WeChatError(40125)
        # A fresh token replaces the old one, as with WeChat's non-stable token endpoint.
        self._token, self._token_at = "AT_" + secrets.token_urlsafe(24), time.monotonic()
        return {"access_token": self._token, "expires_in": self.ttl}

    def _api_message_custom_send(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if not _nonempty_str(body.get("touser")):
            raise WeChatError(40003)
        kind = body.get("msgtype")
        part = body.get(kind) if isinstance(kind, str) else None
        if kind not in {"text", "image", "voice", "news"} or not isinstance(part, dict):
            raise WeChatError(40008)
        if kind == "text" and not _nonempty_str(part.get("content")):
            raise WeChatError(44004)
        if kind in {"image", "voice"} and part.get("media_id") not in self.media:
            raise WeChatError(40007)  # none, or never uploaded (or received)
        if kind == "news":
            articles = part.get("articles")
            if not isinstance(articles, list) or not articles:
                raise WeChatError(44003)
            if len(articles) > 1:  # custom-service news is limited to one article
                raise WeChatError(45008)
        self.messages.append(body)
        return {"errcode": 0, "errmsg": "ok"}

    def _api_message_template_send(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if not _nonempty_str(body.get("touser")):
            raise WeChatError(40003)
        if not _nonempty_str(body.get("template_id")):
            raise WeChatError(40037)
        data = body.get("data")
        if not isinstance(data, dict) or not all(
            isinstance(v, dict) and isinstance(v.get("value"), str) for v in data.values()
        ):
            raise WeChatError(47001)
        self.templates.append(body)
        return {"errcode": 0, "errmsg": "ok", "msgid": next(self._ids)}

    def _api_message_mass_sendall(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        filt = body.get("filter")
        if not isinstance(filt, dict) or not isinstance(filt.get("is_to_all", False), bool):
            raise WeChatError(47001)
        if not filt.get("is_to_all") and filt.get("tag_id") in (None, ""):
            raise WeChatError(47001, "data format error: tag_id required unless is_to_all")
        kind = body.get("msgtype")
        part = body.get(kind) if isinstance(kind, str) else None
        if kind not in {"text", "image", "voice", "mpnews"} or not isinstance(part, dict):
            raise WeChatError(40008)
        if kind == "text" and not _nonempty_str(part.get("content")):
            raise WeChatError(44004)
        if kind != "text" and not _nonempty_str(part.get("media_id")):
            raise WeChatError(40007)
        if not filt.get("is_to_all") and filt.get("tag_id") not in self.tag_members:
            raise WeChatError(40032, "invalid tag_id")
        client_id = body.get("clientmsgid")
        if client_id in self._mass_ids:  # the same send submitted again within 24 h
            raise WeChatError(45065, "clientmsgid exist")
        self.mass.append(body)
        msg_id = next(self._ids)
        if client_id:
            self._mass_ids[client_id] = msg_id
        return {"errcode": 0, "errmsg": "send job submission success", "msg_id": msg_id}

    def _api_tags_create(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        name = (body.get("tag") or {}).get("name")
        if not _nonempty_str(name) or len(name) > 30:
            raise WeChatError(45158, "tag name too long")
        if any(t["name"] == name for t in self.tags):
            raise WeChatError(45157, "invalid tag name")
        return {"tag": {"id": self._new_tag(name), "name": name}}

    def _tagging(self, body: Any) -> tuple[set[str], list[str]]:
        openids = body.get("openid_list")
        if body.get("tagid") not in self.tag_members:
            raise WeChatError(45159, "invalid tag id")
        if not isinstance(openids, list) or not openids or len(openids) > 50:
            raise WeChatError(40032, "invalid openid list size")
        return self.tag_members[body["tagid"]], openids

    def _api_tags_members_batchtagging(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        members, openids = self._tagging(body)
        members.update(openids)
        return {"errcode": 0, "errmsg": "ok"}

    def _api_tags_members_batchuntagging(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        members, openids = self._tagging(body)
        members.difference_update(openids)
        return {"errcode": 0, "errmsg": "ok"}

    def _api_user_tag_get(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        if body.get("tagid") not in self.tag_members:
            raise WeChatError(45159, "invalid tag id")
        ordered = sorted(self.tag_members[body["tagid"]])
        after = body.get("next_openid") or ""
        page = [o for o in ordered if o > after][:2]  # tiny pages, to exercise paging
        if not page:
            return {"count": 0, "next_openid": ""}
        return {"count": len(page), "data": {"openid": page}, "next_openid": page[-1]}

    def _api_media_upload(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        kind = query.get("type")
        if kind not in MEDIA_TYPES:
            raise WeChatError(40004)
        media = (body or {}).get("media")
        if media is None or not media[2]:
            raise WeChatError(41005)
        filename, content_type, data = media
        if kind == "image":
            if not data.startswith(IMAGE_MAGIC):
                raise WeChatError(40005)
            if len(data) > IMAGE_LIMIT:
                raise WeChatError(40009)
        media_id = secrets.token_urlsafe(48)
        self.media[media_id] = (data, content_type)
        self.uploads.append(Upload(media_id, kind, filename, content_type, data))
        return {"type": kind, "media_id": media_id, "created_at": int(time.time())}

    def _api_media_get(self, query: dict[str, str], body: Any) -> Response:
        media_id = query.get("media_id", "")
        if media_id not in self.media:
            raise WeChatError(40007)
        data, content_type = self.media[media_id]
        disposition = f'attachment; filename="{media_id}.{content_type.rsplit("/", 1)[-1]}"'
        return Response(data, media_type=content_type, headers={"Content-disposition": disposition})

    def _api_tags_get(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        counted = [{**t, "count": len(self.tag_members.get(t["id"], ()))} for t in self.tags]
        return {"tags": counted}

    def _api_menu_create(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        buttons = body.get("button")
        if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
            raise WeChatError(40016)
        for button in buttons:
            subs = button.get("sub_button") if isinstance(button, dict) else None
            # An empty sub_button list counts as none (clients often send "sub_button": []).
            if subs and (not isinstance(subs, list) or len(subs) > 5):
                raise WeChatError(40023)
            _check_button(button, sub=False, typed=not subs)  # a parent needs only a name
            for sub in subs or []:
                _check_button(sub, sub=True, typed=True)
        self.menu = body
        return {"errcode": 0, "errmsg": "ok"}


def _form_parts(content_type: str, raw: bytes) -> dict[str, tuple[str, str, bytes]] | None:
    """Return a multipart/form-data body's parts as name → (filename, content type, data)."""
    if not content_type.startswith("multipart/form-data"):
        return None
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    if not message.is_multipart():
        return None
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            data = part.get_payload(decode=True) or b""
            parts[str(name)] = (part.get_filename() or "", part.get_content_type(), data)
    return parts


def _check_button(button: Any, sub: bool, typed: bool) -> None:
    if not isinstance(button, dict):
        raise WeChatError(47001)
    # WeChat numbers the checks type, name, key, url: 40017-40020, and 40024-40027 for sub-buttons.
    code = 40024 if sub else 40017
    name, kind, key, url = (button.get(k) for k in ("name", "type", "key", "url"))
    if not _nonempty_str(name) or len(name.encode()) > (60 if sub else 16):
        raise WeChatError(code + 1)
    if not typed:
        return
    if kind not in MENU_TYPES:
        raise WeChatError(code)
    if kind in KEYED_TYPES and (not _nonempty_str(key) or len(key.encode()) > 128):
        raise WeChatError(code + 2)
    if kind in {"view", "miniprogram"} and (not _nonempty_str(url) or len(url) > 1024):
        raise WeChatError(code + 3)
