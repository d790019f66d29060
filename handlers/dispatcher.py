"""The dispatcher: one transaction per message, replays answered from the record, routing."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import texts
from handlers.context import Choice, Context, Settings
from handlers.router import Command, Handler, Router
from handlers.types import Incoming, Reply
from nlp.intents import understand
from storage import communities, processed, residents
from storage import staff as staff_store
from storage.engine import transaction
from storage.types import utcnow

log = logging.getLogger(__name__)

# Not an nlp intent: a photo, voice note or location sent without words.
MEDIA_ONLY = "media_only"
# Not an nlp intent: a contact card shared without words (handlers/phone.py).
CONTACT_SHARED = "contact_shared"
LEAVE_WORDS = frozenset({"0", "返回", "退出", "/cancel"})
_DIGITS = re.compile(r"^\s*(\d{1,2})\s*$")
# Messages with no letters, digits or CJK characters at all (emoji, punctuation).
_MEANINGLESS = re.compile(r"^[\W_]*$")


class Dispatcher:
    """Turns each Incoming into Replies through the routers, inside one DB transaction."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        routers: Iterable[Router],
        settings: Settings | None = None,
    ) -> None:
        """Collect the routers' entry points (later routers may not override earlier ones)."""
        self.maker = maker
        self.settings = settings or Settings()
        self.commands: dict[str, Command] = {}
        self.intents: dict[str, Handler] = {}
        self.states: dict[str, Handler] = {}
        self.buttons: dict[str, Handler] = {}
        self.leaves: dict[str, Handler] = {}
        self.payloads: dict[str, Handler] = {}
        self.phrases: dict[str, Handler] = {}
        for router in routers:
            for table, entries in (
                (self.commands, router.commands),
                (self.intents, router.intents),
                (self.states, router.states),
                (self.buttons, router.buttons),
                (self.leaves, router.leaves),
                (self.payloads, router.payloads),
                (self.phrases, router.phrases),
            ):
                clash = set(table) & set(entries)
                if clash:
                    raise ValueError(f"router {router.name} registers {sorted(clash)} again")
                table.update(entries)  # type: ignore[arg-type]
        self._phrases = [(re.compile(p), h) for p, h in self.phrases.items()]
        self._command_names = frozenset(self.commands)

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Handle one message and return its replies; never raises to the channel."""
        try:
            return await self._handle(incoming)
        except Exception:
            log.exception(
                "failed to handle a %s message from %s", incoming.channel, incoming.user_id
            )
            return [Reply(texts.SORRY)]

    async def _handle(self, incoming: Incoming) -> list[Reply]:
        try:
            async with transaction(self.maker) as session:
                ctx = await self._context(session, incoming)
                replies = ctx.replies_prefix + (await self._route(ctx) or [])
                if incoming.message_id is not None and ctx.record_message:
                    # Recorded last, in the same transaction: a replay fails here and
                    # everything it did is rolled back (handlers have no other effects).
                    await processed.record(
                        session,
                        incoming.channel,
                        incoming.message_id,
                        incoming.user_id,
                        [r.to_dict() for r in replies],
                    )
                return replies
        except IntegrityError:
            if incoming.message_id is None:
                raise
            async with transaction(self.maker) as session:
                raw = await processed.replies_of(session, incoming.channel, incoming.message_id)
            if raw is None:
                raise
            return [Reply.from_dict(r) for r in raw]

    async def _context(self, session: AsyncSession, incoming: Incoming) -> Context:
        # The time the message arrived is what counts (an order confirmed before a cut-off
        # counts even if it waited a moment), never a time in the future.
        now = min(incoming.received_at, utcnow())
        # NUL is the one character PostgreSQL cannot store in text.
        text = incoming.text.replace("\x00", "").strip()
        limit = self.settings.max_text_chars
        ctx = Context(
            session=session,
            incoming=incoming,
            settings=self.settings,
            now=now,
            command_names=self._command_names,
        )
        if len(text) > limit:
            text, ctx.truncated = text[:limit], True
        ctx.text = text
        speaker = await residents.load_speaker(session, incoming.channel, incoming.user_id, now)
        if speaker is None or speaker.has_staff_grant or self.settings.operators:
            ctx.staff_scope = await staff_store.scope_of(
                session, incoming.channel, incoming.user_id, self.settings.operators
            )
        if ctx.staff_scope is not None:
            ctx.staff_community_id = await staff_store.current_community(
                session, incoming.channel, incoming.user_id
            )
        if speaker is None:
            name = (incoming.display_name or "").replace("\x00", "").strip()[:100] or None
            ctx.resident = await residents.create(
                session, incoming.channel, incoming.user_id, display_name=name
            )
        else:
            ctx.resident, ctx.community, ctx.state = (
                speaker.resident,
                speaker.community,
                speaker.state,
            )
        if ctx.resident.privacy_noticed_at is None:
            ctx.resident.privacy_noticed_at = now
            ctx.replies_prefix.append(Reply(texts.PRIVACY_NOTICE))
        if ctx.resident.community_id is None and ctx.staff_scope is not None:
            # Staff belong where they work; they are not asked to pick a community first.
            home = ctx.staff_community_id
            if home is None:
                found = await staff_store.communities_in(session, ctx.staff_scope)
                home = found[0].id if found else None
            ctx.resident.community_id = home
        if ctx.resident.community_id is not None and ctx.community is None:
            ctx.community = await communities.get(session, ctx.resident.community_id)
        return ctx

    async def _route(self, ctx: Context) -> list[Reply] | None:
        incoming = ctx.incoming
        if ctx.text in LEAVE_WORDS and not incoming.button:
            if ctx.state is None:
                return [Reply(texts.NOTHING_PENDING)]
            on_leave = self.leaves.get(ctx.state.state)
            await ctx.done()
            return (await on_leave(ctx) if on_leave else None) or [Reply(texts.LEFT)]

        # A deep link or QR scene that means something on its own (a staff invite).
        payload = incoming.start_payload or ""
        on_payload = self.payloads.get(payload.partition("-")[0]) if "-" in payload else None
        if on_payload is not None:
            replies = await on_payload(ctx)
            if replies is not None:
                return replies

        ctx.choice = incoming.button or self._typed_choice(ctx)
        # The community comes first: every record a resident makes belongs to one.
        if ctx.community is None:
            replies = await self.states["community.join"](ctx)
            if replies is not None:
                return replies

        # 1. A pending step or a button (pressed, or its number typed).
        if ctx.state is not None:
            handler = self.states.get(ctx.state.state)
            if handler is not None:
                replies = await handler(ctx)
                if replies is not None:
                    return replies
        if ctx.choice is not None:
            handler = self.buttons.get(ctx.choice.split(":", 1)[0])
            replies = await handler(ctx) if handler else None
            return replies if replies is not None else [Reply(texts.BUTTON_EXPIRED)]
        if incoming.button and not ctx.resumed:
            return [Reply(texts.BUTTON_EXPIRED)]
        if _DIGITS.match(ctx.text):
            offered = len(ctx.state.choices) if ctx.state else 0
            if offered:
                return [Reply(texts.CHOOSE_IN_RANGE.format(n=offered))]
            return [Reply(texts.NOTHING_TO_CHOOSE)]

        # 2. A command.
        slash = ctx.text.startswith("/")
        command, ctx.args = self._command(ctx.text)
        if command is not None and (ctx.is_staff or not command.staff):
            replies = await command.handler(ctx)
            if replies is not None:
                return replies
        elif slash:
            return [Reply(texts.STAFF_ONLY if command else texts.UNKNOWN_COMMAND)]

        # 3. What nlp understood.
        if not ctx.text and incoming.contact_phone is not None:
            return await self.intents[CONTACT_SHARED](ctx)
        if not ctx.text and (incoming.media or incoming.location):
            return await self.intents[MEDIA_ONLY](ctx)
        if not ctx.text:
            return [Reply(texts.EMPTY_MESSAGE)]
        if _MEANINGLESS.match(ctx.text):
            return [Reply(texts.NOT_UNDERSTOOD)]
        for pattern, phrase_handler in self._phrases:
            if pattern.fullmatch(ctx.text) and (replies := await phrase_handler(ctx)) is not None:
                return replies
        understood = understand(ctx.text, now=ctx.now)
        handler = self.intents.get(understood.intent) or self.intents["suggestion"]
        ctx.args = understood.slots.get("about", "")
        return await handler(ctx)

    def _typed_choice(self, ctx: Context) -> str | None:
        """Map "1", "2"… or a button's label, typed without buttons, to the choice last shown."""
        if ctx.state is None or not ctx.state.choices:
            return None
        choices = [Choice.load(c) for c in ctx.state.choices]
        match = _DIGITS.match(ctx.text)
        if match:
            n = int(match.group(1))
            return choices[n - 1].data if 1 <= n <= len(choices) else None
        typed = ctx.text.rstrip("。.!")
        return next((c.data for c in choices if c.label and typed == c.label), None)

    def _command(self, text: str) -> tuple[Command | None, str]:
        """Find the command a message starts with, and the rest of it as arguments."""
        if not text:
            return None, ""
        head, _, rest = text.partition(" ")
        head = head.split("@", 1)[0].lower()  # Telegram group commands: /help@linli_bot
        if head.startswith("/"):
            found = self.commands.get(head)
            return (found, rest.strip()) if found else (None, "")
        # Chinese commands are the whole message, or (for those taking arguments) a number
        # follows: "撤回12", "回复 12 好的". Anything else starting with the same word
        # ("您好 电梯困人了", "回复太慢了") is an ordinary message.
        for name, command in self.commands.items():
            if not name.startswith("/") and text.startswith(name):
                tail = text[len(name) :].strip()
                free = command.staff or command.words
                if not tail or (command.args and (tail[0].isdigit() or free)):
                    return command, tail
        return None, ""
