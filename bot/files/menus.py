"""Canteen files: import menus (a week at a time) from CSV or TOML; export a day's orders.

An import is all or nothing: every row is checked first, and one bad row names itself and
imports none.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from storage import canteen
from storage.models import Resident

MEALS = {"lunch": "lunch", "午餐": "lunch", "午饭": "lunch", "dinner": "dinner", "晚餐": "dinner",
         "晚饭": "dinner"}  # fmt: skip
ORDER_FIELDS = ["meal", "delivery", "address", "name", "quantity", "diet_note", "unit_price"]


class MenuSpec(BaseModel):
    """One meal's menu as written in an import file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    date: dt.date
    meal: str
    dishes: str = Field(min_length=1, max_length=500)
    price: float = Field(ge=0, le=1000)

    @field_validator("price")
    @classmethod
    def _cents(cls, value: float) -> float:
        if round(value * 100) != round(value * 100, 6):
            raise ValueError("price may have at most two decimals (e.g. 12.5)")
        return value

    @field_validator("date")
    @classmethod
    def _soon(cls, value: dt.date) -> dt.date:
        today = date.today()
        if not today - timedelta(days=7) <= value <= today + timedelta(days=366):
            raise ValueError("date must be within the coming year")
        return value

    @field_validator("meal")
    @classmethod
    def _meal(cls, value: str) -> str:
        if value not in MEALS:
            raise ValueError("meal must be lunch or dinner (午餐 / 晚餐)")
        return MEALS[value]


def read_menus(path: Path) -> list[MenuSpec]:
    """Read and check every menu of a .csv or .toml file; ValueError lists the problems."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".toml":
        try:
            rows = tomllib.loads(text).get("menu", [])
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path} is not valid TOML: {exc}") from exc
    elif path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        raise ValueError(f"{path}: use a .csv or .toml file")
    specs, numbers, problems = [], [], []
    for number, row in enumerate(rows, 1):
        try:
            specs.append(MenuSpec.model_validate(row))
            numbers.append(number)
        except ValidationError as exc:
            for item in exc.errors():
                where = ".".join(str(p) for p in item["loc"]) or "row"
                problems.append(f"menu {number}: {where}: {item['msg']}")
    seen: dict[tuple[date, str], int] = {}
    for number, spec in zip(numbers, specs, strict=True):
        if (first := seen.setdefault((spec.date, spec.meal), number)) != number:
            problems.append(f"menu {number}: {spec.date} {spec.meal} is also menu {first}")
    if not rows:
        problems.append(f"{path}: no menus found")
    if problems:
        raise ValueError("nothing imported:\n  " + "\n  ".join(problems))
    return specs


async def import_menus(session: AsyncSession, community_id: int, specs: list[MenuSpec]) -> int:
    """Publish (or replace) the menus; return how many."""
    for spec in specs:
        cents = round(spec.price * 100)
        await canteen.set_menu(session, community_id, spec.date, spec.meal, spec.dishes, cents)
    return len(specs)


def _name(resident: Resident | None) -> str:
    if resident is None:
        return "(已删除资料的居民)"
    return resident.display_name or f"居民#{resident.id}"


async def order_rows(session: AsyncSession, community_id: int, day: date) -> list[dict[str, Any]]:
    """Return a day's orders for the kitchen, by meal and address."""
    return [
        {
            "meal": order.meal,
            "delivery": "yes" if order.delivery else "no",
            # The address the order was placed for; pick-up rows show none.
            "address": order.note if order.delivery else "",
            "name": _name(resident),
            "quantity": order.quantity,
            "diet_note": order.diet_note,
            "unit_price": order.unit_price_cents / 100,
        }
        for order, resident in await canteen.kitchen_list(session, community_id, day)
    ]
