r"""Queries behind 删除我的信息: finding and rewriting every trace of a resident, pseudonyms.

Text is rewritten by a function the caller gives (``nlp.redact``); this module only finds the
rows and writes them back. JSON columns are searched as stored: a driver writes non-ASCII
characters as ``\uXXXX``, so both forms of each word are looked for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Text, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    AppSecret,
    AuditLog,
    OutboxMessage,
    PollAnswer,
    PollResponse,
    ProcessedMessage,
    Suggestion,
    SuggestionEvent,
)

Rewrite = Callable[[str], str]
PSEUDONYM_KEY = "pseudonyms"


async def secret(session: AsyncSession, name: str) -> str:
    """Return a secret of this deployment, made once at random and kept in the database."""
    found = await session.get(AppSecret, name)
    if found is None:
        found = AppSecret(name=name, value=secrets.token_hex(32))
        session.add(found)
        await session.flush()
    return found.value


async def pseudonym(session: AsyncSession, actor: str) -> str:
    """Return a stable stand-in for an account: the same account always gets the same one."""
    key = await secret(session, PSEUDONYM_KEY)
    digest = hmac.new(key.encode(), actor.encode(), hashlib.sha256).hexdigest()[:12]
    return f"resident~{digest}"


def _patterns(needles: Iterable[str]) -> list[str]:
    r"""Return LIKE patterns for each word, raw and as JSON writes it (\uXXXX escapes)."""
    forms: set[str] = set()
    for needle in needles:
        if not needle:
            continue
        forms.add(needle)
        forms.add(json.dumps(needle)[1:-1])
    escaped = (f.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for f in forms)
    return [f"%{e}%" for e in escaped]


def _mentions(column: InstrumentedAttribute[Any], needles: Iterable[str]) -> Any:
    text = cast(column, Text)
    return or_(*(text.like(p, escape="\\") for p in _patterns(needles)))


def _walk(value: Any, rewrite: Rewrite) -> Any:
    """Apply ``rewrite`` to every string inside a JSON value."""
    if isinstance(value, str):
        return rewrite(value)
    if isinstance(value, list):
        return [_walk(v, rewrite) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, rewrite) for k, v in value.items()}
    return value


async def rewrite_suggestions(
    session: AsyncSession,
    resident_id: int,
    rewrite: Rewrite,
    terms: Callable[[str], str],
) -> list[list[Any]]:
    """Rewrite a resident's own suggestions; drop their media. Return the media refs dropped."""
    dropped = []
    for suggestion in await session.scalars(
        select(Suggestion).where(Suggestion.resident_id == resident_id)
    ):
        suggestion.text = rewrite(suggestion.text)
        suggestion.terms = terms(suggestion.text)
        suggestion.keywords = [k for k in suggestion.keywords if rewrite(k) == k]
        if suggestion.media:
            dropped.append(list(suggestion.media))
            suggestion.media = []
    await session.flush()
    return dropped


async def rewrite_events(session: AsyncSession, actors: Iterable[str], rewrite: Rewrite) -> None:
    """Rewrite what a resident wrote into suggestion histories (follow-ups, rating notes)."""
    stmt = select(SuggestionEvent).where(SuggestionEvent.actor.in_(list(actors)))
    for event in await session.scalars(stmt):
        if event.text:
            event.text = rewrite(event.text)
    await session.flush()


async def rewrite_poll_answers(session: AsyncSession, resident_id: int, rewrite: Rewrite) -> None:
    """Rewrite the free text of a resident's poll answers."""
    mine = select(PollResponse.id).where(PollResponse.resident_id == resident_id)
    stmt = select(PollAnswer).where(PollAnswer.response_id.in_(mine), PollAnswer.text != "")
    for answer in await session.scalars(stmt):
        answer.text = rewrite(answer.text)
    await session.flush()


async def rewrite_mentions(session: AsyncSession, needles: list[str], rewrite: Rewrite) -> int:
    """Rewrite messages and kept replies that name the resident; return how many changed.

    These are messages to others (staff alerts, relayed texts) and the replies kept for
    replays (a staff member's /open listing the resident).
    """
    changed = 0
    for model, column in (
        (OutboxMessage, OutboxMessage.payload),
        (ProcessedMessage, ProcessedMessage.replies),
    ):
        for row in await session.scalars(select(model).where(_mentions(column, needles))):
            before = getattr(row, column.key)
            after = _walk(before, rewrite)
            if after != before:
                setattr(row, column.key, after)
                changed += 1
    await session.flush()
    return changed


async def pseudonymise_audit(session: AsyncSession, actors: Iterable[str]) -> None:
    """Replace a resident's accounts in the audit log by their stable pseudonym."""
    for actor in actors:
        stand_in = await pseudonym(session, actor)
        await session.execute(
            update(AuditLog).where(AuditLog.actor == actor).values(actor=stand_in)
        )
        await session.execute(
            update(AuditLog).where(AuditLog.target == actor).values(target=stand_in)
        )
