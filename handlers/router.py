"""Routers: each feature module registers its commands, intents, steps and buttons on one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from handlers.context import Context
from handlers.types import Reply

# Not nlp intents: what the dispatcher itself hands to the feature registered for it.
MEDIA_ONLY = "media_only"  # a photo, voice note or location sent without words
CONTACT_SHARED = "contact_shared"  # a contact card shared without words (the phone number)
URGENT = "urgent"  # an emergency; ctx.urgency says which
NO_COMMUNITY = "no_community"  # a speaker who belongs to no community yet (joining one)
PROFILE_FACT = "profile_fact"  # the message tells a fact about the speaker (the profile)

# A handler returns its replies, or None when the message is not one it recognises.
Handler = Callable[[Context], Awaitable[list[Reply] | None]]


@dataclass(frozen=True)
class Command:
    """A command and whether only staff may use it."""

    handler: Handler
    staff: bool = False
    # Whether words may follow the command ("撤回 12", "回复 12 已修好").
    args: bool = False
    # Whether any words may follow a Chinese command (饮食备注 低盐), not only a number.
    words: bool = False


@dataclass(frozen=True)
class Step:
    """A pending conversation step: its handler, and what to say when an answer does not fit.

    A step that ``holds`` is a real question: a message that is no answer to it is not filed
    as anything else; linli says what it needs (``hint``) and asks again. A step that does not
    hold is an offer (the choices after a suggestion is filed): other messages go their way.
    """

    handler: Handler
    hint: str | None = None
    # True, False, or a test of the message (a question asked days ago no longer holds).
    holds: bool | Callable[[Context], bool] = True


@dataclass
class Router:
    """The entry points of one feature."""

    name: str
    commands: dict[str, Command] = field(default_factory=dict)
    intents: dict[str, Handler] = field(default_factory=dict)
    states: dict[str, Step] = field(default_factory=dict)
    buttons: dict[str, Handler] = field(default_factory=dict)
    leaves: dict[str, Handler] = field(default_factory=dict)
    payloads: dict[str, Handler] = field(default_factory=dict)
    phrases: dict[str, Handler] = field(default_factory=dict)
    included: list[Router] = field(default_factory=list)

    def include(self, *routers: Router) -> Router:
        """Nest other routers in this one (a feature package exposes one router)."""
        self.included.extend(routers)
        return self

    def walk(self) -> list[Router]:
        """Return this router and every router nested in it, depth first."""
        return [self, *(r for child in self.included for r in child.walk())]

    def command(
        self, *names: str, staff: bool = False, args: bool = False, words: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register a handler for commands such as ``/help`` or ``帮助``."""

        def register(handler: Handler) -> Handler:
            for name in names:
                self.commands[name.lower()] = Command(handler, staff, args or words, words)
            return handler

        return register

    def intent(self, *names: str) -> Callable[[Handler], Handler]:
        """Register a handler for intents that nlp understood."""
        return _into(self.intents, names)

    def state(
        self, *names: str, hint: str | None = None, holds: bool | Callable[[Context], bool] = True
    ) -> Callable[[Handler], Handler]:
        """Register a handler for a pending conversation step (see Step for hint and holds)."""

        def register(handler: Handler) -> Handler:
            for name in names:
                self.states[name] = Step(handler, hint, holds)
            return handler

        return register

    def on_leave(self, *names: str) -> Callable[[Handler], Handler]:
        """Register what happens when the user leaves a step with 0 / 返回."""
        return _into(self.leaves, names)

    def payload(self, *prefixes: str) -> Callable[[Handler], Handler]:
        """Register a handler for deep-link / QR payloads starting with ``prefix-``."""
        return _into(self.payloads, prefixes)

    def phrase(self, *patterns: str) -> Callable[[Handler], Handler]:
        """Register a handler for whole messages matching a regex (set phrasings, not for nlp).

        A handler returning None lets the message go on to nlp.
        """
        return _into(self.phrases, patterns)

    def button(self, *prefixes: str) -> Callable[[Handler], Handler]:
        """Register a handler for button payloads starting with ``prefix:``."""
        return _into(self.buttons, prefixes)


def _into(table: dict[str, Handler], keys: tuple[str, ...]) -> Callable[[Handler], Handler]:
    """Return a decorator that files a handler under each key of ``table``."""

    def register(handler: Handler) -> Handler:
        for key in keys:
            table[key] = handler
        return handler

    return register
