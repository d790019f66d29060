"""The Telegram channel: python-telegram-bot is imported here and nowhere else.

Updates are stored before they are acted on (``storage.inbound``): in polling mode linli runs
its own ``getUpdates`` loop — store the batch, then advance the offset, then hand it to the
per-chat workers of ``bot.delivery.inbox`` — so a crash between receipt and processing loses
nothing and a redelivered update has no second effect (the dispatcher answers it from its record).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.app import App
from bot.channels import plaintext
from bot.channels.telegram import web
from bot.channels.telegram.web import webhook_path, webhook_secret
from bot.config import TelegramConfig
from bot.delivery.inbox import Inbox
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.sender import (
    OutcomeUnknown,
    PartlyDelivered,
    RecipientBlocked,
    RetryLater,
    Undeliverable,
)
from handlers.types import Incoming, Media, Reply
from storage import inbound, residents
from storage import staff as staff_store
from storage.broadcasts import KIND as BROADCAST_KIND
from storage.engine import transaction

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
LONG_PAYLOAD = "k:"
UPDATE_TYPES = ["message", "callback_query", "my_chat_member"]

RESIDENT_COMMANDS = [
    ("help", "帮助:我能做什么"),
    ("mine", "我的建议"),
    ("events", "社区活动"),
    ("signups", "我的报名"),
    ("polls", "问卷和投票"),
    ("human", "转人工"),
    ("phone", "留电话(自愿)"),
    ("forget", "删除我的信息"),
]
STAFF_COMMANDS = [
    *RESIDENT_COMMANDS,
    ("open", "待处理建议"),
    ("show", "建议详情:/show 编号"),
    ("reply", "回复居民:/reply 编号 内容"),
    ("resolve", "标记解决:/resolve 编号"),
    ("stats", "按分类统计"),
    ("handoffs", "人工会话"),
    ("community", "切换社区"),
    ("newevent", "新建活动"),
    ("eventlist", "活动管理"),
    ("newpoll", "发起问卷"),
    ("polllist", "问卷管理"),
]


def _fits_caption(text: str) -> bool:
    """Tell whether a text fits under a photo (captions hold 1024 UTF-16 units, not 4096)."""
    return 0 < plaintext.utf16_units(text) <= MAX_CAPTION


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a long text into messages within Telegram's limit (UTF-16 units), at line breaks."""
    return plaintext.split_text(text, limit, plaintext.utf16_units)


def to_incoming(update: Update, button: str | None = None) -> Incoming | None:
    """Turn an update into linli's neutral message (None for updates linli ignores)."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        return None  # linli talks to people one to one; never answer into a group
    message_id = f"u{update.update_id}"
    name = user.full_name or user.username
    if update.callback_query is not None:
        return Incoming(
            CHANNEL, str(user.id), "", message_id=message_id, button=button, display_name=name
        )
    message = update.message  # edits are ignored: a corrected typo is not a new suggestion
    if message is None:
        return None
    text = message.text or message.caption or ""
    payload = None
    if text.startswith("/start"):
        _, _, payload = text.partition(" ")
        payload = payload.strip() or None
    media: list[Media] = []
    if message.photo:
        media.append(Media("photo", message.photo[-1].file_id))
    if message.voice:
        media.append(Media("voice", message.voice.file_id, message.voice.mime_type))
    if message.audio:
        media.append(Media("audio", message.audio.file_id, message.audio.mime_type))
    location = (message.location.latitude, message.location.longitude) if message.location else None
    contact = message.contact
    phone = contact.phone_number if contact else None
    # A contact card may be anyone's: only the sender's own number may be kept as theirs.
    own = contact is None or contact.user_id == user.id
    return Incoming(
        CHANNEL,
        str(user.id),
        text,
        message_id=message_id,
        display_name=name,
        media=tuple(media),
        location=location,
        contact_phone=phone,
        contact_is_own=own,
        start_payload=payload,
    )


def sender_of(payload: dict[str, Any]) -> str | None:
    """Return who sent an update (in a private chat, also the chat: its updates run in order)."""
    for key in ("message", "edited_message", "callback_query", "my_chat_member"):
        if key in payload:
            sender = payload[key].get("from", {}).get("id")
            return None if sender is None else str(sender)
    return None


# Network errors that mean the request never reached Telegram.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _photo(image: str) -> Any:
    """Return a local picture as a file to upload; a URL or Telegram file_id as it is."""
    if not image.startswith(("http://", "https://")) and Path(image).is_file():
        return Path(image).read_bytes()
    return image


def retry_after_seconds(error: RetryAfter) -> float:
    """Return a RetryAfter's wait in seconds (PTB gives an int or a timedelta)."""
    value: Any = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def bot_username(config: TelegramConfig) -> str:
    """Ask Telegram for the bot's @username (for deep links)."""
    from telegram import Bot

    token = config.token.get_secret_value() if config.token else ""
    bot = Bot(token, base_url=config.base_url or "https://api.telegram.org/bot")
    async with bot:
        return (await bot.get_me()).username or ""


