"""Who a broadcast reaches: an audience as data, and the SQL condition that selects it.

An audience is a small dict kept with the broadcast, so a scheduled one is resolved when it
goes out (a resident who moved in meanwhile gets it):

- ``{"kind": "all"}``: every resident;
- ``{"kind": "building", "building": "3"}``;
- ``{"kind": "tag", "tag": "老人"}``: residents staff tagged;
- ``{"kind": "age", "min": 60, "max": 79}``: by birth year (either bound may be missing);
- ``{"kind": "activity", "activity_id": 12}``: residents signed up (confirmed or waitlisted);
- ``{"kind": "poll_pending", "poll_id": 3, "base": {...}, "per_household": false}``: those of
  a poll's audience (``base``) who (or whose household) have not completed it yet.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select, true

from storage.models import (
    OptOut,
    PollResponse,
    Registration,
    RegistrationStatus,
    Resident,
    ResidentTag,
)

KINDS = ("all", "building", "tag", "age", "activity", "poll_pending")


def describe(audience: dict[str, Any]) -> str:
    """Return an audience in words, as staff read it in a preview or a report."""
    kind = audience.get("kind")
    if kind == "building":
        return f"{audience['building']}栋的居民"
    if kind == "tag":
        return f"标签“{audience['tag']}”的居民"
    if kind == "age":
        low, high = audience.get("min"), audience.get("max")
        if low is not None and high is not None:
            return f"{low}–{high} 岁的居民"
        return f"{low} 岁以上的居民" if low is not None else f"{high} 岁以下的居民"
    if kind == "activity":
        return f"活动 {audience['activity_id']} 的报名者"
    if kind == "poll_pending":
        return f"{describe(audience['base'])}中还没填问卷 {audience['poll_id']} 的"
    return "全体居民"


def condition(audience: dict[str, Any], year: int) -> ColumnElement[bool]:
    """Return the condition on ``Resident`` that selects an audience (as of ``year``)."""
    kind = audience.get("kind", "all")
    if kind == "building":
        return Resident.building == str(audience["building"])
    if kind == "tag":
        tagged = select(ResidentTag.resident_id).where(
            ResidentTag.resident_id == Resident.id, ResidentTag.tag == audience["tag"]
        )
        return exists(tagged)
    if kind == "age":
        bounds = []
        if audience.get("min") is not None:
            bounds.append(Resident.birth_year <= year - int(audience["min"]))
        if audience.get("max") is not None:
            bounds.append(Resident.birth_year >= year - int(audience["max"]))
        return and_(Resident.birth_year.is_not(None), *bounds)
    if kind == "activity":
        signed_up = select(Registration.resident_id).where(
            Registration.resident_id == Resident.id,
            Registration.activity_id == int(audience["activity_id"]),
            Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)),
        )
        return exists(signed_up)
    if kind == "poll_pending":
        return and_(
            condition(audience["base"], year),
            ~answered(int(audience["poll_id"]), bool(audience.get("per_household"))),
        )
    if kind == "all":
        return true()
    raise ValueError(f"unknown audience kind {kind!r}")


def not_opted_out(kind: str) -> ColumnElement[bool]:
    """Return the condition that a resident did not opt out of broadcasts of ``kind``."""
    opted = select(OptOut.resident_id).where(OptOut.resident_id == Resident.id, OptOut.kind == kind)
    return ~exists(opted)


def household_sql() -> ColumnElement[str | None]:
    """Return a resident's household key in SQL (as storage.polls.household_of writes it)."""
    unit = func.coalesce(Resident.unit, "")
    return "h" + Resident.building + "-" + unit + "-" + Resident.room


def answered(poll_id: int, per_household: bool) -> ColumnElement[bool]:
    """Return the condition that a resident (or their household) completed a poll."""
    who = (
        PollResponse.respondent == household_sql()
        if per_household
        else PollResponse.resident_id == Resident.id
    )
    done = select(PollResponse.id).where(
        PollResponse.poll_id == poll_id, PollResponse.completed_at.is_not(None), who
    )
    return exists(done)
