"""Polls in and out of files: import a questionnaire from TOML, export its responses.

An import is all or nothing: the file is checked whole (handlers.polls.specs, the same rules
as /newpoll in chat) and one mistake stores nothing. Times without an offset are the
community's local time.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import cli_actor
from handlers.polls.rules import Kept, describe_answer
from handlers.polls.specs import PollSpec, SpecError, read_spec, to_rows
from storage import activities, audit
from storage import polls as store
from storage.models import Poll, PollAnswer, PollQuestion, Resident
from storage.scoping import Scope

TIME = "%Y-%m-%d %H:%M"


def read_poll_file(path: Path) -> PollSpec:
    """Read and check a poll's .toml file; ValueError names every mistake."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path} is not UTF-8 text: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from exc
    try:
        return read_spec(raw)
    except SpecError as exc:
        raise _nothing_imported(path, exc) from None


def _nothing_imported(path: Path, exc: SpecError) -> ValueError:
    return ValueError(f"{path}: nothing imported:\n  " + str(exc).replace("\n", "\n  "))


async def import_poll(
    session: AsyncSession,
    community_id: int,
    spec: PollSpec,
    zone: ZoneInfo,
    now: datetime,
    path: Path,
) -> tuple[Poll, list[PollQuestion]]:
    """Store a checked poll and its questions, with an audit record."""
    try:
        poll, questions = to_rows(spec, community_id, zone, now, created_by="cli")
    except SpecError as exc:
        raise _nothing_imported(path, exc) from None
    if poll.audience.get("kind") == "activity":
        # The spec reads "活动 12" without a database; an activity of another community (or
        # none) would make an audience of nobody, silently.
        found = await activities.get(session, int(poll.audience["activity_id"]))
        if found is None or found.community_id != community_id:
            number = poll.audience["activity_id"]
            raise _nothing_imported(path, SpecError(f"audience:本社区没有活动 #{number}"))
    await store.create(session, poll, questions)
    await audit.record(
        session, cli_actor(), "poll.import", community_id=community_id, target=str(poll.id)
    )
    return poll, questions


def local(moment: datetime | None, zone: ZoneInfo, fmt: str = TIME) -> str:
    """Return a stored moment as the community's local time ("" for None)."""
    return moment.astimezone(zone).strftime(fmt) if moment else ""


def _iso(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else ""


def _address(resident: Resident | None) -> str:
    if resident is None:
        return ""
    return "-".join(p for p in (resident.building, resident.unit, resident.room) if p)


def _cell(question: PollQuestion, answer: PollAnswer | None) -> str:
    """Return one answer in words; "" when the question was not asked (skip rule) or not yet."""
    if answer is None:
        return ""
    kept = Kept([int(c) for c in answer.choices], answer.rating, answer.text, answer.skipped)
    return describe_answer(question, kept)


async def export_table(
    session: AsyncSession, poll: Poll, zone: ZoneInfo
) -> tuple[list[str], list[dict[str, Any]]]:
    """Return the header and one row per response of a poll (no names when anonymous)."""
    questions = await store.questions(session, poll.id)
    headers = [f"Q{q.position} {q.text}" for q in questions]
    who = [] if poll.anonymous else ["name", "address"]
    fields = ["response", *who, "started_at", "completed_at", *headers]
    rows = []
    for response, resident, answers in await store.export_rows(session, poll.id):
        row: dict[str, Any] = {"response": response.id}
        if poll.anonymous:
            # Days only: a time of day could point to the resident staff helped at that time.
            row["started_at"] = local(response.started_at, zone, "%Y-%m-%d")
            row["completed_at"] = local(response.completed_at, zone, "%Y-%m-%d")
        else:
            row["name"] = (resident.display_name or "") if resident else ""
            row["address"] = _address(resident)
            row["started_at"] = _iso(response.started_at, zone)
            row["completed_at"] = _iso(response.completed_at, zone)
        for header, question in zip(headers, questions, strict=True):
            row[header] = _cell(question, answers.get(question.id))
        rows.append(row)
    if poll.anonymous:
        # Numbered 1, 2, … in an order that tells nothing: a database id, or the order in which
        # they answered, could be matched to a resident.
        rows.sort(key=lambda r: [str(r[f]) for f in fields if f != "response"])
        for number, row in enumerate(rows, start=1):
            row["response"] = number
    return fields, rows


async def list_lines(
    session: AsyncSession, scope: Scope, zone: ZoneInfo, year: int, limit: int
) -> list[str]:
    """Return one line per poll, newest first: times, and completed responses of how many."""
    lines = []
    for poll in await store.recent(session, scope, limit=limit):
        done = await store.completed(session, poll.id)
        size = await store.audience_size(session, poll, year)
        opens, closes = local(poll.opens_at, zone), local(poll.closes_at, zone)
        lines.append(f"#{poll.id} {poll.title}  {opens} – {closes}  {done}/{size} completed")
    return lines
