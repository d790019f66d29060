"""A broadcast to thousands survives killed workers, two workers, 429s and blocked users.

Real `linli run --role worker` processes on PostgreSQL send through a fault-injecting proxy in
front of the Telegram emulator; the proxy counts what arrived and when. The rate limit is raised
(500/s, paid broadcasts) so the suite stays short.
"""

from __future__ import annotations

import time as time_module
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import open_app
from tests.peers.telegram_fault_proxy import FaultProxy
from tests.peers.telegram_peer import Peer
from tests.support.broadcast_workers import (
    FIRST_CHAT,
    TOKEN,
    Worker,
    outcomes,
    seed,
    sql,
    wait_until,
    write_config,
)
from tests.support.chat import make_config
from tests.support.databases import truncate_pg

CONCURRENCY = 8  # [outbox] concurrency in the harness config: sends in flight per worker
# Sent but not yet recorded, at most: those in flight and a group of outcomes not yet written.
UNRECORDED = 2 * CONCURRENCY - 1


@pytest.fixture
def peer() -> Iterator[Peer]:
    """The Telegram emulator (for the calls the proxy does not answer itself)."""
    running = Peer()
    yield running
    running.close()


@pytest.fixture
async def pg(pg_server: str) -> str:
    """An empty, migrated PostgreSQL database with its default community."""
    await truncate_pg(pg_server)
    linli = await open_app(make_config(pg_server))
    await linli.close()
    return pg_server


def _settled(url: str, total: int) -> bool:
    counts = outcomes(url)
    return sum(counts.values()) == total and not (counts["pending"] + counts["sending"])


def _all_chats(total: int) -> set[str]:
    return {str(FIRST_CHAT + i) for i in range(1, total + 1)}


def test_killing_the_worker_three_times_loses_nothing(pg: str, peer: Peer, tmp_path: Path) -> None:
    total = 5000
    seed(pg, total)
    with FaultProxy(peer.bot_url, answer_directly=True) as proxy:
        config = write_config(tmp_path / "linli.toml", pg, proxy.bot_url)
        for round_, kill_at in enumerate((1000, 2500, 4000)):
            worker = Worker(config, f"worker-{round_}")
            wait_until(
                lambda kill_at=kill_at: sum(proxy.deliveries().values()) >= kill_at,
                120,
                f"{kill_at} deliveries",
            )
            worker.kill()
        last = Worker(config, "worker-last")
        try:
            wait_until(lambda: _settled(pg, total), 180, "every delivery to settle")
        finally:
            last.stop()
        delivered = proxy.deliveries()
        duplicates = proxy.duplicates()
    assert set(map(str, delivered)) == _all_chats(total)  # every recipient got it: 0 lost
    assert outcomes(pg) == {"sent": total}
    # A duplicate is a send not yet recorded when its worker died: at most UNRECORDED per
    # kill, and each one's row says its first outcome was unknown.
    assert sum(duplicates.values()) <= 3 * UNRECORDED
    retried = {
        chat
        for chat, error, attempts in sql(
            pg, "SELECT recipient, error, attempts FROM outbox WHERE broadcast_id = 1"
        )
        if attempts >= 2 and (error or "").startswith("outcome unknown")
    }
    assert {str(chat) for chat in duplicates} <= retried


def test_two_workers_send_each_message_once(pg: str, peer: Peer, tmp_path: Path) -> None:
    total = 5000
    seed(pg, total)
    with FaultProxy(peer.bot_url, answer_directly=True) as proxy:
        config = write_config(tmp_path / "linli.toml", pg, proxy.bot_url)
        workers = [Worker(config, "a"), Worker(config, "b")]
        try:
            wait_until(lambda: _settled(pg, total), 180, "every delivery to settle")
            leaders = sum(worker.leads() for worker in workers)  # before one stops
        finally:
            for worker in workers:
                worker.stop()
        delivered = proxy.deliveries()
        duplicates = proxy.duplicates()
    assert set(map(str, delivered)) == _all_chats(total) and not duplicates
    senders = sql(pg, "SELECT count(DISTINCT claimed_by) FROM outbox WHERE broadcast_id = 1")
    assert senders == [(2,)]  # both took part
    assert leaders == 1  # one scheduler
    for worker in workers:  # a request's URL holds the bot's token: never logged
        assert TOKEN not in worker.log.read_text(errors="replace")


