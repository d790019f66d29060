"""Topic classification throughput against plain jieba.lcut on the same lines.

Prints figures; asserts nothing. Goal: classify ≥ 0.5 × the rate of jieba.lcut alone.
"""

from __future__ import annotations

import subprocess
import sys
import time

import jieba

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from _lines import ROOT, resident_lines

from nlp.intents import understand
from nlp.topics import classify

ROUNDS = 5


def rate(fn, lines: list[str]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for line in lines:
            fn(line)
        best = min(best, time.perf_counter() - start)
    return len(lines) / best


def first_answer_seconds(command: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT, text=True
    )
    assert proc.stdin and proc.stdout
    proc.stdin.write("私家车越来越多,要规划好停车位\n")
    proc.stdin.flush()
    proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.stdin.close()
    proc.wait()
    return elapsed


def main() -> None:
    lines = resident_lines()
    jieba.setLogLevel(60)
    jieba.lcut("预热")
    classify("预热")
    understand("预热")
    lcut = rate(jieba.lcut, lines)
    topics = rate(classify, lines)
    intents = rate(understand, lines)
    mean = sum(map(len, lines)) / len(lines)
    print(f"lines: {len(lines)} (mean {mean:.1f} chars), best of {ROUNDS}")
    print(f"jieba.lcut        {lcut:9.0f} lines/s")
    print(
        f"nlp classify      {topics:9.0f} lines/s  ({topics / lcut:.2f} x jieba.lcut; goal >= 0.5)"
    )
    print(f"nlp understand    {intents:9.0f} lines/s  ({intents / lcut:.2f} x jieba.lcut)")
    linli = [sys.executable, "-m", "bot", "nlp"]
    for name in ("classify", "understand"):
        runs = sorted(first_answer_seconds([*linli, name]) for _ in range(3))
        print(f"linli nlp {name:10s} first answer after {runs[1]:.2f} s (median of 3; goal < 1.5)")


if __name__ == "__main__":
    main()
