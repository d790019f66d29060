"""Meal-order understanding on a held-out set: intent accuracy and exact slot match.

Each line of tests/data/heldout-meal-slots.tsv gives a reference hour on Wednesday 2026-11-25
(Asia/Shanghai; lunch orders close at 10:00, dinner at 15:00), a message and the expected
date, meal, quantity and delivery. Prints the figures and every miss; asserts nothing.
Goal: slot match ≥ 0.90.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp.intents import understand  # noqa: E402

SETS = {
    "held-out (written beside the rules)": ROOT / "tests" / "data" / "heldout-meal-slots.tsv",
    "blind (written from the spec alone)": ROOT / "tests" / "data" / "blind-meal-slots.tsv",
}
ZONE = ZoneInfo("Asia/Shanghai")


def cases(path: Path) -> list[tuple[datetime, str, dict[str, object]]]:
    """Read a set: hour, text, date, meal, quantity, delivery (1/0) per line."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        hour, text, day, meal, quantity, delivery = line.split("\t")
        now = datetime(2026, 11, 25, int(hour), tzinfo=ZONE)
        expected = {
            "date": day,
            "meal": meal,
            "quantity": int(quantity),
            "delivery": delivery == "1",
        }
        found.append((now, text, expected))
    return found


def measure(path: Path) -> tuple[float, float, list[str]]:
    """Return intent accuracy, exact slot match and the misses on one set."""
    intents = slots = 0
    misses = []
    every = cases(path)
    for now, text, expected in every:
        got = understand(text, now=now)
        intents += got.intent == "meal_order"
        slots += got.slots == expected
        if got.intent != "meal_order" or got.slots != expected:
            misses.append(f"  {now:%H:%M} {text}: {got.intent} {got.slots} (want {expected})")
    return intents / len(every), slots / len(every), misses


if __name__ == "__main__":
    for name, path in SETS.items():
        intent_accuracy, slot_match, missed = measure(path)
        print(
            f"meal orders, {name}, {len(cases(path))} messages: intent {intent_accuracy:.3f}, "
            f"exact slots {slot_match:.3f} (goal ≥ 0.90)"
        )
        print("\n".join(missed))
