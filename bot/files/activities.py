"""Activities in and out of files: import several from TOML or CSV, export a roster.

An import is all or nothing: every row is checked first, and one bad row names itself and
imports none. Times without an offset are the community's local time.
"""

from __future__ import annotations

import csv
import io
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from bot.files.spreadsheet import safe_row, spreadsheet_safe
from handlers.activities.rules import MAX_CAPACITY, MAX_SLOT_CAPACITY
from nlp.dates import MAX_AHEAD
from storage import activities as store
from storage.models import Activity

ROSTER_FIELDS = ["code", "name", "party_size", "status", "slot", "signed_up_at", "checked_in_at"]


class ActivitySpec(BaseModel):
    """One activity as written in an import file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=100)
    starts_at: datetime
    ends_at: datetime | None = None
    place: str = ""
    capacity: int | None = Field(default=None, ge=1, le=MAX_CAPACITY)
    audience: str = "所有居民"
    min_age: int | None = Field(default=None, ge=1, le=120)
    buildings: list[str] = Field(default_factory=list)
    keywords: str = ""
    description: str = ""
    signup_deadline: datetime | None = None
    slot_minutes: int | None = Field(default=None, ge=5, le=240)
    slot_capacity: int = Field(default=1, ge=1, le=MAX_SLOT_CAPACITY)
    # Hours before the start at which participants are reminded.
    reminder_hours: list[int] = Field(default_factory=lambda: [24, 2])

    @field_validator(
        "ends_at", "signup_deadline", "capacity", "min_age", "slot_minutes", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("buildings", "reminder_hours", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [b for b in value.replace(",", " ").split() if b]
        # Residents' buildings are kept as numbers: "3号楼" is "3".
        return [str(b).removesuffix("号楼").rstrip("栋幢") for b in value] if value else value

    @field_validator("reminder_hours")
    @classmethod
    def _hours(cls, value: list[int]) -> list[int]:
        if any(not 1 <= h <= 72 for h in value):
            raise ValueError("reminder hours must be between 1 and 72")
        return sorted(set(value), reverse=True)


def read_specs(path: Path) -> list[ActivitySpec]:
    """Read and check every activity of a .toml or .csv file; ValueError lists the problems."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".toml":
        try:
            rows = tomllib.loads(text).get("activity", [])
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path} is not valid TOML: {exc}") from exc
        if not isinstance(rows, list):
            raise ValueError(f"{path}: write each activity as an [[activity]] table")
    elif path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        raise ValueError(f"{path}: use a .toml or .csv file")
    specs, problems = [], []
    for number, row in enumerate(rows, 1):
        if isinstance(row, dict):  # a blank CSV cell means "not given", i.e. the default
            row = {k: v for k, v in row.items() if v not in ("", None)}
        try:
            spec = ActivitySpec.model_validate(row)
        except ValidationError as exc:
            for item in exc.errors():
                where = ".".join(str(p) for p in item["loc"]) or "row"
                problems.append(f"activity {number}: {where}: {item['msg']}")
            continue
        problems += [f"activity {number}: {p}" for p in _inconsistent(spec)]
        specs.append(spec)
    if not rows:
        problems.append(f"{path}: no activities found")
    if problems:
        raise ValueError("nothing imported:\n  " + "\n  ".join(problems))
    return specs


def _inconsistent(spec: ActivitySpec) -> list[str]:
    """Return what does not fit together in one activity."""
    zone = ZoneInfo("UTC")  # only for comparing: naive and aware times side by side
    start, end = _local(spec.starts_at, zone), _local(spec.ends_at, zone)
    deadline = _local(spec.signup_deadline, zone)
    problems = []
    today = datetime.now(zone)
    if start is not None and not today - timedelta(days=1) <= start <= today + MAX_AHEAD:
        problems.append("starts_at must be within the next two years")
    if end is not None and start is not None and end <= start:
        problems.append("ends_at must be after starts_at")
    if deadline is not None and start is not None and deadline > start:
        problems.append("signup_deadline must be before starts_at")
    if spec.slot_minutes:
        if end is None or start is None:
            problems.append("slot_minutes needs ends_at")
        elif end - start < timedelta(minutes=spec.slot_minutes):
            problems.append("the time from starts_at to ends_at is shorter than one slot")
    return problems


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


async def import_specs(
    session: AsyncSession, community_id: int, specs: list[ActivitySpec], zone: ZoneInfo
) -> list[Activity]:
    """Create the activities (and their slots) of checked specs."""
    created = []
    for spec in specs:
        start = _local(spec.starts_at, zone)
        end = _local(spec.ends_at, zone)
        assert start is not None
        activity = Activity(
            community_id=community_id,
            title=spec.title,
            description=spec.description,
            keywords=spec.keywords or spec.title,
            place=spec.place,
            starts_at=start,
            ends_at=end,
            capacity=None if spec.slot_minutes else spec.capacity,
            audience=spec.audience,
            min_age=spec.min_age,
            buildings=spec.buildings,
            signup_deadline=_local(spec.signup_deadline, zone),
            reminder_hours=spec.reminder_hours,
            created_by="cli",
        )
        session.add(activity)
        await session.flush()
        if spec.slot_minutes and end is not None:
            await store.add_slots(
                session, activity.id, start, end, spec.slot_minutes, spec.slot_capacity
            )
        created.append(activity)
    await session.flush()
    return created


async def roster_rows(
    session: AsyncSession, activity_id: int, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """Return an activity's sign-ups as rows for a file."""
    slots = {s.id: s for s in await store.slots(session, activity_id)}

    def local(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    rows = []
    for registration, name in await store.roster(session, activity_id):
        slot = slots.get(registration.slot_id) if registration.slot_id else None
        rows.append(
            {
                "code": registration.code,
                "name": name or "",
                "party_size": registration.party_size,
                "status": registration.status,
                "slot": local(slot.starts_at) if slot else "",
                "signed_up_at": local(registration.created_at),
                "checked_in_at": local(registration.checked_in_at),
            }
        )
    return rows


def write_roster(
    rows: list[dict[str, Any]], fmt: str, out: Path | None, fields: list[str] = ROSTER_FIELDS
) -> bytes | str:
    """Render rows as CSV (text) or XLSX (bytes); write them to ``out`` if given."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(fields)
        for row in rows:
            sheet.append([spreadsheet_safe(row[f]) for f in fields])
        buffer = io.BytesIO()
        book.save(buffer)
        data: bytes | str = buffer.getvalue()
    else:
        handle = io.StringIO()
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(safe_row(row) for row in rows)
        data = handle.getvalue()
    if out is not None:
        if isinstance(data, bytes):
            out.write_bytes(data)
        else:
            out.write_text(data, encoding="utf-8")
    return data
