"""Operator scale on PostgreSQL: staff views and exports of one community among 69.

The goal (the seed's operator: 69 communities, 100,000+ residents): with 100,000 residents and
1,000,000 suggestions, staff counts and exports for one community stay under 1 s, and fanning a
broadcast out to every resident (writing its delivery rows) takes under 10 s.

This seeds ``linli_bench`` (bench/_scale_seed.py; once, then reused), then times linli's own code
paths for the largest community and a median one: staff commands through the dispatcher, as a
staff member's message is handled (``/stats``, ``/open``, ``/orders``, ``/eventlist``,
``/roster``, ``/handoffs``), and the functions behind ``linli suggestions export``, ``linli orders
export`` and ``linli events export`` writing to a temporary file. Each runs once to warm up, then
``--repeat`` times; the table shows the first run, p50 and max. Operator-wide views (all 69) and
the staff-digest job's query are shown too, against the same 1 s. For anything SLOW or CLOSE
(max ≥ half the goal) the SELECTs it ran are EXPLAIN ANALYZEd and the costliest plan is printed;
``--try-index "CREATE INDEX …"`` builds a candidate index, measures again and drops it, and
``--try-db-setting jit=off`` does the same with a server setting (ALTER DATABASE, then RESET).

Last, the baseline of the coming broadcast fan-out: one ``INSERT INTO outbox … SELECT`` over
every active resident's accounts, inside a transaction that is rolled back (with the text in each
row, and in the shape of migration 0011: broadcast_id + resident_id), then
``storage.broadcasts.fan_out`` itself when it exists, and where the time goes. Prints figures;
asserts nothing. The first run seeds for about two minutes; later runs reuse the data.

    .venv/bin/python bench/operator_scale.py                 # seed if needed, measure all
    .venv/bin/python bench/operator_scale.py --skip-seed --only /open --try-index \
        "CREATE INDEX ix_suggestions_active ON suggestions (urgent DESC, id)
         WHERE status IN ('open', 'replied', 'reopened')"
    .venv/bin/python bench/operator_scale.py --skip-seed --only export --try-db-setting jit=off

Other flags: --url (default postgresql://postgres@127.0.0.1:5432/linli_bench, or
$LINLI_BENCH_SCALE_URL), --force-seed, --repeat, --fanout-repeat, --no-fanout, --skip-staff,
--explain-all, --keep-indexes, --cli (also time the real ``linli suggestions export`` process),
--communities/--residents/--suggestions (a smaller seed for a quick try).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _scale_seed import DEFAULT_URL, ensure_current, ensure_database, seed, staff_account

from bot.app import App, open_app
from bot.config import Config
from handlers import texts
from handlers.types import Incoming

GOAL_MS = 1000.0
FANOUT_GOAL_S = 10.0
ROOT = Path(__file__).resolve().parent.parent
NOTICE = (
    "【停水通知】因市政管网维修,本周六(11月29日)8:00–18:00 全小区停水,请提前储水。"
    "如有困难请联系物业服务中心,电话 0571-88886666。"
)


@dataclass
class Community:
    """A community measured: its id, slug, residents and suggestions."""

    id: int
    slug: str
    residents: int
    suggestions: int
    label: str = ""
    tomorrow: Any = None
    big_activity: int = 0


@dataclass
class Op:
    """One timed operation: a name, where it runs, and the call (returns what it produced)."""

    name: str
    where: str
    call: Callable[[], Awaitable[str]]
    goal_ms: float = GOAL_MS
    first_ms: float = 0.0
    runs_ms: list[float] = field(default_factory=list)
    result: str = ""
    error: str = ""
    statements: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def p50(self) -> float:
        """Return the median of the timed runs."""
        return statistics.median(self.runs_ms) if self.runs_ms else float("nan")

    @property
    def worst(self) -> float:
        """Return the slowest timed run."""
        return max(self.runs_ms) if self.runs_ms else float("nan")

    @property
    def verdict(self) -> str:
        """Return OK, CLOSE (max ≥ half the goal) or SLOW (max ≥ the goal)."""
        if self.error:
            return "ERROR"
        if self.worst >= self.goal_ms:
            return "SLOW"
        return "CLOSE" if self.worst >= self.goal_ms / 2 else "OK"


class Recorder:
    """Collect the SELECTs an operation sends (to EXPLAIN them afterwards)."""

    def __init__(self, app: App) -> None:
        self.active = False
        self.statements: list[tuple[str, Any]] = []
        event.listen(app.engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(
        self, _conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool
    ) -> None:
        if self.active and not many and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.statements.append((statement, tuple(params or ())))


async def time_op(op: Op, repeat: int, recorder: Recorder) -> None:
    """Run an operation once to warm up, then ``repeat`` times; keep the SQL of the last run."""
    try:
        start = time.perf_counter()
        op.result = await op.call()
        op.first_ms = (time.perf_counter() - start) * 1000
        op.runs_ms = []
        for i in range(repeat):
            recorder.active, recorder.statements = i == repeat - 1, []
            start = time.perf_counter()
            await op.call()
            op.runs_ms.append((time.perf_counter() - start) * 1000)
            recorder.active = False
        seen: dict[str, tuple[str, Any]] = {}
        for statement, params in recorder.statements:
            seen.setdefault(statement + repr(params), (statement, params))
        op.statements = list(seen.values())
    except Exception as exc:  # a broken operation is a row in the table, not the end of the run
        recorder.active = False
        op.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]


def pad(value: str, width: int) -> str:
    """Pad to a display width (a Chinese character takes two columns)."""
    wide = sum(1 for ch in value if unicodedata.east_asian_width(ch) in "WF")
    return value + " " * max(0, width - len(value) - wide)


def megabytes(path: Path) -> float:
    """Return the size of a file in MB."""
    return os.path.getsize(path) / 1e6


def said(app: App, account: tuple[str, str], message: str) -> Callable[[], Awaitable[str]]:
    """Return a call that sends a staff message through the dispatcher and returns its answer."""

    async def call() -> str:
        incoming = Incoming(account[0], account[1], message, display_name="压测员")
        replies = await app.dispatcher.handle(incoming)
        answer = "\n".join(r.text for r in replies if r.text != texts.PRIVACY_NOTICE)
        if texts.SORRY in answer:
            raise RuntimeError(f"{message!r} failed (see the log above)")
        return answer

    return call


def suggestions_export(app: App, slug: str, fmt: str, out: Path) -> Callable[[], Awaitable[str]]:
    """Return a call doing what ``linli suggestions export --community SLUG`` does."""

    async def call() -> str:
        from bot.files.suggestions import export_suggestions
        from storage import communities
        from storage.scoping import Scope

        async with app.read_maker() as session:
            community = await communities.get_by_slug(session, slug)
            assert community is not None
            rows = await export_suggestions(session, Scope.of(community.id), fmt, out)
        return f"{rows:,} rows, {megabytes(out):.1f} MB"

    return call


def orders_export(app: App, community: Community, out: Path) -> Callable[[], Awaitable[str]]:
    """Return a call doing what ``linli orders export --date … --community SLUG`` does."""

    async def call() -> str:
        from bot.files.activities import write_roster
        from bot.files.menus import ORDER_FIELDS, order_rows

        async with app.read_maker() as session:
            rows = await order_rows(session, community.id, community.tomorrow)
        write_roster(rows, "csv", out, ORDER_FIELDS)
        return f"{len(rows):,} orders"

    return call


def events_export(app: App, activity_id: int, out: Path) -> Callable[[], Awaitable[str]]:
    """Return a call doing what ``linli events export ACTIVITY`` does."""

    async def call() -> str:
        from bot.files.activities import roster_rows, write_roster
        from storage import activities

        async with app.read_maker() as session:
            assert await activities.get(session, activity_id) is not None
            zone = ZoneInfo(app.config.community.timezone)
            rows = await roster_rows(session, activity_id, zone)
        write_roster(rows, "csv", out)
        return f"{len(rows):,} sign-ups"

    return call


def digest_job(app: App) -> Callable[[], Awaitable[str]]:
    """Return a call to the query of the staff-digest job (suggestions staff were not told of)."""

    async def call() -> str:
        from storage import suggestions as store

        async with app.read_maker() as session:
            found = await store.unalerted(session)
        return f"{len(found)} unalerted"

    return call


def cli_export(url: str, slug: str, out: Path) -> Callable[[], Awaitable[str]]:
    """Return a call running the real ``linli suggestions export`` process (start-up included)."""

    async def call() -> str:
        env = {**os.environ, "LINLI_DATABASE_URL": url}
        command = [str(ROOT / ".venv" / "bin" / "linli"), "suggestions", "export"]
        command += ["--community", slug, "--format", "csv", "--out", str(out)]
        done = await asyncio.to_thread(
            subprocess.run, command, env=env, cwd=out.parent, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
        return f"{megabytes(out):.1f} MB"

    return call


async def pick_communities(app: App) -> list[Community]:
    """Return the largest community and a median one (by residents)."""
    async with app.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT c.id, c.slug, r.n, coalesce(s.n, 0) FROM communities c "
                    "JOIN (SELECT community_id, count(*) AS n FROM residents "
                    "GROUP BY community_id) r ON r.community_id = c.id "
                    "LEFT JOIN (SELECT community_id, count(*) AS n FROM suggestions "
                    "GROUP BY community_id) s ON s.community_id = c.id ORDER BY r.n DESC, c.id"
                )
            )
        ).all()
    if not rows:
        raise SystemExit("the database has no residents: run without --skip-seed")
    largest, median = rows[0], rows[len(rows) // 2]
    found = [Community(*largest), Community(*median)]
    for community in found:
        community.label = f"{community.slug} ({community.residents:,} res.)"
    return found


async def grant_staff(app: App, chosen: list[Community]) -> None:
    """Make sure the accounts the benchmark speaks as are staff (the seed made them so)."""
    from storage import staff as staff_store
    from storage.engine import transaction

    async with transaction(app.maker) as session:
        for community_id in [c.id for c in chosen] + [None]:
            channel, external_id = staff_account(community_id)
            await staff_store.add(session, channel, external_id, community_id)


def build_ops(app: App, chosen: list[Community], tmp: Path, url: str, cli: bool) -> list[Op]:
    """Return the operations to time, for each community, then operator-wide."""
    ops: list[Op] = []
    for c in chosen:
        staff = staff_account(c.id)
        where = c.label
        ops += [
            Op("/stats 统计", where, said(app, staff, "/stats")),
            Op("/open 待办", where, said(app, staff, "/open")),
            Op("export csv", where, suggestions_export(app, c.slug, "csv", tmp / f"{c.id}.csv")),
            Op(
                "export jsonl",
                where,
                suggestions_export(app, c.slug, "jsonl", tmp / f"{c.id}.jsonl"),
            ),
            Op("/orders 明天 (kitchen)", where, said(app, staff, "/orders 明天")),
            Op("orders export csv", where, orders_export(app, c, tmp / f"orders-{c.id}.csv")),
            Op("/eventlist 活动管理", where, said(app, staff, "/eventlist")),
            Op(f"/roster {c.big_activity}", where, said(app, staff, f"/roster {c.big_activity}")),
            Op(
                "events export csv",
                where,
                events_export(app, c.big_activity, tmp / f"roster-{c.id}.csv"),
            ),
            Op("/handoffs 人工会话", where, said(app, staff, "/handoffs")),
        ]
        if cli:
            out = tmp / f"cli-{c.id}.csv"
            ops.append(Op("linli suggestions export", where, cli_export(url, c.slug, out)))
    operator = staff_account(None)
    everyone = "operator (all communities)"
    ops += [
        Op("/stats 统计", everyone, said(app, operator, "/stats")),
        Op("/open 待办", everyone, said(app, operator, "/open")),
        Op("/handoffs 人工会话", everyone, said(app, operator, "/handoffs")),
        Op("digest job: unalerted()", everyone, digest_job(app)),
    ]
    return ops


def print_table(ops: list[Op], title: str) -> None:
    """Print operation, community, first run, p50, max, goal and verdict."""
    print(f"\n{title}")
    head = (
        f"{'operation':26s} {'community':28s} {'first ms':>9s} {'p50 ms':>8s} "
        f"{'max ms':>8s} {'goal ms':>8s}  verdict  result"
    )
    print(head)
    print("-" * len(head))
    for op in ops:
        where = f"{pad(op.name, 26)} {pad(op.where, 28)}"
        if op.error:
            print(f"{where} {'':>27s} {op.goal_ms:8.0f}  ERROR    {op.error}")
            continue
        result = op.result.splitlines()[0][:40] if op.result else ""
        print(
            f"{where} {op.first_ms:9.1f} {op.p50:8.1f} {op.worst:8.1f} "
            f"{op.goal_ms:8.0f}  {op.verdict:7s}  {result}"
        )


async def explain(app: App, op: Op, lines: int = 40) -> None:
    """EXPLAIN ANALYZE the SELECTs an operation ran; print a summary and the costliest plan."""
    timed: list[tuple[float, str, Any]] = []
    async with app.engine.connect() as conn:
        for statement, params in op.statements:
            sql = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement
            raw = (await conn.exec_driver_sql(sql, params)).scalar()
            plan = json.loads(raw) if isinstance(raw, str) else raw
            timed.append((float(plan[0]["Execution Time"]), statement, params))
        await conn.rollback()
        if not timed:
            print(f"\nEXPLAIN {op.name} @ {op.where}: no SELECT recorded")
            return
        timed.sort(key=lambda t: t[0], reverse=True)
        total = sum(t[0] for t in timed)
        print(
            f"\nEXPLAIN {op.name} @ {op.where}: {len(timed)} SELECTs, {total:.1f} ms in the "
            f"database of {op.p50:.1f} ms (p50); the costliest:"
        )
        for ms, statement, _ in timed[:3]:
            print(f"  {ms:8.1f} ms  {' '.join(statement.split())[:150]}")
        _, statement, params = timed[0]
        sql = "EXPLAIN (ANALYZE, BUFFERS) " + statement
        plan_lines = [r[0] for r in await conn.exec_driver_sql(sql, params)]
        await conn.rollback()
    print("  plan of the costliest:")
    for line in plan_lines[:lines]:
        print(f"    {line}")
    if len(plan_lines) > lines:
        print(f"    … {len(plan_lines) - lines} more lines, of which:")
        for line in plan_lines[lines:]:
            if re.match(r"\s*(Timing:|Execution Time|Planning Time)", line):
                print(f"    {line}")


async def try_index(
    app: App, definition: str, ops: list[Op], repeat: int, recorder: Recorder, keep: bool
) -> None:
    """Build a candidate index, time the given operations again, then drop it (unless kept)."""
    found = re.search(
        r"INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+ON\s+(\w+)", definition, re.I
    )
    if not found:
        print(
            f"\n--try-index needs a named index: CREATE INDEX name ON table (…); got {definition}"
        )
        return
    name, table = found.groups()
    autocommit = app.engine.execution_options(isolation_level="AUTOCOMMIT")
    start = time.perf_counter()
    async with autocommit.connect() as conn:
        await conn.exec_driver_sql(definition)
        await conn.exec_driver_sql(f"ANALYZE {table}")
        size = await conn.scalar(text(f"SELECT pg_size_pretty(pg_relation_size('{name}'))"))
    print(f"\nwith {definition}\n  (built in {time.perf_counter() - start:.1f} s, {size})")
    await remeasure(app, name, ops, repeat, recorder)
    if keep:
        print(f"  kept {name} (drop it with: DROP INDEX {name};)")
        return
    async with autocommit.connect() as conn:
        await conn.exec_driver_sql(f"DROP INDEX {name}")
    print(f"  dropped {name}")


async def try_setting(
    app: App, setting: str, ops: list[Op], repeat: int, recorder: Recorder
) -> None:
    """Set a server setting for the database (new connections), time again, then reset it."""
    name, _, value = (part.strip() for part in setting.partition("="))
    if not re.fullmatch(r"\w+", name) or not re.fullmatch(r"[\w.]+", value):
        print(f"\n--try-db-setting needs NAME=VALUE, e.g. jit=off; got {setting}")
        return
    database = app.engine.url.database
    autocommit = app.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with autocommit.connect() as conn:
        await conn.exec_driver_sql(f"ALTER DATABASE \"{database}\" SET {name} = '{value}'")
    await app.engine.dispose()  # pooled connections keep the old value
    print(f"\nwith ALTER DATABASE {database} SET {name} = {value}")
    try:
        await remeasure(app, f"{name}={value}", ops, repeat, recorder)
    finally:
        async with autocommit.connect() as conn:
            await conn.exec_driver_sql(f'ALTER DATABASE "{database}" RESET {name}')
        await app.engine.dispose()
        print(f"  reset {name}")


async def remeasure(app: App, label: str, ops: list[Op], repeat: int, recorder: Recorder) -> None:
    """Time operations again and print them next to the figures they had."""
    before = {(op.name, op.where): (op.p50, op.worst) for op in ops}
    again = [Op(op.name, op.where, op.call, op.goal_ms) for op in ops]
    for op in again:
        await time_op(op, repeat, recorder)
    print_table(again, f"again with {label}:")
    for op in again:
        p50, worst = before[(op.name, op.where)]
        print(
            f"  {pad(op.name, 26)} {pad(op.where, 28)} p50 {p50:8.1f} → {op.p50:8.1f} ms, "
            f"max {worst:8.1f} → {op.worst:8.1f} ms"
        )
    for op in again:
        if op.verdict != "OK" and op.statements:
            await explain(app, op, lines=25)


async def outbox_columns(app: App) -> set[str]:
    """Return the columns the live outbox table has."""
    async with app.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT column_name FROM information_schema.columns WHERE table_name = 'outbox'")
        )
        return {r for (r,) in rows}


async def fan_out_baseline(app: App, repeat: int) -> None:
    """Time writing one delivery row per active resident's account, rolled back each time."""
    columns = await outbox_columns(app)
    payload = json.dumps({"text": NOTICE, "buttons": [], "image": None}, ensure_ascii=False)
    base = {
        "community_id": "r.community_id",
        "channel": "a.channel",
        "recipient": "a.external_id",
        "kind": "'broadcast'",
        "urgent": "false",
        "status": "'pending'",
        "attempts": "0",
        "not_before": "now()",
        "created_at": "now()",
    }
    variants: list[tuple[str, dict[str, str], bool]] = [
        (
            "text in every row's payload",
            {**base, "payload": f"CAST('{_sql_str(payload)}' AS json)"},
            False,
        )
    ]
    if {"broadcast_id", "resident_id"} <= columns:
        variants.append(
            (
                "broadcast_id + resident_id, payload {} (0011's shape)",
                {
                    **base,
                    "payload": "CAST('{}' AS json)",
                    "broadcast_id": ":broadcast_id",
                    "resident_id": "r.id",
                },
                True,
            )
        )
    print(
        f"\nBroadcast fan-out baseline: INSERT INTO outbox … SELECT FROM residents JOIN "
        f"channel_accounts (active residents), rolled back; goal < {FANOUT_GOAL_S:.0f} s"
    )
    for name, values, needs_broadcast in variants:
        chosen = {c: v for c, v in values.items() if c in columns}
        sql = (
            f"INSERT INTO outbox ({', '.join(chosen)}) SELECT {', '.join(chosen.values())} "
            "FROM residents r JOIN channel_accounts a ON a.resident_id = r.id WHERE r.active"
        ).replace(":broadcast_id", "CAST(:broadcast_id AS int)")
        runs, rows, wal = [], 0, 0.0
        for _ in range(repeat):
            async with app.engine.connect() as conn:
                trans = await conn.begin()
                params: dict[str, Any] = {}
                if needs_broadcast:
                    params["broadcast_id"] = await _scratch_broadcast(conn)
                lsn = "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')"
                before = float(await conn.scalar(text(lsn)))
                start = time.perf_counter()
                result = await conn.execute(text(sql), params)
                runs.append(time.perf_counter() - start)
                rows = result.rowcount or 0
                wal = float(await conn.scalar(text(lsn))) - before
                await trans.rollback()
        p50, worst = statistics.median(runs), max(runs)
        verdict = (
            "SLOW" if worst >= FANOUT_GOAL_S else "CLOSE" if worst >= FANOUT_GOAL_S / 2 else "OK"
        )
        print(
            f"  {name:52s} {rows:>8,} rows  p50 {p50:6.2f} s  max {worst:6.2f} s  "
            f"{rows / p50:8,.0f} rows/s  WAL {wal / 1e6:5.0f} MB  {verdict}"
        )
    await _real_fan_out(app, repeat)
    await _fan_out_breakdown(app, sql, needs_broadcast)
    # The rolled-back rows are dead tuples in outbox and its indexes: clear them for next time.
    autocommit = app.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with autocommit.connect() as conn:
        await conn.exec_driver_sql("VACUUM ANALYZE outbox")


