"""What a handler gets: the message, the session, who is speaking, and ways to answer later."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.types import Incoming, Reply
from nlp.intents import Understanding, understand
from nlp.urgent import Urgency
from storage import audit, conversations, outbox, residents
from storage import staff as staff_store
from storage.models import Community, ConversationState, Resident
from storage.scoping import Scope

if TYPE_CHECKING:
    from handlers.settings import Settings


@dataclass(frozen=True)
class Choice:
    """A choice shown to the user: its payload, and its label for typing it out."""

    data: str
    label: str = ""

    def dump(self) -> list[str]:
        """Return the stored form."""
        return [self.data, self.label]

    @classmethod
    def load(cls, raw: Any) -> Choice:
        """Read the stored form (older rows hold the payload alone)."""
        if isinstance(raw, list):
            return cls(str(raw[0]), str(raw[1]) if len(raw) > 1 else "")
        return cls(str(raw))


def choices_of(replies: list[Reply]) -> list[list[str]]:
    """Return the stored choices of the buttons under some replies, in reading order."""
    return [
        Choice(b.data, b.label).dump()
        for reply in replies
        for row in reply.buttons
        for b in row
        if b.kind == "callback" and b.data
    ]


@dataclass
class Context:
    """One message being handled, inside its database transaction."""

    session: AsyncSession
    incoming: Incoming
    settings: Settings
    now: datetime
    resident: Resident | None = None
    community: Community | None = None
    staff_scope: Scope | None = None
    staff_community_id: int | None = None
    state: ConversationState | None = None
    text: str = ""
    truncated: bool = False
    # The button payload this message chose (pressed, or typed as its number).
    choice: str | None = None
    # False when the speaker was just forgotten: nothing more about them is recorded.
    record_message: bool = True
    # True once a message that waited (for a community to be chosen) is being handled.
    resumed: bool = False
    # The words after a command ("撤回 12" → "12").
    args: str = ""
    # What nlp found in the message (an order's day and portions, a status question's subject).
    slots: dict[str, Any] = field(default_factory=dict)
    # The emergency the message reports, if it reports one.
    urgency: Urgency | None = None
    # Handles words as if the speaker had sent them (a menu's choice 3 → 活动); the
    # dispatcher provides it.
    redirect: Callable[[str], Awaitable[list[Reply]]] | None = field(default=None, repr=False)
    replies_prefix: list[Reply] = field(default_factory=list)
    # Every command's name (帮助, 转人工, /forget…), for steps that take free text.
    command_names: frozenset[str] = frozenset()

    _understood: Understanding | None = field(default=None, repr=False)

    def understood(self) -> Understanding:
        """Return what nlp understands of the message (worked out once, when first asked)."""
        if self._understood is None or self._understood_text != self.text:
            self._understood = understand(self.text, now=self.now)
            self._understood_text = self.text
        return self._understood

    _understood_text: str = field(default="", repr=False)

    @property
    def is_staff(self) -> bool:
        """Tell whether the speaker has staff rights anywhere."""
        return self.staff_scope is not None

    @property
    def zone(self) -> ZoneInfo:
        """Return the community's time zone."""
        return ZoneInfo(self.settings.timezone)

    def local_now(self) -> datetime:
        """Return the message's time in the community's time zone."""
        return self.now.astimezone(self.zone)

    def local_year(self) -> int:
        """Return the year in the community now (ages and audiences count by it)."""
        return self.local_now().year

    def is_command(self, text: str) -> bool:
        """Tell whether a message is a command by itself (so a pending step lets it pass)."""
        return text.startswith("/") or text.lower() in self.command_names

    async def audit(
        self,
        action: str,
        *,
        target: str | None = None,
        community_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record what the speaker did (or was refused), where, to whom."""
        if community_id is None and self.staff_scope is not None:
            community_id = self.working_community()
        if community_id is None and self.community is not None:
            community_id = self.community.id
        await audit.record(
            self.session,
            self.actor,
            action,
            community_id=community_id,
            target=(target or "")[:100] or None,
            detail=detail,
        )

    async def refuse_elsewhere(self, kind: str, number: int, community_id: int | None) -> None:
        """Audit a staff attempt on a record of a community outside their scope."""
        await self.audit(
            f"refused.{kind}.other_community",
            target=f"{kind}:{number}",
            detail={"community_of_target": community_id},
        )

    @property
    def actor(self) -> str:
        """Return the speaker as ``channel:id`` for audit records."""
        return f"{self.incoming.channel}:{self.incoming.user_id}"

    @property
    def speaker(self) -> str:
        """Return the resident as staff see them: their name, and the phone they left."""
        resident = self.resident
        if resident is None:
            return "一位居民"
        name = resident.display_name or f"居民#{resident.id}"
        return f"{name}(电话 {resident.phone})" if resident.phone else name

    def working_community(self) -> int | None:
        """Return the one community a staff command acts on, or None if they must pick one.

        Staff of one community (or switched to one with /community) act on it; operator-wide
        staff must switch first, rather than act on whichever community they live in.
        """
        scope = self.working_scope()
        if scope.community_ids is not None and len(scope.community_ids) == 1:
            return next(iter(scope.community_ids))
        return None

    def working_scope(self) -> Scope:
        """Return the staff scope narrowed to the community they switched to, if any."""
        assert self.staff_scope is not None
        if self.staff_community_id is not None and self.staff_scope.allows(self.staff_community_id):
            return Scope.of(self.staff_community_id)
        return self.staff_scope

    async def staff_pick(self, name: str) -> tuple[Resident | None, list[Reply]]:
        """Find the one resident in the working scope called ``name`` (for a staff command).

        Returns the resident, or None and what to tell staff (none or several by that name).
        """
        found = await residents.named(self.session, self.working_scope(), name)
        if len(found) != 1:
            return None, [Reply(f"找到 {len(found)} 位叫“{name}”的居民;请用准确的称呼。")]
        return found[0], []

    async def ask(
        self,
        state: str,
        replies: list[Reply],
        data: dict[str, Any] | None = None,
        ttl: timedelta | None = None,
    ) -> list[Reply]:
        """Remember a pending question (and its choices) and return its replies."""
        choices = choices_of(replies)
        await conversations.save(
            self.session,
            self.incoming.channel,
            self.incoming.user_id,
            state,
            data or {},
            choices,
            self.now,
            ttl or timedelta(minutes=self.settings.conversation_minutes),
        )
        return replies

    async def done(self) -> None:
        """Clear the pending question."""
        await conversations.clear(self.session, self.incoming.channel, self.incoming.user_id)

    async def push(
        self,
        channel: str,
        recipient: str,
        replies: list[Reply],
        kind: str,
        *,
        community_id: int | None = None,
        urgent: bool = False,
        dedupe_key: str | None = None,
    ) -> None:
        """Queue replies for someone else, in this transaction (the outbox delivers them)."""
        for i, reply in enumerate(replies):
            key = f"{dedupe_key}:{i}" if dedupe_key else None
            await outbox.enqueue(
                self.session,
                channel=channel,
                recipient=recipient,
                kind=kind,
                payload=reply.to_dict(),
                community_id=community_id,
                urgent=urgent,
                dedupe_key=key,
            )

    async def push_to_resident(
        self,
        resident_id: int,
        replies: list[Reply],
        kind: str,
        *,
        ask_state: str | None = None,
        ask_data: dict[str, Any] | None = None,
        ask_ttl: timedelta | None = None,
        ask_over: tuple[str, ...] = (),
        dedupe_key: str | None = None,
    ) -> None:
        """Queue replies to every account of a resident, optionally with a pending question.

        The question replaces a pending one only if that is one of ``ask_over`` (or the same
        question); it never interrupts anything else the resident is in the middle of.
        """
        resident = await self.session.get(Resident, resident_id)
        if resident is None or not resident.active:
            return
        choices = choices_of(replies)
        for account in await residents.accounts(self.session, resident_id):
            await self.push(
                account.channel,
                account.external_id,
                replies,
                kind,
                community_id=resident.community_id,
                dedupe_key=f"{dedupe_key}:{account.id}" if dedupe_key else None,
            )
            # A question pushed from elsewhere never interrupts one the resident is answering
            # (a handoff, a /forget confirmation); its buttons still work when pressed.
            if ask_state and not await conversations.busy(
                self.session,
                account.channel,
                account.external_id,
                (ask_state, *ask_over),
                self.now,
            ):
                await conversations.save(
                    self.session,
                    account.channel,
                    account.external_id,
                    ask_state,
                    ask_data or {},
                    choices,
                    self.now,
                    ask_ttl or timedelta(minutes=self.settings.conversation_minutes),
                )

    async def alert_staff(
        self, community_id: int, replies: list[Reply], kind: str, *, urgent: bool = False
    ) -> int:
        """Queue a message to every staff member of a community; return how many."""
        return await outbox.enqueue_for_staff(
            self.session,
            community_id,
            [staff_store.split_account(a) for a in self.settings.operators],
            kind=kind,
            payloads=[reply.to_dict() for reply in replies],
            urgent=urgent,
        )
