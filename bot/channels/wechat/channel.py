"""The WeChat Official Account channel: messages in through the callback, replies out.

WeChat POSTs each message to linli's callback and waits 5 s for the HTTP answer (the passive
reply). linli answers in the response when the dispatcher is done within the budget (~4 s);
otherwise it answers ``success`` and the reply goes out as a customer-service message from the
outbox (``bot.delivery.answer_window``). A retried callback (same MsgId, or for events the same
FromUserName+CreateTime) has no second effect and gets the same answer if it is ready.

A passive reply is one text message, so a reply's picture (a results chart drawn to a local file)
follows as a customer-service image message from the outbox. Pictures are uploaded as temporary
media once per file and their media_id reused (WeChat keeps temporary media 3 days).

wechatpy 2.0.0a26 is pinned (not 1.8.18): it mass-sends by tag and keeps the access token's
expiry in the shared session storage (Redis), so every process refreshes it in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException
from wechatpy.replies import TextReply

from bot.app import App
from bot.channels.plaintext import render, split_text, utf8_bytes
from bot.channels.wechat import web
from bot.channels.wechat.api import CLICK_PREFIX, make_client
from bot.channels.wechat.web import MAX_BODY, CallbackRejected
from bot.config import WeChatConfig
from bot.delivery.answer_window import AnswerWindow, NotNow
from bot.delivery.sender import OutcomeUnknown, PartlyDelivered, RecipientBlocked, Undeliverable
from bot.delivery.spool import Spool
from bot.files import media
from handlers.dispatcher import DatabaseDown
from handlers.types import Incoming, Media, Reply
from storage import broadcasts, nonces, outbox, residents, suggestions
from storage.engine import transaction
from storage.types import utcnow

log = logging.getLogger(__name__)

CHANNEL = "wechat"
PASSIVE_BYTES = 2048
NOT_HEARD = "没听清,请再说一遍或打字。"
UNSUPPORTED = "暂不支持这种消息。请发文字或语音告诉我,或发送“帮助”。"
WELCOME = "欢迎关注!有什么建议或需要,直接发文字或语音给我。"
KEPT_FOR_LATER = "收到了。系统正忙,稍后回复您,不用再发一遍。"
# Outbox kinds that are notices to a resident (a template message when one is configured).
NOTICE_KINDS = frozenset(
    {"staff_reply", "resolved", "closed", "broadcast", "reminder", "staff_alert", "staff_digest"}
)
# Customer-service errors that waiting will not fix: the 48-hour window closed (45015), its
# 5 messages are used up (45047), the user unfollowed (43004) or is unknown (40003).
CLOSED_WINDOW = {45015, 45047}
GONE = {43004, 40003}
TAGGING_BATCH = 50  # openids per tags/members/batchtagging call
DUPLICATE_MASS = 45065  # a mass send with this clientmsgid was made already
MEDIA_LIFETIME = timedelta(days=3)  # WeChat deletes received media after this
# How long an uploaded picture's media_id is reused: WeChat keeps temporary media 3 days.
UPLOAD_KEPT = timedelta(days=2.5)
INVALID_MEDIA = 40007  # a media_id WeChat does not know (any more)


class MassRefused(Exception):
    """WeChat would not make a mass send (no quota left, a bad tag…)."""


def safe_cdata(text: str) -> str:
    """Keep user text from ending the reply's CDATA section early."""
    return text.replace("]]>", "]] >")