async def _fan_out_breakdown(app: App, sql: str, needs_broadcast: bool) -> None:
    """EXPLAIN ANALYZE the last variant once: where the time goes (query, indexes, triggers)."""
    async with app.engine.connect() as conn:
        trans = await conn.begin()
        params = {"broadcast_id": await _scratch_broadcast(conn)} if needs_broadcast else {}
        plan = [r[0] for r in await conn.execute(text("EXPLAIN (ANALYZE, WAL) " + sql), params)]
        await trans.rollback()
    total = next((p for p in plan if p.startswith("Execution Time")), "")
    print(f"  where the time of the last one goes (EXPLAIN ANALYZE, {total.lower()}):")
    ends = []
    for line in (plan[0], next((p for p in plan[1:] if p.lstrip().startswith("->")), "")):
        found = re.search(r"actual time=[\d.]+\.\.([\d.]+)", line)
        ends.append(float(found.group(1)) if found else 0.0)
    print(f"    {'the SELECT (residents ⋈ accounts)':40s} {ends[1]:9.0f} ms")
    print(f"    {'writing rows and index entries':40s} {ends[0] - ends[1]:9.0f} ms")
    for line in plan:
        found = re.match(r"Trigger for constraint (\w+): time=([\d.]+) calls=(\d+)", line)
        if found:
            name, ms, calls = found.groups()
            print(f"    {'FK check ' + name:40s} {float(ms):9.0f} ms ({int(calls):,} calls)")


