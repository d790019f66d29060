"""Long messages cost time in proportion to their length, not its square.

Prints, for messages of 1,000 to 8,000 characters of digits, of one Chinese character and of a
mixed sentence, the milliseconds nlp.intents.understand and nlp.urgent.detect take (median of
5). Doubling the length should about double the time.
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime

from nlp import urgent
from nlp.intents import understand

NOW = datetime(2026, 12, 8, 8, 0)
KINDS = {"digits": "1", "one character": "我", "sentence": "明天中午订两份饭送到3栋2单元502,"}


def median_ms(call, text: str) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        call(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    understand("热身", now=NOW)
    urgent.detect("热身")
    print(f"{'message':16s} {'chars':>6s} {'understand ms':>14s} {'urgent ms':>10s}")
    for name, unit in KINDS.items():
        for chars in (1000, 2000, 4000, 8000):
            text = (unit * (chars // len(unit) + 1))[:chars]
            a = median_ms(lambda t: understand(t, now=NOW), text)
            b = median_ms(urgent.detect, text)
            print(f"{name:16s} {chars:6d} {a:14.1f} {b:10.1f}")


if __name__ == "__main__":
    main()
