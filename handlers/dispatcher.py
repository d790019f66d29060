"""The dispatcher: one transaction per message, replays answered from the record, routing.

Routing is a fixed order of named steps, each returning replies or None (not mine, go on):
leaving a question, deep links, an emergency (always before anything else a resident could be
in the middle of), the community, facts about the resident, the pending question (which keeps
its question when an answer does not fit), buttons, commands, and what nlp understood.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers import texts
from handlers.context import Choice, Context
from handlers.router import (
    CONTACT_SHARED,
    MEDIA_ONLY,
    NO_COMMUNITY,
    PROFILE_FACT,
    URGENT,
    Command,
    Handler,
    Router,
    Step,
)
from handlers.settings import Settings
from handlers.types import Incoming, Reply, expired_button
from handlers.yes_no import polarity, typed_answer
from nlp import numbers, urgent
from storage import communities, processed, residents
from storage import staff as staff_store
from storage.engine import transaction
from storage.types import utcnow

log = logging.getLogger(__name__)

LEAVE_WORDS = frozenset({"0", "返回", "退出", "/cancel", "零"})
# Messages with no letters, digits or CJK characters at all (emoji, punctuation).
_MEANINGLESS = re.compile(r"^[\W_]*$")
# How sure nlp must be of a new request for it to set a pending question aside.
NEW_REQUEST_CONFIDENCE = 0.7
# Intents that are never a reason to set a question aside: they are what an answer that
# does not fit looks like.
_NOT_A_REQUEST = frozenset({"suggestion", "chitchat", "help"})

RouteStep = Callable[[Context], Awaitable[list[Reply] | None]]


class Dispatcher:
    """Turns each Incoming into Replies through the routers, inside one DB transaction."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        routers: Iterable[Router],
        settings: Settings | None = None,
    ) -> None:
        """Collect the routers' entry points (a clash between routers is an error)."""
        self.maker = maker
        self.settings = settings or Settings()
        self.commands: dict[str, Command] = {}
        self.intents: dict[str, Handler] = {}
        self.states: dict[str, Step] = {}
        self.buttons: dict[str, Handler] = {}
        self.leaves: dict[str, Handler] = {}
        self.payloads: dict[str, Handler] = {}
        self.phrases: dict[str, Handler] = {}
        for router in (r for top in routers for r in top.walk()):
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
                table.update(entries)  # type: ignore[arg-type]  # each table with its own kind
        self._phrases = [(re.compile(p), h) for p, h in self.phrases.items()]
        self._command_names = frozenset(self.commands)
        # Chinese commands are matched at the start of a message, longest name first:
        # 退订活动通知 is not 退订, whichever feature registered which.
        self._said_commands = sorted(
            ((n, c) for n, c in self.commands.items() if not n.startswith("/")),
            key=lambda entry: -len(entry[0]),
        )
        self._steps: tuple[RouteStep, ...] = (
            self._leave,
            self._deep_link,
            self._emergency,
            self._community,
            self._pending,
            self._fact,
            self._hold,
            self._button,
            self._stray_number,
            self._command_step,
            self._wordless,
            self._phrase,
            self._understood,
        )

    async def handle(self, incoming: Incoming, *, database_errors: bool = False) -> list[Reply]:
        """Handle one message and return its replies; never raises to the channel.

        With ``database_errors``, trouble reaching the database raises DatabaseDown instead of
        answering sorry: a channel that keeps the message can try it again later.
        """
        try:
            return await self._handle(incoming)
        except Exception as exc:
            if database_errors and _database_trouble(exc):
                raise DatabaseDown from exc
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
        ctx.redirect = lambda words: self._redirect(ctx, words)
        speaker = await residents.load_speaker(session, incoming.channel, incoming.user_id, now)
        if not incoming.sender_verified:
            pass  # no staff rights for a sender the platform could not prove
        elif speaker is None or speaker.has_staff_grant or self.settings.operators:
            ctx.staff_scope = await staff_store.scope_of(
                session, incoming.channel, incoming.user_id, self.settings.operators
            )
        if ctx.staff_scope is not None:
            ctx.staff_community_id = await staff_store.current_community(
                session, incoming.channel, incoming.user_id
            )
        if speaker is None:
            name = (incoming.display_name or "").replace("\x00", "").strip()[:100] or None
            resident = await residents.create(
                session, incoming.channel, incoming.user_id, display_name=name
            )
        else:
            resident, ctx.community, ctx.state = speaker.resident, speaker.community, speaker.state
        ctx.resident = resident
        if resident.privacy_noticed_at is None:
            resident.privacy_noticed_at = now
            ctx.replies_prefix.append(Reply(texts.PRIVACY_NOTICE))
        if resident.community_id is None and ctx.staff_scope is not None:
            # Staff belong where they work; they are not asked to pick a community first.
            home = ctx.staff_community_id
            if home is None:
                found = await staff_store.communities_in(session, ctx.staff_scope)
                home = found[0].id if found else None
            resident.community_id = home
        if resident.community_id is not None and ctx.community is None:
            ctx.community = await communities.get(session, resident.community_id)
        return ctx

    async def _route(self, ctx: Context) -> list[Reply] | None:
        for step in self._steps:
            replies = await step(ctx)
            if replies is not None:
                return replies
        return None

    # The steps, in order.

    async def _leave(self, ctx: Context) -> list[Reply] | None:
        """Leave the pending question on 0 / 返回 (or say there is none)."""
        if ctx.text not in LEAVE_WORDS or ctx.incoming.button:
            return None
        if ctx.state is None:
            return [Reply(texts.NOTHING_PENDING)]
        on_leave = self.leaves.get(ctx.state.state)
        await ctx.done()
        return (await on_leave(ctx) if on_leave else None) or [Reply(texts.LEFT)]

    async def _deep_link(self, ctx: Context) -> list[Reply] | None:
        """Act on a deep link or QR scene that means something on its own (a staff invite)."""
        payload = ctx.incoming.start_payload or ""
        on_payload = self.payloads.get(payload.partition("-")[0]) if "-" in payload else None
        replies = await on_payload(ctx) if on_payload is not None else None
        if replies is None:
            ctx.choice = ctx.incoming.button or self._typed_choice(ctx)
        return replies

    async def _emergency(self, ctx: Context) -> list[Reply] | None:
        """Answer an emergency before anything a resident could be in the middle of."""
        if not ctx.text or ctx.incoming.button or self._command(ctx.text)[0] is not None:
            return None
        if ctx.is_staff and ctx.state is not None:
            return None  # staff writing an announcement or a reply quote such words
        found = urgent.detect(ctx.text)
        if found is None:
            return None
        ctx.urgency = found
        return await self.intents[URGENT](ctx)

    async def _community(self, ctx: Context) -> list[Reply] | None:
        """Find the speaker a community first: every record a resident makes belongs to one."""
        if ctx.community is not None:
            return None
        return await self.intents[NO_COMMUNITY](ctx)

    async def _pending(self, ctx: Context) -> list[Reply] | None:
        """Let the step the speaker is in the middle of answer first.

        A slash command is never an answer (/pollresults 2 at /broadcast's audience step): it
        runs, and the step still waits, in every guided flow alike.
        """
        step = self._step_of(ctx)
        if step is None or (ctx.text.startswith("/") and self._command(ctx.text)[0]):
            return None
        return await step.handler(ctx)

    async def _fact(self, ctx: Context) -> list[Reply] | None:
        """Keep a fact the speaker tells about themselves (age, building, household)."""
        if not ctx.text or ctx.choice is not None or PROFILE_FACT not in self.intents:
            return None
        replies = await self.intents[PROFILE_FACT](ctx)
        if replies is not None and (step := self._step_of(ctx)) is not None and _holds(step, ctx):
            # Only a fact was said: keep it, and ask the pending question again.
            return [*replies, Reply(self._reprompt(ctx, step))]
        return replies

    async def _hold(self, ctx: Context) -> list[Reply] | None:
        """Keep a question asked: an answer that does not fit is asked for again.

        A command is answered and the question still waits; what nlp is sure is another
        request (我要订饭) sets the question aside, with a word.
        """
        step = self._step_of(ctx)
        if step is None or not _holds(step, ctx) or ctx.choice is not None:
            return None
        if self._command(ctx.text)[0] is not None:
            return None  # a command is answered, and the question still waits
        if self._is_new_request(ctx):
            await ctx.done()
            ctx.state = None
            ctx.replies_prefix.append(Reply(texts.QUESTION_SET_ASIDE))
            return None
        return [Reply(self._reprompt(ctx, step))]

    async def _button(self, ctx: Context) -> list[Reply] | None:
        """Act on a button pressed, or its number typed."""
        if ctx.choice is not None:
            handler = self.buttons.get(ctx.choice.split(":", 1)[0])
            replies = await handler(ctx) if handler else None
            return replies if replies is not None else [expired_button()]
        if ctx.incoming.button and not ctx.resumed:
            return [expired_button()]
        return None

    async def _stray_number(self, ctx: Context) -> list[Reply] | None:
        """Answer a bare number that has no choice to pick."""
        if numbers.choice_number(ctx.text) is None:
            return None
        offered = len(ctx.state.choices) if ctx.state else 0
        if offered:
            return [Reply(texts.CHOOSE_IN_RANGE.format(n=offered))]
        return [Reply(texts.NOTHING_TO_CHOOSE)]

    async def _command_step(self, ctx: Context) -> list[Reply] | None:
        """Run a command (/help, 帮助, 撤回 12)."""
        slash = ctx.text.startswith("/")
        command, ctx.args = self._command(ctx.text)
        if command is not None and (ctx.is_staff or not command.staff):
            replies = await command.handler(ctx)
            if command.staff and replies is not None:
                # Every staff action is on record: who, where, which command, on what.
                name = ctx.text.split(maxsplit=1)[0][:40]
                await ctx.audit(f"staff.command {name}", target=ctx.args)
            return replies
        if command is not None and command.staff:
            await ctx.audit("refused.staff_only", target=ctx.text.split(maxsplit=1)[0])
        if slash:
            return [Reply(texts.STAFF_ONLY if command else texts.UNKNOWN_COMMAND)]
        return None

    async def _wordless(self, ctx: Context) -> list[Reply] | None:
        """Handle a contact card, a picture or voice note, or nothing readable at all."""
        incoming = ctx.incoming
        if not ctx.text and incoming.contact_phone is not None:
            return await self.intents[CONTACT_SHARED](ctx)
        if not ctx.text and (incoming.media or incoming.location):
            return await self.intents[MEDIA_ONLY](ctx)
        if not ctx.text:
            return [Reply(texts.EMPTY_MESSAGE)]
        if _MEANINGLESS.match(ctx.text):
            return [Reply(texts.NOT_UNDERSTOOD)]
        return None

    async def _phrase(self, ctx: Context) -> list[Reply] | None:
        """Hand set phrasings to the feature that recognises them (明天起暂停一周)."""
        for pattern, handler in self._phrases:
            if pattern.fullmatch(ctx.text) and (replies := await handler(ctx)) is not None:
                return replies
        return None

    async def _understood(self, ctx: Context) -> list[Reply] | None:
        """Hand the message to what nlp understood; else it is a suggestion (checked there)."""
        understood = ctx.understood()
        handler = self.intents.get(understood.intent) or self.intents["suggestion"]
        ctx.slots = dict(understood.slots)
        return await handler(ctx)

    # Helpers.

    async def _redirect(self, ctx: Context, words: str) -> list[Reply]:
        """Handle ``words`` as a fresh request of the speaker's (no pending question)."""
        ctx.text, ctx.choice, ctx.state = words, None, None
        for step in (self._command_step, self._phrase, self._understood):
            replies = await step(ctx)
            if replies is not None:
                return replies
        return []

    def _step_of(self, ctx: Context) -> Step | None:
        return self.states.get(ctx.state.state) if ctx.state is not None else None

    def _is_new_request(self, ctx: Context) -> bool:
        """Tell whether a message that is no answer is a new request that cannot wait."""
        understood = ctx.understood()
        return (
            understood.intent not in _NOT_A_REQUEST
            and understood.confidence >= NEW_REQUEST_CONFIDENCE
        )

    def _reprompt(self, ctx: Context, step: Step) -> str:
        """Say briefly what the pending question needs, and how to leave it."""
        assert ctx.state is not None
        labels = [Choice.load(c).label for c in ctx.state.choices]
        labels = [label for label in labels if label]
        if step.hint:
            need = step.hint
        elif len(labels) == 2:
            need = texts.REPLY_ONE_OF.format(a=labels[0], b=labels[1])
        elif labels:
            listed = ",".join(f"{i} {label}" for i, label in enumerate(labels[:6], 1))
            more = "…" if len(labels) > 6 else ""
            need = texts.REPLY_NUMBER.format(n=len(labels), listed=listed + more)
        else:
            need = texts.ANSWER_FIRST
        return texts.STILL_ASKING.format(need=need)

    def _typed_choice(self, ctx: Context) -> str | None:
        """Map a typed choice to the choice last shown: 1, 一, 第一个, a label, or yes / no."""
        if ctx.state is None or not ctx.state.choices:
            return None
        choices = [Choice.load(c) for c in ctx.state.choices]
        n = numbers.choice_number(ctx.text)
        if n is not None:
            return choices[n - 1].data if 1 <= n <= len(choices) else None
        typed = ctx.text.rstrip("。.!！")
        by_label = next((c.data for c in choices if c.label and typed == c.label), None)
        if by_label is not None:
            return by_label
        # A time slot said as a time: 九点半 picks 09:30.
        if (said := numbers.clock(typed)) is not None:
            return next((c.data for c in choices if c.label == said), None)
        # A yes or no (好的, 算了) picks the one yes-like and the one no-like choice.
        answer = typed_answer(ctx.text, "x")
        if answer is None or len(choices) != 2:
            return None
        sides = {polarity(c.label, c.data): c.data for c in choices}
        return sides.get(answer == "x:yes") if len(sides) == 2 and None not in sides else None

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
        for name, command in self._said_commands:
            if text.startswith(name):
                tail = text[len(name) :].strip()
                free = command.staff or command.words
                if not tail or (command.args and (_starts_with_number(tail) or free)):
                    return command, tail
        return None, ""


class DatabaseDown(Exception):
    """The database could not be reached while handling a message (nothing was stored)."""


def _database_trouble(exc: BaseException) -> bool:
    """Tell whether an error means the database is away (not a bug in handling)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (OperationalError, InterfaceError, ConnectionError, TimeoutError)):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, OSError) and not isinstance(seen, FileNotFoundError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _holds(step: Step, ctx: Context) -> bool:
    """Tell whether a pending step holds this message (see Step)."""
    return step.holds(ctx) if callable(step.holds) else step.holds


def _starts_with_number(tail: str) -> bool:
    """Tell whether command arguments start with a number (12, 十一, 第11条)."""
    return bool(re.match(rf"第?\s*[0-9{numbers.NUMERAL_CHARS}]", tail))
