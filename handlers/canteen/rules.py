"""The canteen's rules: open days, cut-offs, what a resident pays, who may have meals delivered."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.models import Resident

MEAL_NAMES = {"lunch": "午餐", "dinner": "晚餐"}


@dataclass(frozen=True)
class CanteenRules:
    """The canteen settings handlers need (the config's [canteen] maps onto these)."""

    lunch_cutoff: time = time(10, 0)
    dinner_cutoff: time = time(15, 0)
    prompt_time: time | None = time(9, 0)
    subsidies: tuple[tuple[int, int], ...] = ((60, 200), (80, 400))  # (min age, cents off)
    delivery_min_age: int | None = 80
    max_quantity: int = 10
    open_weekends: bool = False
    extra_open_days: frozenset[date] = field(default_factory=frozenset)
    closed_days: frozenset[date] = field(default_factory=frozenset)

    def cutoff(self, day: date, meal: str, zone: ZoneInfo) -> datetime:
        """Return when orders for a meal close (that day, local time)."""
        return datetime.combine(
            day, self.lunch_cutoff if meal == "lunch" else self.dinner_cutoff, zone
        )

    def open_on(self, day: date) -> tuple[bool, bool]:
        """Return (open, known): whether the canteen opens that day, and whether it is sure.

        ``known`` is False when the holiday calendar does not know the year: weekdays and the
        configured days decide then.
        """
        if day in self.closed_days:
            return False, True
        if day in self.extra_open_days:
            return True, True
        try:
            import chinese_calendar

            workday = chinese_calendar.is_workday(day)  # holidays and 调休 working weekends
            known = True
        except NotImplementedError:
            workday, known = day.weekday() < 5, False
        return workday or (self.open_weekends and day.weekday() >= 5 and not _holiday(day)), known

    def next_open_day(self, after: date) -> date | None:
        """Return the first open day after ``after`` (within two months)."""
        for n in range(1, 62):
            if self.open_on(after + timedelta(days=n))[0]:
                return after + timedelta(days=n)
        return None

    def with_subsidies(self, tiers: tuple[tuple[int, int], ...] | None) -> CanteenRules:
        """Return these rules with a community's own subsidy tiers (None: keep the config's)."""
        return self if tiers is None else replace(self, subsidies=tiers)

    def price_for(self, resident: Resident, base_cents: int, year: int) -> int:
        """Return what a resident pays for one meal after their age tier's subsidy."""
        off = 0
        if resident.birth_year is not None:
            age = year - resident.birth_year
            off = max((cents for min_age, cents in self.subsidies if age >= min_age), default=0)
        return max(0, base_cents - off)

    def may_deliver(self, resident: Resident, year: int) -> bool:
        """Tell whether meals may be delivered to a resident (marked by staff, or by age)."""
        if resident.delivery_eligible:
            return True
        limit = self.delivery_min_age
        return (
            limit is not None
            and resident.birth_year is not None
            and year - resident.birth_year >= limit
        )


def _holiday(day: date) -> bool:
    try:
        import chinese_calendar

        return chinese_calendar.is_holiday(day) and day.weekday() < 5
    except NotImplementedError:
        return False