def test_flood_control_and_blocked_users(pg: str, peer: Peer, tmp_path: Path) -> None:
    total, limit = 200, 60
    seed(pg, total)
    with FaultProxy(peer.bot_url, answer_directly=True) as proxy:
        proxy.fail_429(0.1, retry_after=1, seed=7)
        proxy.block_fraction(0.1, seed=3)
        config = write_config(tmp_path / "linli.toml", pg, proxy.bot_url, rate_per_second=limit)
        worker = Worker(config, "worker")
        try:
            wait_until(lambda: _settled(pg, total), 240, "every delivery to settle")
        finally:
            worker.stop()
        blocked = proxy.blocked_chats()
        # What each blocked chat was asked after its first 403 (a 429 before it may be retried).
        after_403 = {
            chat: [a for a in proxy.attempts(chat) if a.fault == "blocked"][1:]
            + [
                a
                for a in proxy.attempts(chat)
                if a.fault != "blocked"
                and a.time > min(b.time for b in proxy.attempts(chat) if b.fault == "blocked")
            ]
            for chat in blocked
        }
        violations = proxy.violations()
        pauses = [a for a in proxy.attempts() if a.fault == "429"]
        delivered = proxy.deliveries()
        rate = proxy.max_rate(1.0, attempts=True)
    assert 8 <= len(blocked) <= 35 and not any(after_403.values())  # never retried
    counts = outcomes(pg)
    assert counts == {"sent": total - len(blocked), "blocked": len(blocked)}
    inactive = sql(pg, "SELECT count(*) FROM residents WHERE NOT active")
    assert inactive == [(len(blocked),)]
    assert set(map(str, delivered)) == _all_chats(total) - {str(c) for c in blocked}
    assert len(pauses) >= 8
    # Sends already on the wire when a 429 came back may arrive in its pause; none may start
    # after linli heard it. The proxy shares a busy process with the test, so an arrival can
    # be stamped up to a few hundred milliseconds after it was sent.
    for violation in violations:
        started = violation.pause_until - 1.0  # retry_after
        assert violation.time - started < 0.3, violation
    assert rate <= limit  # measured at the proxy, 429s and 403s included


def test_blocked_residents_are_skipped_next_time(pg: str, peer: Peer, tmp_path: Path) -> None:
    seed(pg, 50)
    with FaultProxy(peer.bot_url, answer_directly=True) as proxy:
        proxy.block([FIRST_CHAT + 1, FIRST_CHAT + 2])
        config = write_config(tmp_path / "linli.toml", pg, proxy.bot_url)
        worker = Worker(config, "worker")
        try:
            wait_until(lambda: _settled(pg, 50), 60, "the first broadcast")
            sql(
                pg,
                "INSERT INTO broadcasts (community_id, text, kind, urgent, audience, status,"
                " send_at, created_by, created_at, report) VALUES (1, '第二条', 'notice', false,"
                " '{\"kind\": \"all\"}', 'scheduled', now(), '', now(), '{}')",
            )
            wait_until(
                lambda: (
                    sql(
                        pg, "SELECT count(*) FROM outbox WHERE broadcast_id = 2 AND status = 'sent'"
                    )
                    == [(48,)]
                ),
                60,
                "the second broadcast",
            )
        finally:
            worker.stop()
        assert proxy.attempts_to(FIRST_CHAT + 1) == 1 and proxy.attempts_to(FIRST_CHAT + 2) == 1
    assert sql(pg, "SELECT count(*) FROM outbox WHERE broadcast_id = 2") == [(48,)]


def test_the_scheduler_moves_when_its_holder_is_killed(pg: str, peer: Peer, tmp_path: Path) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime.now(zone)
    due = (now + timedelta(seconds=30)).replace(microsecond=0)
    if due.time() >= time(23, 57) or due.date() != now.date():
        pytest.skip("too close to midnight for a prompt before the cut-off today")
    seed(pg, 1)
    sql(pg, "UPDATE broadcasts SET status = 'cancelled'")
    sql(pg, 'UPDATE residents SET consents = \'{"meal_prompt": "2026-11-01"}\'')
    sql(
        pg,
        "INSERT INTO menus (community_id, day, meal, dishes, price_cents)"
        " VALUES (1, :day, 'lunch', '红烧肉 青菜', 1000)",
        day=due.date(),
    )
    canteen = [
        f'prompt_time = "{due:%H:%M:%S}"',
        'lunch_cutoff = "23:58"',
        'dinner_cutoff = "23:59"',
        f'extra_open_days = ["{due:%Y-%m-%d}"]',
    ]
    with FaultProxy(peer.bot_url, answer_directly=True) as proxy:
        config = write_config(tmp_path / "linli.toml", pg, proxy.bot_url, canteen)
        workers = [Worker(config, "a"), Worker(config, "b")]
        try:
            wait_until(lambda: any(w.leads() for w in workers), 60, "a scheduler")
            holder = next(w for w in workers if w.leads())
            other = next(w for w in workers if w is not holder)
            seconds_left = (due - datetime.now(zone)).total_seconds()
            time_module.sleep(max(0.0, seconds_left - 3))
            assert not proxy.deliveries(), "the prompt went out before the holder was killed"
            holder.kill()  # three seconds before the prompt is due
            wait_until(other.leads, 30, "the other instance to take the scheduler over")
            wait_until(lambda: sum(proxy.deliveries().values()) >= 1, 60, "the prompt")
            # Anything sent twice would arrive by now: the outbox is polled every 0.2 s.
            time_module.sleep(2)
        finally:
            for worker in workers:
                worker.stop()
        delivered = proxy.delivered()
    assert len(delivered) == 1 and "今天幸福食堂" in (delivered[0].text or "")