class TelegramChannel:
    """Receives updates (polling), hands them to the dispatcher, renders replies."""

    name = CHANNEL

    def __init__(self, app: App, config: TelegramConfig) -> None:
        """Build the PTB application (without PTB's own Updater: linli polls itself)."""
        if not config.token:
            raise ValueError("the Telegram channel needs [telegram] token")
        self.app = app
        self.config = config
        self.token: str = config.token.get_secret_value()
        builder = Application.builder().token(self.token).updater(None)
        if config.base_url:
            builder = builder.base_url(config.base_url).base_file_url(config.base_url)
        self.application = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.limiter = RateLimiter(config.rate_per_second, config.rate_per_chat)
        self._offset: int | None = None
        self._photo_ids: dict[str, str] = {}  # a picture's path or URL → Telegram's file_id
        self.inbox = Inbox(
            app.maker,
            app.read_maker,
            CHANNEL,
            self._process_one,
            sender_of,
            concurrency=config.concurrency,
        )

    @property
    def bot(self) -> Any:
        """Return the PTB bot."""
        return self.application.bot

    async def start(self) -> None:
        """Initialise the bot and publish the command menus."""
        await self.application.initialize()
        await self.application.start()
        await self.publish_commands()

    async def stop(self) -> None:
        """Shut the bot down (updates still being handled stay stored for the next start)."""
        await self.inbox.close()
        await self.application.stop()
        await self.application.shutdown()

    async def publish_commands(self) -> None:
        """Set the short menu for everyone and the fuller one for each staff chat."""
        await self.bot.set_my_commands([BotCommand(c, d) for c, d in RESIDENT_COMMANDS])
        staff_ids = {
            account.partition(":")[2]
            for account in self.app.config.staff.operators
            if account.startswith(CHANNEL + ":")
        }
        async with self.app.read_maker() as session:
            staff_ids |= set(await staff_store.accounts_on(session, CHANNEL))
        for chat_id in sorted(staff_ids):
            try:
                await self.bot.set_my_commands(
                    [BotCommand(c, d) for c, d in STAFF_COMMANDS],
                    scope=BotCommandScopeChat(int(chat_id)),
                )
            except (BadRequest, Forbidden) as exc:  # a staff member who never opened the bot
                log.warning("cannot set staff commands for %s: %s", chat_id, exc)

    # Receiving ---------------------------------------------------------------------------

    async def poll_once(self, wait_seconds: int = 10) -> int:
        """Fetch one batch, store it, confirm it, queue it for handling; return batch size."""
        await self.inbox.room()
        updates = await self.bot.get_updates(
            offset=self._offset, timeout=wait_seconds, allowed_updates=UPDATE_TYPES
        )
        if updates:
            batch = [(str(u.update_id), u.to_dict()) for u in updates]
            async with transaction(self.app.maker) as session:
                for update_id, payload in batch:
                    await inbound.store(session, CHANNEL, update_id, payload, sender_of(payload))
            # The next getUpdates with this offset tells Telegram the batch is safe here.
            self._offset = updates[-1].update_id + 1
            for update_id, payload in batch:
                self.inbox.submit(update_id, payload)
        return len(updates)

    async def poll_forever(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set; network trouble waits and tries again."""
        delay = 1.0
        while not stop.is_set():
            try:
                polling = asyncio.ensure_future(self.poll_once(self.config.poll_timeout))
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not polling.done():
                    # Stopping mid long-poll: nothing fetched in this call was stored, and
                    # its offset was never confirmed, so Telegram delivers it again later.
                    polling.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await polling
                    break
                stopping.cancel()
                polling.result()
                delay = 1.0
            except RetryAfter as exc:
                await asyncio.sleep(retry_after_seconds(exc))
            except Exception as exc:  # network, Conflict, database: wait and go on
                log.warning("telegram polling failed (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60)

    def readable(self, payload: dict[str, Any]) -> bool:
        """Tell whether an update is one python-telegram-bot can read (else: 400, not stored)."""
        try:
            Update.de_json(payload, self.bot)
        except Exception:
            return False
        return True

    async def receive(self, payload: dict[str, Any]) -> bool:
        """Store a webhook update (before answering Telegram) and queue it; False if known."""
        update_id = str(payload.get("update_id"))
        async with transaction(self.app.maker) as session:
            fresh = await inbound.store(session, CHANNEL, update_id, payload, sender_of(payload))
        if fresh:
            self.inbox.submit(update_id, payload)
        return fresh

    async def _process_one(self, update_id: str, payload: dict[str, Any]) -> bool:
        """Handle one stored update; False if it should be tried again later."""
        try:
            await self._on_update(Update.de_json(payload, self.bot), None)
        except (NetworkError, TimedOut, RetryAfter) as exc:
            log.warning("telegram update %s not finished (%s); will retry", update_id, exc)
            return False
        except Exception:  # a malformed update or a bug: retrying would fail the same way
            log.exception("telegram update %s failed", update_id)
        return True

    def routes(self) -> list[Any]:
        """Return the webhook route the web app mounts."""
        return web.routes(self)

    async def set_webhook(self, public_url: str) -> None:
        """Point Telegram at linli's webhook (pending updates are kept, never dropped)."""
        await self.bot.set_webhook(
            url=public_url.rstrip("/") + webhook_path(self.token),
            secret_token=webhook_secret(self.token),
            allowed_updates=UPDATE_TYPES,
        )

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE | None) -> None:
        if update.my_chat_member is not None:
            await self._membership(update)
            return
        query = update.callback_query
        button = None
        if query is not None:
            # Always answer, even for a stale button, or the user's client keeps spinning.
            # A query that is too old to answer must still be acted on.
            with contextlib.suppress(BadRequest):
                await self._call(
                    self.bot.answer_callback_query, query.id, chat=str(query.from_user.id)
                )
            button = await self._resolve_button(query.data or "")
        incoming = to_incoming(update, button)
        if incoming is None:
            return
        replies = await self.app.dispatcher.handle(incoming)
        chat = update.effective_chat
        if chat is None:
            return
        accepted = not any(reply.refuses_button for reply in replies)
        if query is not None and query.message is not None and accepted:
            with contextlib.suppress(BadRequest, Forbidden):
                await self._show_choice(query)
        try:
            try:
                for reply in replies:
                    await self.deliver(str(chat.id), reply)
            except PartlyDelivered as partly:
                # Answers are re-sent whole from the dispatcher's record when retried.
                raise partly.cause from partly
        except Forbidden:
            await self._set_active(str(chat.id), False)  # blocked us: nothing to retry
        except BadRequest as exc:
            log.warning("telegram refused a reply to %s: %s", chat.id, exc)

    async def _membership(self, update: Update) -> None:
        member = update.my_chat_member
        if member is None or member.from_user is None:
            return
        if member.chat.type != "private":
            return  # the bot leaving a group says nothing about the person
        active = member.new_chat_member.status not in ("kicked", "left")
        await self._set_active(str(member.from_user.id), active)

    async def _set_active(self, user_id: str, active: bool) -> None:
        async with transaction(self.app.maker) as session:
            resident = await residents.find_by_account(session, CHANNEL, user_id)
            if resident is not None:
                await residents.set_active(session, resident.id, active)

    async def _resolve_button(self, data: str) -> str:
        if not data.startswith(LONG_PAYLOAD):
            return data
        async with self.app.read_maker() as session:
            return await inbound.payload_of(session, data[len(LONG_PAYLOAD) :]) or data

    async def _show_choice(self, query: Any) -> None:
        """Edit the prompt to show what was chosen, and remove its keyboard."""
        message = query.message
        label = next(
            (
                b.text
                for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
                for b in row
                if b.callback_data == query.data
            ),
            None,
        )
        if label is None or not getattr(message, "text", None):
            return
        text = split_text(f"{message.text}\n\n✅ {label}")[0]
        try:
            await self._call(
                self.bot.edit_message_text,
                text,
                chat=str(message.chat.id),
                chat_id=message.chat.id,
                message_id=message.message_id,
                reply_markup=None,
            )
        except BadRequest as exc:  # e.g. the message is too old to edit
            log.info("could not edit the prompt: %s", exc)

    # Sending -----------------------------------------------------------------------------

    async def _markup(self, reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
        if not reply.buttons:
            return None
        if any(b.kind.startswith("request_") for row in reply.buttons for b in row):
            # Sharing a contact or a location needs a reply keyboard (inline ones cannot);
            # its other buttons send their label, which the dispatcher reads as the choice.
            keys = [
                [
                    KeyboardButton(
                        b.label,
                        request_contact=b.kind == "request_contact" or None,
                        request_location=b.kind == "request_location" or None,
                    )
                    for b in row
                ]
                for row in reply.buttons
            ]
            return ReplyKeyboardMarkup(keys, one_time_keyboard=True, resize_keyboard=True)
        rows = []
        for row in reply.buttons:
            cells = []
            for button in row:
                if button.kind == "url" and button.url:
                    cells.append(InlineKeyboardButton(button.label, url=button.url))
                    continue
                data = button.data
                if len(data.encode()) > MAX_CALLBACK_BYTES:
                    async with transaction(self.app.maker) as session:
                        data = LONG_PAYLOAD + await inbound.keep_payload(session, data)
                cells.append(InlineKeyboardButton(button.label, callback_data=data))
            rows.append(cells)
        return InlineKeyboardMarkup(rows)

    async def _call(self, method: Any, *args: Any, chat: str | None = None, **kwargs: Any) -> Any:
        """Call the Bot API within the rate limits, waiting out one 429 and trying again."""
        for attempt in (1, 2):
            await self.limiter.acquire(chat or "-")
            try:
                return await method(*args, **kwargs)
            except RetryAfter as exc:
                self.limiter.pause(retry_after_seconds(exc))
                if attempt == 2:
                    raise
        return None

    def share_rate(self, senders: int) -> None:
        """Take this process's share of the bot's rate when ``senders`` workers send."""
        self.limiter.set_rate(self.config.rate_per_second / max(1, senders))

    async def deliver(self, chat_id: str, reply: Reply, paid: bool = False) -> str | None:
        """Send one reply to a chat (text split at 4096; image as a photo).

        If a later part fails after earlier ones went out, raises PartlyDelivered with the
        rest, so that a retry does not repeat what the resident already has.
        """
        markup = await self._markup(reply)
        parts = split_text(reply.text)
        sent = None
        image = reply.image
        # Broadcasts above 30 messages/s need Telegram's paid broadcasts, when allowed.
        extra = {"allow_paid_broadcast": True} if paid else {}
        # A short text goes with its picture as the caption (a chart under its title).
        caption = parts.pop() if image and len(parts) == 1 and _fits_caption(parts[0]) else None
        try:
            if image:
                sent = await self._call(
                    self.bot.send_photo,
                    chat_id,
                    self._photo_ids.get(image) or _photo(image),
                    chat=chat_id,
                    caption=caption,
                    reply_markup=markup if caption is not None else None,
                    **extra,
                )
                if sent is not None and sent.photo:  # upload a picture once, then reuse it
                    self._photo_ids[image] = sent.photo[-1].file_id
                image = None
            while parts:
                sent = await self._call(
                    self.bot.send_message,
                    chat_id,
                    parts[0],
                    chat=chat_id,
                    reply_markup=markup if len(parts) == 1 else None,
                    **extra,
                )
                parts.pop(0)
        except Exception as exc:
            if sent is None:
                raise
            rest = Reply("\n".join(parts), reply.buttons, image, reply.edit_message_id)
            raise PartlyDelivered(exc, rest) from exc
        return str(sent.message_id) if sent is not None else None

    async def send(self, recipient: str, reply: Reply, kind: str = "") -> str | None:
        """Deliver an outbox message, translating Telegram's errors for the sender."""
        paid = kind == BROADCAST_KIND and self.config.allow_paid_broadcast
        try:
            return await self.deliver(recipient, reply, paid)
        except PartlyDelivered as partly:
            raise PartlyDelivered(self._translate(partly.cause), partly.remaining) from partly
        except Exception as exc:
            raise self._translate(exc) from exc

    @staticmethod
    def _translate(exc: Exception) -> Exception:
        """Map Telegram's errors onto what the outbox sender understands."""
        if isinstance(exc, Forbidden):
            return RecipientBlocked(str(exc))
        if isinstance(exc, RetryAfter):
            return RetryLater(retry_after_seconds(exc))
        if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
            if isinstance(exc.__cause__, NOT_SENT):
                return exc  # never left: an ordinary failure, retried with growing pauses
            # Timed out, or the connection broke after the request left: it may have arrived.
            return OutcomeUnknown(str(exc))
        if isinstance(exc, BadRequest):  # "chat not found", a bad file id: retrying won't help
            return Undeliverable(str(exc))
        return exc
