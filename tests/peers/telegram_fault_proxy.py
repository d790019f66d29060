"""A fault-injecting HTTP proxy in front of a Telegram Bot API (the emulator) for reliability tests.

`FaultProxy(upstream)` listens on 127.0.0.1 (a free port) and forwards every request under
`/bot<token>/<method>` to `upstream` (a Bot API base URL such as `Peer.bot_url`), body and
content type unchanged, and returns the upstream answer unchanged, except where a fault was set:

* `fail_429(fraction, retry_after, seed)`: that fraction of sends gets Telegram's flood-control
  answer, and the bot's token is paused for `retry_after` seconds. A request of that bot arriving
  during the pause is a `Violation` (answered 429 again, with the seconds left, like Telegram).
* `block(chat_ids)` / `block_fraction(fraction, seed)`: sends to those chats get 403 "bot was
  blocked by the user"; every request to them is still counted (`attempts_to`).
* `delay_fraction(fraction, seconds, seed)`: that fraction of sends is answered `seconds` late
  (forwarded at once, so the message arrives although the client may time out).
* `answer_directly=True`: the proxy answers sendMessage (and getMe) itself, for big broadcasts.

The server is uvicorn in a daemon thread with its own event loop, on a socket bound before the
thread starts: `start()` returns once it serves, `stop()` takes about 0.2 s, and it works from
plain pytest code and from an asyncio test alike (the test's loop never runs the proxy).
Everything is recorded with arrival times on `time.monotonic()` (the clock Telegram would count
from) in a thread-safe `Ledger`.

A send is a method whose name starts with "send" (but not sendChatAction) or copyMessage(s) /
forwardMessage(s). Which sends get a fault is decided by a hash of (seed, token, chat_id, text,
attempt number for that chat and text), so it does not depend on the order concurrent requests
arrive in, and a retry of a message gets a fresh draw.

In a test (sync or async; start and stop block for milliseconds, never on the test's loop)::

    @pytest.fixture
    def proxy(peer: Peer) -> Iterator[FaultProxy]:
        with FaultProxy(peer.bot_url) as running:
            yield running

    async def test_broadcast(proxy: FaultProxy) -> None:
        proxy.fail_429(0.1, retry_after=1, seed=1)
        proxy.block_fraction(0.1, seed=2)
        ...  # linli's sender with TelegramConfig(base_url=proxy.bot_url, ...)
        assert not proxy.violations() and proxy.max_rate(1.0) <= 30
        assert all(proxy.attempts_to(c) == 1 for c in proxy.blocked_chats())
        assert all(proxy.deliveries()[c] == 1 for c in residents if not proxy.is_blocked(c))
        assert not proxy.duplicates()
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import re
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ChatId = int | str

_SEND_EXTRA = frozenset({"copymessage", "copymessages", "forwardmessage", "forwardmessages"})
_NOT_SENDS = frozenset({"sendchataction"})
_INT = re.compile(r"-?\d+")


def is_send(method: str) -> bool:
    """Tell whether a Bot API method delivers a message (and so can be faulted and counted)."""
    name = method.lower()
    return (name.startswith("send") and name not in _NOT_SENDS) or name in _SEND_EXTRA


def _error_body(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def telegram_error(code: int, description: str, **parameters: Any) -> JSONResponse:
    """Return an error exactly as Telegram shapes it (HTTP status = error_code)."""
    return JSONResponse(_error_body(code, description, **parameters), status_code=code)


def max_in_window(times: Iterable[float], window: float = 1.0) -> int:
    """Return the most events in any half-open interval [t, t + window) of the given times."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _chance(*parts: object) -> float:
    """Map the parts to a stable number in [0, 1) (the same parts always give the same one)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _chat_id(value: Any) -> ChatId | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if _INT.fullmatch(text) else text


def _multipart(body: bytes, boundary: bytes) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.partition(b"\r\n\r\n")
        headers = head.decode("utf-8", "replace")
        name = re.search(r'\bname="([^"]*)"', headers)
        if not name:
            continue
        filename = re.search(r'filename="([^"]*)"', headers)
        content = content.removesuffix(b"\r\n")
        fields[name.group(1)] = (
            {"upload": filename.group(1), "size": len(content)}
            if filename
            else content.decode("utf-8", "replace")
        )
    return fields


def parse_params(content_type: str, body: bytes, query: Mapping[str, str]) -> dict[str, Any]:
    """Read a Bot API call's parameters from its query and its JSON, form or multipart body."""
    params: dict[str, Any] = dict(query)
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" and body:
        loaded = json.loads(body)
        if isinstance(loaded, dict):
            params.update(loaded)
    elif kind == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif kind == "multipart/form-data":
        boundary = re.search(r'boundary="?([^";]+)"?', content_type)
        if boundary:
            params.update(_multipart(body, boundary.group(1).encode()))
    return params