async def _scratch_broadcast(conn: Any) -> int:
    """Insert a broadcasts row (in the caller's transaction) for delivery rows to point at."""
    values = {
        "community_id": "NULL",
        "text": f"'{_sql_str(NOTICE)}'",
        "kind": "'notice'",
        "urgent": "false",
        "audience": 'CAST(\'{"kind": "all"}\' AS json)',
        "status": "'sending'",
        "send_at": "now()",
        "created_by": "'bench'",
        "created_at": "now()",
        "report": "CAST('{}' AS json)",
    }
    rows = await conn.execute(
        text("SELECT column_name FROM information_schema.columns WHERE table_name = 'broadcasts'")
    )
    have = {r for (r,) in rows}
    chosen = {c: v for c, v in values.items() if c in have}
    sql = (
        f"INSERT INTO broadcasts ({', '.join(chosen)}) "
        f"VALUES ({', '.join(chosen.values())}) RETURNING id"
    )
    return int(await conn.scalar(text(sql)))


async def _real_fan_out(app: App, repeat: int) -> None:
    """Time ``storage.broadcasts.fan_out`` to everyone, if that code exists yet (rolled back)."""
    try:
        from storage.broadcasts import fan_out
        from storage.models import Broadcast
        from storage.scoping import Scope
    except ImportError as exc:
        print(f"  storage.broadcasts.fan_out: not measured ({exc})")
        return
    runs, rows = [], 0
    try:
        for _ in range(repeat):
            # Never committed: closing the session rolls the rows back.
            async with app.maker() as session:
                now = datetime.now(UTC)
                broadcast = Broadcast(
                    text=NOTICE, audience={"kind": "all"}, created_by="bench", send_at=now
                )
                session.add(broadcast)
                await session.flush()
                start = time.perf_counter()
                rows = await fan_out(session, broadcast, Scope.operator(), now, now)
                await session.flush()
                runs.append(time.perf_counter() - start)
    except Exception as exc:  # the feature is being built: report, don't stop the benchmark
        print(f"  storage.broadcasts.fan_out: failed ({type(exc).__name__}: {exc})"[:300])
        return
    p50, worst = statistics.median(runs), max(runs)
    verdict = "SLOW" if worst >= FANOUT_GOAL_S else "CLOSE" if worst >= FANOUT_GOAL_S / 2 else "OK"
    print(
        f"  {'storage.broadcasts.fan_out (all, real code)':52s} {rows:>8,} rows  p50 {p50:6.2f} s  "
        f"max {worst:6.2f} s  {rows / p50:8,.0f} rows/s  {'':9s}  {verdict}"
    )