class WeChatChannel:
    """Takes WeChat's callbacks, hands messages to the dispatcher, sends from the outbox."""

    name = CHANNEL

    def __init__(self, app: App, config: WeChatConfig, redis_url: str | None = None) -> None:
        """Set up the crypto (safe/compatible modes) and the API client."""
        assert config.token and config.appid
        self.app = app
        self.config = config
        self.token = config.token.get_secret_value()
        key = config.encoding_aes_key
        self.crypto = (
            WeChatCrypto(self.token, key.get_secret_value(), config.appid) if key else None
        )
        self.client = make_client(config, redis_url)
        self.window = AnswerWindow(self._send_later)
        self.spool = Spool(config.spool_dir)
        self._fetching: set[asyncio.Task[None]] = set()
        self._senders: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        self.picture_attempts = 3
        # Uploaded pictures: (path, mtime, size) → (media_id, monotonic time it is kept until).
        self._uploaded: dict[tuple[str, int, int], tuple[str, float]] = {}
        self._uploading = asyncio.Lock()
        if config.mode == "plain":
            log.warning(
                "WeChat plain mode: message bodies are not signed, so staff commands and data "
                'deletion are refused over WeChat; set [wechat] mode = "safe" (recommended)'
            )

    async def stop(self) -> None:
        """Let messages being handled finish (their answers go out through the outbox)."""
        await self.window.close()
        if self._fetching:
            await asyncio.wait(list(self._fetching), timeout=5)
        for task in list(self._fetching):
            task.cancel()

    @contextlib.asynccontextmanager
    async def _one_at_a_time(self, user: str) -> AsyncIterator[None]:
        """Handle one person's messages in order, never two at once (as on Telegram)."""
        lock, users = self._senders.setdefault(user, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._senders[user]

    # Receiving ---------------------------------------------------------------------------

    def routes(self) -> list[Any]:
        """Return the callback route the web app mounts."""
        return web.routes(self)

    def verify(self, query: dict[str, str]) -> str:
        """Answer WeChat's URL verification: the echostr, if the signature is right."""
        self._check_signature(query)
        return query.get("echostr", "")

    async def callback(self, query: dict[str, str], body: bytes) -> str:
        """Handle one POSTed message; return the passive reply (XML) or ``success``."""
        deadline = asyncio.get_running_loop().time() + self.config.reply_budget_seconds
        if len(body) > MAX_BODY:
            raise CallbackRejected(413, "body too large")
        self._check_signature(query)
        if not body.strip():
            raise CallbackRejected(400, "empty body")
        encrypted = query.get("encrypt_type") == "aes"
        xml = self._open(query, body, encrypted)
        try:
            message = parse_message(xml)
            if message is None or not message.source:
                raise ValueError("no sender")
            key = _dedupe_key(message)
        except Exception as exc:  # expat, missing fields, entities, bad ids: malformed input
            raise CallbackRejected(400, f"malformed message ({type(exc).__name__})") from exc
        await self._refuse_replays(query, key)
        # Kept on disk before it is handled: if the database is away it is handled later.
        await self.spool.put(key, xml)
        replies = await self.window.answer(key, lambda: self._handle(message, key), deadline)
        if not replies:
            return "success"
        text = safe_cdata(_as_text(replies))
        first, *rest = split_text(text, PASSIVE_BYTES, utf8_bytes)
        # Queued before answering, so they cannot be lost (and a retry queues nothing twice):
        # the rest of a long text, then the pictures (a passive reply carries one message).
        if rest:
            await self._send_later(f"{key}:rest", [Reply(part) for part in rest])
        await self._queue(key, "", _pictures(replies))
        if not first.strip():
            return "success"  # only pictures: they follow as customer-service messages
        xml = str(TextReply(source=message.target, target=message.source, content=first).render())
        if not encrypted:
            return xml
        assert self.crypto is not None
        return str(self.crypto.encrypt_message(xml, query.get("nonce", ""), query.get("timestamp")))

    def _check_signature(self, query: dict[str, str]) -> None:
        """Check WeChat's signature (in constant time) and that the request is recent."""
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        joined = "".join(sorted([self.token, timestamp, nonce]))
        expected = hashlib.sha1(joined.encode()).hexdigest()
        if not hmac.compare_digest(query.get("signature", "").encode(), expected.encode()):
            raise CallbackRejected(403, "bad signature")
        skew = self.config.max_clock_skew_seconds
        if skew and (not timestamp.isdigit() or abs(time.time() - int(timestamp)) > skew):
            # A signed query replayed from a log: its timestamp gives it away.
            raise CallbackRejected(403, "timestamp too far from now")

    async def _refuse_replays(self, query: dict[str, str], key: str) -> None:
        """Accept each signed (timestamp, nonce) once, for one message, in every process.

        A query string copied from a log is otherwise good for minutes with any body. If the
        record cannot be written (the database is down) plain mode refuses, since nothing
        else vouches for the body; safe mode's body is signed, and its MsgId is checked later.
        """
        try:
            async with transaction(self.app.maker) as session:
                fresh = await nonces.fresh(
                    session,
                    CHANNEL,
                    query.get("timestamp", ""),
                    query.get("nonce", ""),
                    key,
                    utcnow(),
                )
        except Exception as exc:
            if self.config.mode == "plain":
                raise CallbackRejected(503, "cannot record the nonce") from exc
            return
        if not fresh:
            raise CallbackRejected(403, "replayed timestamp and nonce")

    def _open(self, query: dict[str, str], body: bytes, encrypted: bool) -> str:
        """Return the message XML, decrypted in safe/compatible mode."""
        if not encrypted:
            # In compatible mode WeChat encrypts too: a plaintext body there is a downgrade.
            if self.config.mode != "plain":
                raise CallbackRejected(403, f"plaintext message in {self.config.mode} mode")
            return body.decode("utf-8", errors="replace")
        if self.crypto is None:
            raise CallbackRejected(400, "encrypted message but no encoding_aes_key")
        try:
            opened = self.crypto.decrypt_message(
                body, query.get("msg_signature", ""), query["timestamp"], query["nonce"]
            )
        except InvalidSignatureException as exc:
            raise CallbackRejected(403, "bad msg_signature") from exc
        except Exception as exc:  # wrong appid, bad padding, no <Encrypt>, malformed XML
            raise CallbackRejected(400, f"cannot decrypt ({type(exc).__name__})") from exc
        return str(opened)

    async def _handle(self, message: Any, key: str) -> list[Reply]:
        """Handle one message, after any earlier one of the same person.

        If the database is away the message stays in the spool, the sender hears it was
        received, and it is handled when the database is back (``recover``).
        """
        async with self._one_at_a_time(str(message.source)):
            try:
                replies = await self._dispatch(message, key)
            except DatabaseDown:
                log.warning("database away: WeChat message %s kept for later", key)
                raise NotNow([Reply(KEPT_FOR_LATER)]) from None
        await self.spool.done(key)
        return replies

    async def recover(self, older_than: float = 10.0) -> int:
        """Handle messages kept while the database was away; return how many were handled.

        Their answers go out as customer-service messages.
        """
        handled = 0
        for key, xml in await self.spool.waiting(older_than):
            if key in self.window.busy_keys():
                continue  # being handled right now
            try:
                message = parse_message(xml)
            except Exception:
                log.exception("kept WeChat message %s cannot be read; dropped", key)
                await self.spool.done(key)
                continue
            try:
                async with self._one_at_a_time(str(message.source)):
                    replies = await self._dispatch(message, key)
            except DatabaseDown:
                return handled  # still away: try again next time
            if replies:
                await self._send_later(key, replies)
            await self.spool.done(key)
            handled += 1
        return handled

    async def recover_forever(self, stop: asyncio.Event, every: float = 15.0) -> None:
        """Run ``recover`` now and then until ``stop``."""
        while not stop.is_set():
            try:
                await self.recover()
            except Exception:
                log.exception("recovering kept WeChat messages failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    async def _dispatch(self, message: Any, key: str) -> list[Reply]:
        """Turn a WeChat message into an Incoming and let the dispatcher answer it."""
        user = str(message.source)
        kind = message.type
        event = getattr(message, "event", "")
        base: dict[str, Any] = {
            "message_id": key,
            "sender_verified": self.config.mode != "plain",
        }
        lead: list[Reply] = []
        if kind == "text":
            incoming = Incoming(CHANNEL, user, message.content or "", **base)
        elif kind == "voice":
            heard = (message.recognition or "").strip()
            if not heard:
                return [Reply(NOT_HEARD)]
            incoming = Incoming(CHANNEL, user, heard, **base)
        elif kind == "image":
            self._keep_picture(str(message.media_id))
            media = (Media("photo", str(message.media_id), "image/jpeg"),)
            incoming = Incoming(CHANNEL, user, "", media=media, **base)
        elif kind == "location":
            place = (float(message.location_x), float(message.location_y))
            incoming = Incoming(CHANNEL, user, "", location=place, **base)
        elif kind == "event" and event in ("subscribe", "subscribe_scan", "scan"):
            await self._set_active(user, True)
            scene = getattr(message, "scene_id", None) or None
            lead = [Reply(WELCOME)] if event != "scan" else []
            incoming = Incoming(CHANNEL, user, "/start", start_payload=scene, **base)
        elif kind == "event" and event == "unsubscribe":
            await self._set_active(user, False)
            return []
        elif kind == "event" and event == "click":
            command = str(message.key or "")
            text = command[len(CLICK_PREFIX) :] if command.startswith(CLICK_PREFIX) else "帮助"
            incoming = Incoming(CHANNEL, user, text, **base)
        elif kind == "event" and event == "masssendjobfinish":
            await self._mass_finished(message)
            return []
        elif kind == "event":
            return []  # menu links, location reports, template receipts: nothing to say
        else:
            return [Reply(UNSUPPORTED)]
        return lead + await self.app.dispatcher.handle(incoming, database_errors=True)

    async def _mass_finished(self, message: Any) -> None:
        """Keep WeChat's final counts of a mass send with its broadcast's report."""
        counts = {
            "status": str(message.status or ""),
            "total": int(message.total_count or 0),
            "filtered": int(message.filter_count or 0),
            "sent": int(message.sent_count or 0),
            "errors": int(message.error_count or 0),
        }
        async with transaction(self.app.maker) as session:
            await broadcasts.record_mass_result(session, str(message.id), counts)

    async def _send_later(self, key: str, replies: list[Reply]) -> None:
        """Queue answers as one customer-service message (a retried callback queues nothing).

        One row for the text, not one per reply: ``send`` splits it and keeps the order, and
        every customer-service message counts against WeChat's 5 per user message. Each
        picture that is a local file follows as its own row.
        """
        await self._queue(key, _as_text(replies), _pictures(replies))

    async def _queue(self, key: str, text: str, pictures: list[str]) -> None:
        """Queue a text (if any) and then each picture, with dedupe keys derived from ``key``."""
        recipient = key.split(":", 1)[0]  # keys start with the sender's openid
        rows = [(f"wechat:{key}", Reply(text))] if text.strip() else []
        rows += [
            (f"wechat:{key}:picture{n}", Reply("", image=path))
            for n, path in enumerate(pictures, 1)
        ]
        if not rows:
            return
        async with transaction(self.app.maker) as session:
            for dedupe_key, reply in rows:
                await outbox.enqueue(
                    session,
                    channel=CHANNEL,
                    recipient=recipient,
                    kind="reply",
                    payload=reply.to_dict(),
                    dedupe_key=dedupe_key,
                )

    async def _set_active(self, user: str, active: bool) -> None:
        async with transaction(self.app.maker) as session:
            resident = await residents.find_by_account(session, CHANNEL, user)
            if resident is not None:
                await residents.set_active(session, resident.id, active)

    def _keep_picture(self, media_id: str) -> None:
        """Fetch a picture in the background: WeChat deletes received media after 3 days."""
        task = asyncio.create_task(self._fetch_picture(media_id))
        self._fetching.add(task)
        task.add_done_callback(self._fetching.discard)

    async def fetch_missing_pictures(self) -> int:
        """Fetch pictures attached in the last 3 days that are not kept yet; return how many.

        Run by the scheduler: a picture whose first fetch failed (WeChat away, a restart)
        is fetched while WeChat still has it.
        """
        since = utcnow() - MEDIA_LIFETIME
        async with self.app.read_maker() as session:
            refs = await suggestions.recent_photo_refs(session, CHANNEL, since)
        unique = dict.fromkeys(refs)
        missing = [ref for ref in unique if not picture_path(self.config, ref).exists()]
        for ref in missing:
            await self._fetch_picture(ref)
        return len(missing)

    async def _fetch_picture(self, media_id: str) -> None:
        target = picture_path(self.config, media_id)
        for attempt in range(self.picture_attempts):
            try:
                response = await asyncio.to_thread(
                    self.client.call, self.client.media.download, media_id
                )
                content = getattr(response, "content", None)
                if not content:
                    raise ValueError(f"no picture in the answer: {response!r}"[:200])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                return
            except WeChatClientException as exc:
                log.warning("WeChat refused picture %s: %s", media_id, exc)
                if exc.errcode == 40007:  # expired or unknown: asking again will not help
                    return
                await asyncio.sleep(2**attempt)
            except Exception as exc:
                log.warning("fetching WeChat picture %s failed: %s", media_id, exc)
                await asyncio.sleep(2**attempt)

    # Sending -----------------------------------------------------------------------------

    async def send(self, recipient: str, reply: Reply, kind: str = "") -> str | None:
        """Send an outbox message: a template notice if configured, else customer-service.

        A template notice is text only. A customer-service message sends the reply's picture
        first, if it is a local file (uploaded once, its media_id reused), then the text. A
        picture that is not a local file (a URL, a Telegram file_id) is left out: text only.
        """
        text = safe_cdata(render(reply, pictures=False, kind=kind))
        if kind in NOTICE_KINDS and self.config.notice_template_id:
            data = {self.config.notice_template_field: {"value": text}}
            await self._api(
                self.client.message.send_template, recipient, self.config.notice_template_id, data
            )
            return None
        picture = local_picture(reply.image)
        parts = split_text(text, PASSIVE_BYTES, utf8_bytes) if text.strip() else []
        if picture is None and not parts:
            raise Undeliverable(f"nothing to send on WeChat (picture {reply.image!r})")
        sent = False
        try:
            if picture is not None:
                await self._send_picture(recipient, picture)
                sent = True
            while parts:
                await self._api(self.client.message.send_text, recipient, parts[0])
                parts.pop(0)
                sent = True
        except Exception as exc:
            if not sent:
                raise
            raise PartlyDelivered(exc, Reply("\n".join(parts))) from exc
        return None

    async def _send_picture(self, recipient: str, picture: Path) -> None:
        """Send a local picture as an image message (uploading it unless done lately)."""
        media_id = await self._media_id(picture)
        try:
            await self._api(self.client.message.send_image, recipient, media_id)
        except WeChatClientException as exc:
            if exc.errcode != INVALID_MEDIA:
                raise
            # WeChat forgot the picture sooner than expected: upload it once more.
            media_id = await self._media_id(picture, stale=media_id)
            await self._api(self.client.message.send_image, recipient, media_id)

    async def _media_id(self, picture: Path, stale: str | None = None) -> str:
        """Return a media_id for the picture: uploaded before and still kept, or uploaded now.

        One upload at a time, so a chart sent to hundreds of residents is uploaded once.
        ``stale`` is a media_id WeChat refused: it is replaced, once, however many ask.
        """
        key = _file_key(picture)
        async with self._uploading:
            now = time.monotonic()
            cached = self._uploaded.get(key)
            if cached is not None and cached[1] > now and cached[0] != stale:
                return cached[0]
            media_id = await asyncio.to_thread(self._upload, picture)
            self._uploaded = {k: v for k, v in self._uploaded.items() if v[1] > now}
            self._uploaded[key] = (media_id, now + UPLOAD_KEPT.total_seconds())
            return media_id

    def _upload(self, picture: Path) -> str:
        """Upload a picture as temporary media; return its media_id."""
        # Bytes, not an open file: a retry after a token refresh sends them again whole.
        media = (picture.name, picture.read_bytes(), _mime(picture))
        result = self.client.call(self.client.media.upload, "image", media)
        media_id = result.get("media_id") if isinstance(result, dict) else None
        if not media_id:
            raise ValueError(f"no media_id in WeChat's answer: {result!r}"[:200])
        return str(media_id)

    async def mass_send(self, tag: str, openids: list[str], text: str, client_id: str) -> str:
        """Send ``text`` to exactly ``openids`` as one mass send by the WeChat tag ``tag``.

        The tag is created if missing and its members made exactly ``openids`` first.
        ``client_id`` makes a repeat harmless: WeChat refuses a second send with it (45065),
        which counts as sent. Returns WeChat's msg_id ("" for such a repeat); raises
        MassRefused when WeChat will not send it (no quota left, a bad tag…).
        """
        try:
            return await asyncio.to_thread(self._mass_send, tag, openids, text, client_id)
        except WeChatClientException as exc:
            raise MassRefused(f"{exc.errcode} {exc.errmsg}") from exc

    def _mass_send(self, tag: str, openids: list[str], text: str, client_id: str) -> str:
        client = self.client
        found = [t["id"] for t in client.call(client.tag.get) if t["name"] == tag]
        tag_id = found[0] if found else client.call(client.tag.create, tag)["id"]
        wanted = set(openids)
        current = client.call(lambda: set(client.tag.iter_tag_users(tag_id)))
        for method, change in ((client.tag.tag_user, wanted - current),
                               (client.tag.untag_user, current - wanted)):  # fmt: skip
            ordered = sorted(change)
            for start in range(0, len(ordered), TAGGING_BATCH):
                client.call(method, tag_id, ordered[start : start + TAGGING_BATCH])
        try:
            sent = client.call(client.message.send_mass_text, text, tag_id, client_msg_id=client_id)
        except WeChatClientException as exc:
            if exc.errcode == DUPLICATE_MASS:
                return ""  # sent before under the same client id
            raise
        except requests.ReadTimeout:
            return ""  # asked, no answer: most likely sent (and a retry would be refused)
        return str(sent.get("msg_id", ""))

    async def _api(self, method: Any, *args: Any) -> Any:
        """Call WeChat off the event loop (wechatpy is synchronous); translate its errors."""
        try:
            return await asyncio.to_thread(self.client.call, method, *args)
        except WeChatClientException as exc:
            if exc.errcode in CLOSED_WINDOW:
                raise Undeliverable(f"{exc.errcode} {exc.errmsg}") from exc
            if exc.errcode in GONE:
                raise RecipientBlocked(f"{exc.errcode} {exc.errmsg}") from exc
            raise
        except requests.ReadTimeout as exc:
            # Sent, but no answer: it may have arrived. (A connect timeout sent nothing and
            # is retried like any network error.)
            raise OutcomeUnknown(str(exc)) from exc


def local_picture(image: str | None) -> Path | None:
    """Return a reply's picture as a local file, or None (none, a URL, another platform's id)."""
    if not image or "://" in image:
        return None
    path = Path(image)
    try:
        return path if path.is_file() else None
    except (OSError, ValueError):  # a name no file system takes (too long, a NUL byte)
        return None


def _pictures(replies: list[Reply]) -> list[str]:
    """Return the replies' pictures that are local files, in order."""
    return [str(r.image) for r in replies if local_picture(r.image) is not None]


def _as_text(replies: list[Reply]) -> str:
    """Return replies as one text, without their pictures (sent as pictures themselves)."""
    rendered = (render(reply, pictures=False) for reply in replies)
    return "\n\n".join(text for text in rendered if text.strip())


def _file_key(picture: Path) -> tuple[str, int, int]:
    """Return what identifies a picture's content: its path, modification time and size."""
    found = picture.stat()
    return str(picture.resolve()), found.st_mtime_ns, found.st_size


def _mime(picture: Path) -> str:
    suffix = picture.suffix.lower()
    return {".png": "image/png", ".gif": "image/gif", ".bmp": "image/bmp"}.get(suffix, "image/jpeg")


def picture_path(config: WeChatConfig, media_id: str) -> Path:
    """Return where a picture a resident sent is kept."""
    return media.picture_path(config.media_dir, CHANNEL, media_id)


def _dedupe_key(message: Any) -> str:
    """Return ``openid:m<MsgId>``; events have no MsgId (it is 0): they go by their time."""
    if message.id:
        return f"{message.source}:m{message.id}"
    event = getattr(message, "event", "")
    event_key = getattr(message, "key", None) or getattr(message, "scene_id", None) or ""
    key = f"{message.source}:e{int(message.time)}:{event}:{event_key}"
    return key if len(key) <= 120 else key[:80] + hashlib.sha1(key.encode()).hexdigest()[:40]
