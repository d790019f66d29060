"""Broadcast send rate: a real worker process sends to N residents through the fault proxy.

Prints the achieved rate against the configured limit (goal: at least 0.95 of it, with 0 lost
and 0 duplicated), the most sends the proxy saw in any one second, and the worker's CPU time
and peak memory. Runs on PostgreSQL (database linli_bench_send, recreated each run) with the
Telegram emulator from tests/telegram behind the proxy (the proxy answers sendMessage itself,
as the emulator manages about 70 a second).

    python bench/broadcast_send.py                   # 10,000 at 500/s (1 and 2 workers) and
                                                     # at 200/s, then 900 at 30/s
    python bench/broadcast_send.py --only 500:2000:2 # one run: limit:recipients:workers
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import open_app  # noqa: E402
from tests.peers.telegram_fault_proxy import FaultProxy  # noqa: E402
from tests.peers.telegram_peer import Peer  # noqa: E402
from tests.support.broadcast_workers import Worker, outcomes, seed, write_config  # noqa: E402
from tests.support.chat import make_config  # noqa: E402

ADMIN = os.environ.get("LINLI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
DATABASE = "linli_bench_send"


def recreate_database(name: str) -> str:
    """Drop and create an empty bench database; return its URL."""
    base = ADMIN.rsplit("/", 1)[0]
    host = base.split("@")[-1].split(":")[0]
    for statement in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
        subprocess.run(["psql", "-q", "-h", host, "-U", "postgres", "-c", statement], check=True)
    return f"{base}/{name}"


def fresh_database() -> str:
    """Drop and create the bench database; return its URL (migrated, default community)."""
    url = recreate_database(DATABASE)

    async def migrate() -> None:
        linli = await open_app(make_config(url))
        await linli.close()

    asyncio.run(migrate())
    return url


def usage(pid: int) -> tuple[float, int]:
    """Return a process's CPU seconds so far and its peak resident memory in MB."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    status = Path(f"/proc/{pid}/status").read_text()
    peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    return cpu, peak // 1024


def run(peer: Peer, limit: float, recipients: int, workers: int = 1) -> None:
    """Send one broadcast to ``recipients`` at ``limit``/s and print what was achieved."""
    url = fresh_database()
    seed(url, recipients)
    with (
        tempfile.TemporaryDirectory() as tmp,
        FaultProxy(peer.bot_url, answer_directly=True) as proxy,
    ):
        paid = limit > 30
        config = write_config(
            Path(tmp) / "linli.toml",
            url,
            proxy.bot_url,
            rate_per_second=limit,
            allow_paid_broadcast=paid,
        )
        running = [Worker(config, f"worker-{n}") for n in range(workers)]
        deadline = time.monotonic() + 60 + 3 * recipients / limit
        cpu = peak = 0.0
        while time.monotonic() < deadline:
            if sum(proxy.deliveries().values()) >= recipients:
                break
            alive = [w for w in running if w.proc.poll() is None]
            if alive:
                measured = [usage(w.proc.pid) for w in alive]
                cpu, peak = sum(c for c, _ in measured), max(p for _, p in measured)
            time.sleep(0.5)
        time.sleep(1)  # a duplicate would arrive by now
        for each in running:
            each.stop()
        sends = proxy.delivered()
        duplicates = sum(proxy.duplicates().values())
        busiest = proxy.max_rate(1.0, attempts=True)
    if not sends:
        print(f"limit {limit:g}/s: nothing was sent (see the worker log)")
        return
    # The rate over the sending itself: from the first delivery to the last.
    span = sends[-1].time - sends[0].time
    achieved = (len(sends) - 1) / span if span > 0 else float("nan")
    lost = recipients - len({d.chat_id for d in sends})
    print(
        f"limit {limit:g}/s, {recipients} recipients, {workers} worker(s): "
        f"achieved {achieved:.1f}/s "
        f"({achieved / limit:.3f} of the limit) over {span:.1f} s; busiest second {busiest}; "
        f"lost {lost}, duplicated {duplicates}; rows {dict(outcomes(url))}; "
        f"workers' CPU {cpu:.1f} s ({cpu / max(span, 1e-9):.0%} of one core), "
        f"peak RSS {peak:.0f} MB"
    )


def main() -> None:
    """Run the configured send-rate measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="one run, limit:recipients[:workers] (e.g. 500:2000:2)")
    args = parser.parse_args()
    runs = [(500.0, 10_000, 1), (500.0, 10_000, 2), (200.0, 10_000, 1), (30.0, 900, 1)]
    if args.only:
        limit, recipients, *workers = args.only.split(":")
        runs = [(float(limit), int(recipients), int(workers[0]) if workers else 1)]
    peer = Peer()
    try:
        for limit, recipients, workers in runs:
            run(peer, limit, recipients, workers)
    finally:
        peer.close()


if __name__ == "__main__":
    main()