def _sql_str(value: str) -> str:
    return value.replace("'", "''")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("LINLI_BENCH_SCALE_URL", DEFAULT_URL))
    parser.add_argument("--skip-seed", action="store_true", help="use the database as it is")
    parser.add_argument("--force-seed", action="store_true", help="drop everything and reseed")
    parser.add_argument("--communities", type=int, default=69)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--suggestions", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after the warm-up")
    parser.add_argument("--fanout-repeat", type=int, default=3)
    parser.add_argument("--no-fanout", action="store_true", help="skip the fan-out baseline")
    parser.add_argument(
        "--only", action="append", default=[], metavar="TEXT", help="time only operations named so"
    )
    parser.add_argument("--skip-staff", action="store_true", help="only the fan-out baseline")
    parser.add_argument("--cli", action="store_true", help="also time the linli export process")
    parser.add_argument("--explain-all", action="store_true", help="EXPLAIN every operation")
    parser.add_argument(
        "--try-index",
        action="append",
        default=[],
        metavar="SQL",
        help='a candidate "CREATE INDEX name ON table (…)" to measure with (repeatable)',
    )
    parser.add_argument("--keep-indexes", action="store_true", help="keep --try-index indexes")
    parser.add_argument(
        "--try-db-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a server setting to measure with, e.g. jit=off (repeatable; reset afterwards)",
    )
    args = parser.parse_args()

    await ensure_database(args.url)
    if not args.skip_seed:
        await seed(args.url, args.communities, args.residents, args.suggestions, args.force_seed)
    app = await open_app(
        Config.model_validate({"database": {"url": args.url}}), create_default=False
    )
    try:
        chosen = await pick_communities(app)
        async with app.engine.begin() as conn:
            for c in chosen:
                c.tomorrow, c.big_activity = await ensure_current(conn, c.id)
        await grant_staff(app, chosen)
        for c in chosen:
            print(
                f"community {c.slug}: {c.residents:,} residents, {c.suggestions:,} suggestions, "
                f"kitchen day {c.tomorrow}, activity #{c.big_activity}"
            )
        recorder = Recorder(app)
        with tempfile.TemporaryDirectory(prefix="linli-scale-") as tmp:
            ops = [] if args.skip_staff else build_ops(app, chosen, Path(tmp), args.url, args.cli)
            if args.only:
                ops = [op for op in ops if any(o in op.name for o in args.only)]
            for op in ops:
                await time_op(op, args.repeat, recorder)
                print(f"  timed {op.name} @ {op.where}: p50 {op.p50:.1f} ms", flush=True)
            if ops:
                print_table(ops, f"Staff views and exports ({args.repeat} runs after a warm-up):")
            flagged = [op for op in ops if op.verdict in ("SLOW", "CLOSE") or args.explain_all]
            for op in flagged:
                if op.statements:
                    await explain(app, op)
            for definition in args.try_index:
                await try_index(
                    app, definition, flagged or ops, args.repeat, recorder, args.keep_indexes
                )
            for setting in args.try_db_setting:
                await try_setting(app, setting, flagged or ops, args.repeat, recorder)
        if not args.no_fanout:
            await fan_out_baseline(app, args.fanout_repeat)
    finally:
        await app.close()


if __name__ == "__main__":
    asyncio.run(main())
