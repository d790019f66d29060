"""Emergency detection on labelled sets: recall, false alarms on look-alikes, kind accuracy.

Prints figures; asserts nothing. ``tests/data/blind-urgent.tsv`` was written by someone who saw
only the list of kinds in the issue, never the detector or its development set
(``nlp/data/urgent-dev.tsv``). ``--show`` lists every miss and false alarm.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from nlp import urgent
from nlp.train import read_tsv

ROOT = Path(__file__).resolve().parent.parent
# Development and training sets (looked at while writing the rules), then blind sets (never).
SETS = (
    *sorted((ROOT / "nlp" / "data").glob("urgent-*.tsv")),
    *sorted((ROOT / "tests" / "data").glob("blind-urgent*.tsv")),
)


def report(path: Path, show: bool) -> None:
    rows = read_tsv(path)
    emergencies = [(k, t) for k, t in rows if k != "none"]
    lookalikes = [t for k, t in rows if k == "none"]
    missed, wrong_kind, alarms = [], Counter(), []
    for kind, text in emergencies:
        found = urgent.detect(text)
        if found is None:
            missed.append((kind, text))
        elif found.kind != kind:
            wrong_kind[(kind, found.kind)] += 1
    for text in lookalikes:
        found = urgent.detect(text)
        if found is not None:
            alarms.append((found.kind, found.words, text))
    recall = 1 - len(missed) / len(emergencies)
    false_alarms = len(alarms) / len(lookalikes) if lookalikes else 0.0
    right_kind = (len(emergencies) - len(missed) - sum(wrong_kind.values())) / len(emergencies)
    print(
        f"{path.name:22s} recall {recall:.3f} ({len(emergencies) - len(missed)}/{len(emergencies)})"
        f"  false alarms {false_alarms:.3f} ({len(alarms)}/{len(lookalikes)})"
        f"  right kind {right_kind:.3f}"
    )
    if show:
        for kind, text in missed:
            print(f"  MISSED {kind:12s} {text}")
        for kind, words, text in alarms:
            print(f"  ALARM  {kind:12s} [{words}] {text}")
        for (kind, found), n in wrong_kind.most_common():
            print(f"  KIND   {kind}→{found} {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", type=Path, help="label<TAB>text files")
    parser.add_argument("--show", action="store_true", help="list misses and false alarms")
    args = parser.parse_args()
    for path in args.files or [p for p in SETS if p.exists()]:
        report(path, args.show)
    texts = [t for path in SETS for _, t in read_tsv(path)] or ["电梯困人了"]
    start = time.perf_counter()
    for _ in range(5):
        for text in texts:
            urgent.detect(text)
    per = (time.perf_counter() - start) / (5 * len(texts)) * 1e6
    print(f"detect: {per:.0f} µs per message on average")


if __name__ == "__main__":
    main()