@dataclass(frozen=True)
class Attempt:
    """One request as it arrived, and how the proxy answered it."""

    time: float
    token: str
    method: str
    chat_id: ChatId | None
    text: str | None
    status: int
    fault: str | None  # "429", "pause" (arrived during one), "blocked", "delay" or None


@dataclass(frozen=True)
class Delivery:
    """A send that succeeded (the upstream, or the proxy itself, answered ok)."""

    time: float
    token: str
    chat_id: ChatId | None
    method: str
    text: str | None
    message_id: int | None


@dataclass(frozen=True)
class Violation:
    """A request that arrived while its bot was told to wait (before `pause_until`)."""

    time: float
    token: str
    method: str
    chat_id: ChatId | None
    pause_until: float


class Ledger:
    """What reached the proxy; safe to read from the test while the server thread writes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: list[Attempt] = []
        self._deliveries: list[Delivery] = []
        self._violations: list[Violation] = []

    def add_attempt(self, attempt: Attempt) -> None:
        """Record one request and its answer."""
        with self._lock:
            self._attempts.append(attempt)

    def add_delivery(self, delivery: Delivery) -> None:
        """Record one successful send."""
        with self._lock:
            self._deliveries.append(delivery)

    def add_violation(self, violation: Violation) -> None:
        """Record one request made during a 429 pause."""
        with self._lock:
            self._violations.append(violation)

    def clear(self) -> None:
        """Forget everything recorded."""
        with self._lock:
            self._attempts.clear()
            self._deliveries.clear()
            self._violations.clear()

    def attempts(self, chat_id: ChatId | None = None, *, sends_only: bool = True) -> list[Attempt]:
        """Return the requests in arrival order (only sends, and only to `chat_id` if given)."""
        with self._lock:
            found = [
                a
                for a in self._attempts
                if (not sends_only or is_send(a.method))
                and (chat_id is None or a.chat_id == chat_id)
            ]
        return sorted(found, key=lambda a: a.time)

    def attempts_to(self, chat_id: ChatId) -> int:
        """Count the send requests to one chat, whatever their answer (1 = no retries)."""
        return len(self.attempts(chat_id))

    def delivered(self) -> list[Delivery]:
        """Return every successful send in arrival order."""
        with self._lock:
            return sorted(self._deliveries, key=lambda d: d.time)

    def deliveries(self) -> Counter[ChatId | None]:
        """Count successful sends per chat."""
        return Counter(d.chat_id for d in self.delivered())

    def duplicates(self) -> dict[ChatId | None, int]:
        """Return, per chat, how many extra copies of the same (method, text) it got."""
        copies = Counter((d.chat_id, d.method, d.text) for d in self.delivered())
        extra: dict[ChatId | None, int] = defaultdict(int)
        for (chat_id, _method, _text), count in copies.items():
            if count > 1:
                extra[chat_id] += count - 1
        return dict(extra)

    def violations(self) -> list[Violation]:
        """Return the requests that arrived during a 429 pause, in arrival order."""
        with self._lock:
            return sorted(self._violations, key=lambda v: v.time)

    def max_rate(
        self, window: float = 1.0, *, token: str | None = None, attempts: bool = False
    ) -> int:
        """Return the most successful sends (or send requests) in any `window` seconds."""
        if attempts:
            times = [a.time for a in self.attempts() if token is None or a.token == token]
        else:
            times = [d.time for d in self.delivered() if token is None or d.token == token]
        return max_in_window(times, window)

    def max_rate_per_chat(self, window: float = 1.0) -> dict[ChatId | None, int]:
        """Return, per chat, the most successful sends to it in any `window` seconds."""
        times: dict[ChatId | None, list[float]] = defaultdict(list)
        for d in self.delivered():
            times[d.chat_id].append(d.time)
        return {chat_id: max_in_window(ts, window) for chat_id, ts in times.items()}


@dataclass(frozen=True)
class _Flood:
    fraction: float
    retry_after: int
    seed: int
    forward_during_pause: bool


@dataclass(frozen=True)
class _Delay:
    fraction: float
    seconds: float
    seed: int
    deliver: bool


@dataclass(frozen=True)
class _Decision:
    answer: Response | None = None  # answer now, without forwarding
    fault: str | None = None
    delay: _Delay | None = None


class FaultProxy:
    """A Bot API proxy on 127.0.0.1 that injects 429s, blocked users and slow answers.

    Use as `with FaultProxy(peer.bot_url) as proxy:` and give PTB `base_url=proxy.bot_url`.
    """

    def __init__(
        self,
        upstream: str | None = None,
        *,
        answer_directly: bool = False,
        exempt_from_pause: Sequence[str] = ("getUpdates",),
        clock: Callable[[], float] = time.monotonic,
        upstream_timeout: float = 60.0,
    ) -> None:
        """Prepare a proxy to `upstream` (a Bot API base URL ending in /bot); `start` runs it.

        With `answer_directly` the proxy answers sendMessage, getMe and sendChatAction itself
        (no upstream needed for those). Methods in `exempt_from_pause` (polling, by default)
        are not violations during a 429 pause; Telegram does not throttle them.
        """
        if upstream is None and not answer_directly:
            raise ValueError("give an upstream Bot API URL, or answer_directly=True")
        self.upstream = upstream.rstrip("/") if upstream else None
        self.answer_directly = answer_directly
        self.exempt_from_pause = frozenset(m.lower() for m in exempt_from_pause)
        self.clock = clock
        self.upstream_timeout = upstream_timeout
        self.ledger = Ledger()
        self.port = 0
        self._lock = threading.Lock()
        self._flood: _Flood | None = None
        self._delay: _Delay | None = None
        self._blocked: set[ChatId] = set()
        self._block_fraction: tuple[float, int] | None = None
        self._pause_until: dict[str, float] = {}
        self._tries: Counter[tuple[str, ChatId | None, str | None]] = Counter()
        self._answered_403: set[ChatId] = set()
        self._next_message_id = 1
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closing: asyncio.Event | None = None
        self._client: httpx.AsyncClient | None = None
        self._crash: BaseException | None = None
        self._stopping = False

    # ------------------------------------------------------------------ life cycle
    @property
    def url(self) -> str:
        """Return the proxy's root URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def bot_url(self) -> str:
        """Return the Bot API base URL to give PTB (`base_url=`); PTB appends the token."""
        return f"{self.url}/bot"

    def start(self, timeout: float = 10.0) -> Self:
        """Start serving in a background thread; return once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError("FaultProxy already started")
        # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are
        # TCP, and without it every keep-alive answer waits 40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        self.port = sock.getsockname()[1]
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._handle, methods=["GET", "POST"]),
                Route("/{path:path}", self._not_found, methods=["GET", "POST"]),
            ]
        )
        config = uvicorn.Config(
            app,
            log_config=None,  # leave the test run's logging alone
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=f"FaultProxy:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"FaultProxy did not start: {self._crash!r}")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        """Stop serving (answers still held by a delay are dropped); safe to call twice."""
        server, thread, loop, closing = self._server, self._thread, self._loop, self._closing
        self._stopping = True
        if server is not None:
            server.should_exit = True
            server.force_exit = True  # do not wait for held answers or keep-alive clients
        if loop is not None and closing is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already finished
                loop.call_soon_threadsafe(closing.set)
        if thread is not None:
            thread.join(timeout=10)
        self._thread = self._server = None
        self._stopping = False

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self, sock: socket.socket) -> None:
        try:
            asyncio.run(self._serve(sock))
        except BaseException as exc:  # shown by start() if it never came up
            self._crash = exc
        finally:
            sock.close()

    async def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        self._loop = asyncio.get_running_loop()
        self._closing = asyncio.Event()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        # Loading the CA bundle for TLS takes ~0.1 s per client; a plain-HTTP upstream needs none.
        tls = self.upstream is not None and not self.upstream.startswith("http://")
        async with httpx.AsyncClient(
            timeout=self.upstream_timeout, limits=limits, verify=tls
        ) as client:
            self._client = client
            await self._server.serve(sockets=[sock])

    # ------------------------------------------------------------------ faults
    def fail_429(
        self,
        fraction: float,
        retry_after: int = 1,
        seed: int = 0,
        *,
        forward_during_pause: bool = False,
    ) -> None:
        """Answer that fraction of sends with 429 and pause their bot for `retry_after` s.

        A request arriving during a pause gets no fresh draw: it is recorded as a violation
        and answered 429 with the seconds left (or forwarded, if `forward_during_pause`).
        """
        with self._lock:
            self._flood = _Flood(fraction, retry_after, seed, forward_during_pause)

    def block(self, chat_ids: Iterable[ChatId]) -> None:
        """Make sends to these chats fail with 403 "bot was blocked by the user"."""
        with self._lock:
            self._blocked.update(c for c in map(_chat_id, chat_ids) if c is not None)

    def block_fraction(self, fraction: float, seed: int = 0) -> None:
        """Make that fraction of chats (chosen by a hash of the chat id) block the bot."""
        with self._lock:
            self._block_fraction = (fraction, seed)

    def is_blocked(self, chat_id: ChatId) -> bool:
        """Tell whether sends to this chat are answered 403."""
        with self._lock:
            return self._is_blocked(_chat_id(chat_id))

    def blocked_chats(self) -> set[ChatId]:
        """Return the chats that were answered 403 so far."""
        with self._lock:
            return set(self._answered_403)

    def delay_fraction(
        self, fraction: float, seconds: float, seed: int = 0, *, deliver: bool = True
    ) -> None:
        """Hold the answer to that fraction of sends for `seconds` (a client may time out).

        With `deliver` the send is forwarded at once (it arrives; the client cannot know);
        without, it is never forwarded and the late answer is 502 Bad Gateway.
        """
        with self._lock:
            self._delay = _Delay(fraction, seconds, seed, deliver)

    def clear_faults(self) -> None:
        """Remove every fault and pause; recorded traffic is kept."""
        with self._lock:
            self._flood = self._delay = self._block_fraction = None
            self._blocked.clear()
            self._pause_until.clear()

    def reset(self) -> None:
        """Remove every fault and forget all recorded traffic."""
        self.clear_faults()
        with self._lock:
            self._tries.clear()
            self._answered_403.clear()
        self.ledger.clear()

    def pause_until(self, token: str) -> float | None:
        """Return when the bot's current 429 pause ends (on `clock`), if it was paused."""
        with self._lock:
            return self._pause_until.get(token)

    # ------------------------------------------------------------------ recorded traffic
    def attempts(self, chat_id: ChatId | None = None) -> list[Attempt]:
        """Return the send requests (to one chat if given), in arrival order."""
        return self.ledger.attempts(chat_id)

    def attempts_to(self, chat_id: ChatId) -> int:
        """Count the send requests to one chat, whatever their answer."""
        return self.ledger.attempts_to(chat_id)

    def delivered(self) -> list[Delivery]:
        """Return every successful send in arrival order."""
        return self.ledger.delivered()

    def deliveries(self) -> Counter[ChatId | None]:
        """Count successful sends per chat."""
        return self.ledger.deliveries()

    def duplicates(self) -> dict[ChatId | None, int]:
        """Return, per chat, how many extra copies of the same message it got."""
        return self.ledger.duplicates()

    def violations(self) -> list[Violation]:
        """Return the requests that arrived during a 429 pause."""
        return self.ledger.violations()

    def max_rate(
        self, window: float = 1.0, *, token: str | None = None, attempts: bool = False
    ) -> int:
        """Return the most successful sends (or send requests) in any `window` seconds."""
        return self.ledger.max_rate(window, token=token, attempts=attempts)

    def max_rate_per_chat(self, window: float = 1.0) -> dict[ChatId | None, int]:
        """Return, per chat, the most successful sends to it in any `window` seconds."""
        return self.ledger.max_rate_per_chat(window)

    # ------------------------------------------------------------------ serving
    def _is_blocked(self, chat_id: ChatId | None) -> bool:
        if chat_id is None:
            return False
        if chat_id in self._blocked:
            return True
        if self._block_fraction is None:
            return False
        fraction, seed = self._block_fraction
        return _chance(seed, "block", chat_id) < fraction

    def _decide(
        self, arrived: float, token: str, method: str, chat_id: ChatId | None, text: str | None
    ) -> _Decision:
        """Pick the fault for one request (under the lock, so pauses are consistent)."""
        with self._lock:
            paused = self._pause_until.get(token)
            if (
                paused is not None
                and arrived < paused
                and method.lower() not in self.exempt_from_pause
            ):
                self.ledger.add_violation(Violation(arrived, token, method, chat_id, paused))
                if self._flood is None or not self._flood.forward_during_pause:
                    left = max(1, math.ceil(paused - arrived))
                    return _Decision(_flood_answer(left), "pause")
                return _Decision(fault="pause")
            if not is_send(method):
                return _Decision()
            attempt = self._tries[(token, chat_id, text)]
            self._tries[(token, chat_id, text)] += 1
            if self._is_blocked(chat_id):
                assert chat_id is not None
                self._answered_403.add(chat_id)
                answer = telegram_error(403, "Forbidden: bot was blocked by the user")
                return _Decision(answer, "blocked")
            flood = self._flood
            if flood and _chance(flood.seed, "429", token, chat_id, text, attempt) < flood.fraction:
                self._pause_until[token] = max(paused or 0.0, arrived + flood.retry_after)
                return _Decision(_flood_answer(flood.retry_after), "429")
            delay = self._delay
            if (
                delay
                and _chance(delay.seed, "delay", token, chat_id, text, attempt) < delay.fraction
            ):
                return _Decision(fault="delay", delay=delay)
            return _Decision()

    async def _handle(self, request: Request) -> Response:
        arrived = self.clock()
        token = request.path_params["token"]
        method = request.path_params["method"]
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        try:
            params = parse_params(content_type, body, request.query_params)
        except ValueError:
            params = {}
        chat_id = _chat_id(params.get("chat_id"))
        raw_text = params.get("text", params.get("caption"))
        text = None if raw_text is None else str(raw_text)
        decision = self._decide(arrived, token, method, chat_id, text)

        def record(status: int) -> None:
            attempt = Attempt(arrived, token, method, chat_id, text, status, decision.fault)
            self.ledger.add_attempt(attempt)

        if decision.answer is not None:
            record(decision.answer.status_code)
            return decision.answer
        delay = decision.delay
        if delay is not None and not delay.deliver:
            await self._hold(delay.seconds)
            record(502)
            return telegram_error(502, "Bad Gateway")

        if self.answer_directly and method.lower() in {"sendmessage", "getme", "sendchataction"}:
            status, content = self._answer(token, method, params)
            answer: Response = JSONResponse(content, status_code=status)
        else:
            status, content, answer = await self._forward(request, token, method, body)
        if is_send(method) and status == 200 and isinstance(content, dict) and content.get("ok"):
            result = content.get("result")
            message_id = result.get("message_id") if isinstance(result, dict) else None
            delivery = Delivery(arrived, token, chat_id, method, text, message_id)
            self.ledger.add_delivery(delivery)
        record(status)
        if delay is not None:
            await self._hold(delay.seconds)
        return answer

    async def _forward(
        self, request: Request, token: str, method: str, body: bytes
    ) -> tuple[int, Any, Response]:
        """Pass the request on unchanged; return the status, the parsed JSON and the answer."""
        if self.upstream is None or self._client is None:
            answer = telegram_error(404, f"Not Found: method '{method}' is not answered directly")
            return 404, None, answer
        url = f"{self.upstream}{token}/{method}"
        if request.url.query:
            url += f"?{request.url.query}"
        headers = {k: v for k, v in request.headers.items() if k in ("content-type", "user-agent")}
        try:
            upstream = await self._client.request(
                request.method, url, content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            answer = telegram_error(502, f"Bad Gateway: {type(exc).__name__}")
            return 502, None, answer
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # stop() cut the call short: answer quietly rather than have uvicorn log a traceback
            return 502, None, telegram_error(502, "Bad Gateway: the proxy is stopping")
        try:
            content = upstream.json()
        except ValueError:
            content = None
        media_type = upstream.headers.get("content-type")
        answer = Response(upstream.content, upstream.status_code, media_type=media_type)
        return upstream.status_code, content, answer

    def _answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """Answer getMe, sendChatAction or sendMessage as Telegram would (answer_directly)."""
        digits = token.split(":", 1)[0]
        bot = {
            "id": int(digits) if digits.isdigit() else 666,
            "is_bot": True,
            "first_name": "Test First name",
            "username": "TestNameBot",
        }
        name = method.lower()
        if name == "getme":
            return 200, {"ok": True, "result": bot}
        chat_id = _chat_id(params.get("chat_id"))
        if chat_id is None:
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat_id is empty",
            }
        if name == "sendchataction":
            return 200, {"ok": True, "result": True}
        text = params.get("text")
        if not text:
            return 400, _error_body(400, "Bad Request: message text is empty")
        if isinstance(chat_id, int):
            kind = "group" if chat_id < 0 else "private"
            chat: dict[str, Any] = {"id": chat_id, "type": kind}
            chat.update({"title": "Test Group"} if chat_id < 0 else {"first_name": "TestName"})
        else:
            chat = {"id": -1001000000001, "type": "channel", "title": chat_id}
        with self._lock:
            message_id = self._next_message_id
            self._next_message_id += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": bot,
            "chat": chat,
            "date": int(time.time()),
            "text": str(text),
        }
        markup = params.get("reply_markup")
        markup = json.loads(markup) if isinstance(markup, str) else markup
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        return 200, {"ok": True, "result": message}

    async def _hold(self, seconds: float) -> None:
        """Wait `seconds`, or less if the proxy is stopping."""
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def _not_found(self, request: Request) -> Response:
        return telegram_error(404, "Not Found")


def _flood_answer(retry_after: int) -> JSONResponse:
    return telegram_error(
        429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
    )
