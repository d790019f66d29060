"""``linli suggestions export``: PostgreSQL (COPY) and SQLite (Python) write the same bytes."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.app import App, open_app
from bot.files.suggestions import export_suggestions
from storage import communities, residents, suggestion_export
from storage import suggestions as store
from storage.engine import transaction
from storage.scoping import Scope
from tests.support.chat import make_config
from tests.support.cli import run
from tests.support.databases import truncate_pg

WHEN = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
# (text, confidence, status, created_at): residents' text that breaks naive exporters.
SUGGESTIONS = [
    ('=HYPERLINK("http://evil.example","点我")', 0.873, "open", WHEN),
    ("+86 电话,请回电", 1.0, "replied", WHEN + timedelta(microseconds=120)),
    ("-1分, 太差了", 0.0, "resolved", WHEN.astimezone(timezone(timedelta(hours=8)))),
    ("@物业 看一下", 0.1 + 0.2, "closed", WHEN + timedelta(days=1, microseconds=999999)),
    ("\t制表符开头", 1e-05, "open", WHEN),
    ("\r回车开头", 0.5, "open", WHEN),
    ("多行\n第二行\r\n第三行", 0.25, "reopened", WHEN),
    ('他说"你好", 然后走了', 0.333, "open", WHEN),
    ("", 0.1, "withdrawn", WHEN),
    ("控制字符\x01\x1f反斜杠\\ 分隔\u2028 表情🙂", 0.9, "open", WHEN),
    (" =前面有空格", 0.6, "open", WHEN),
    ('"', 0.7, "open", WHEN),
    ("楼道的灯坏了好几天了,请尽快修理。", 0.95, "merged", WHEN),
]
# Residents' names: None (never given) and "" as well as formulas.
NAMES = ["=cmd|' /C calc'!A0", "张阿姨", None, "", "-李四", '"老陈"']
# Scores per suggestion (by position): 3.33, 4.0, 4.5, 3.125 (rounded half up), only
# unrated (None), and 2.0 from one score beside an unrated one.
RATINGS = {0: [3, 3, 4], 1: [4, 4], 2: [5, 4], 3: [3, 3, 3, 3, 3, 3, 3, 4], 4: [None], 5: [None, 2]}


async def _seed(app: App) -> tuple[int, int]:
    """Store the same two communities, residents, suggestions, supporters and ratings."""
    async with transaction(app.maker) as session:
        east = (await communities.add(session, "east", "东苑小区")).id
        west = (await communities.add(session, "west", "西苑小区")).id
        people = [
            (await residents.create(session, "console", f"r{i}", display_name=name)).id
            for i, name in enumerate(NAMES)
        ]
        raters = [
            (await residents.create(session, "console", f"rater{i}", community_id=east)).id
            for i in range(8)
        ]
        for i, (text, confidence, status, created) in enumerate(SUGGESTIONS):
            number = (
                await store.create(
                    session,
                    community_id=east,
                    resident_id=None if i == 7 else people[i % len(people)],
                    channel="console",
                    text=text,
                    topic="other" if i % 2 else "parking",
                    confidence=confidence,
                    status=status,
                    created_at=created,
                )
            ).id
            for rater, score in zip(raters, RATINGS.get(i, []), strict=False):
                await store.add_rating(session, number, rater, score, False, 1)
            if i == 0:
                for supporter in raters[:2]:
                    await store.add_supporter(session, number, supporter)
        await store.create(
            session,
            community_id=west,
            resident_id=people[1],
            channel="console",
            text="=西苑的建议",
            topic="noise",
            confidence=0.4,
            status="open",
            created_at=WHEN,
        )
    return east, west


@pytest.fixture
async def apps(sqlite_url: str, pg_server: str) -> AsyncIterator[dict[str, App]]:
    """The same data on SQLite and on PostgreSQL."""
    await truncate_pg(pg_server)
    opened = {
        "sqlite": await open_app(make_config(sqlite_url), create_default=False),
        "postgres": await open_app(make_config(pg_server), create_default=False),
    }
    try:
        for app in opened.values():
            assert await _seed(app) == (1, 2)
        yield opened
    finally:
        for app in opened.values():
            await app.close()


async def _export(app: App, scope: Scope, fmt: str, out: Path, with_names: bool) -> bytes:
    async with app.read_maker() as session:
        written = await export_suggestions(session, scope, fmt, out, with_names=with_names)
    assert written == (len(SUGGESTIONS) + (1 if scope.community_ids is None else 0))
    return await asyncio.to_thread(out.read_bytes)


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_psycopg_urls_export_what_asyncpg_exports(
    apps: dict[str, App], pg_server: str, tmp_path: Path, fmt: str
) -> None:
    url = pg_server.replace("postgresql://", "postgresql+psycopg://")
    psycopg = await open_app(make_config(url), create_default=False)
    try:
        for scope in (Scope.of(1), Scope.operator()):
            asyncpg_bytes = await _export(apps["postgres"], scope, fmt, tmp_path / "a", True)
            psycopg_bytes = await _export(psycopg, scope, fmt, tmp_path / "p", True)
            assert psycopg_bytes == asyncpg_bytes
    finally:
        await psycopg.close()


@pytest.mark.postgres
@pytest.mark.parametrize("with_names", [False, True])
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
async def test_same_bytes_on_sqlite_and_postgres(
    apps: dict[str, App], tmp_path: Path, fmt: str, with_names: bool
) -> None:
    for scope in (Scope.of(1), Scope.operator()):
        sqlite, postgres = [
            await _export(app, scope, fmt, tmp_path / f"{name}.{fmt}", with_names)
            for name, app in apps.items()
        ]
        assert postgres == sqlite, (postgres.decode(), sqlite.decode())


@pytest.mark.postgres
async def test_csv_is_spreadsheet_safe_and_formatted_like_python(
    apps: dict[str, App], tmp_path: Path
) -> None:
    raw = await _export(apps["postgres"], Scope.of(1), "csv", tmp_path / "s.csv", True)
    assert raw.startswith(
        b"id,community,created_at,topic,confidence,status,text,supporters,rating,resident\r\n"
    )
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert [r["id"] for r in rows] == [str(i) for i in range(1, len(SUGGESTIONS) + 1)]
    assert [r["text"] for r in rows] == [
        "'" + text if text[:1] in "=+-@\t\r" and text else text for text, *_ in SUGGESTIONS
    ]
    assert [r["created_at"] for r in rows[:4]] == [
        "2025-03-01T08:00:00+00:00",
        "2025-03-01T08:00:00.000120+00:00",
        "2025-03-01T08:00:00+00:00",
        "2025-03-02T08:00:00.999999+00:00",
    ]
    assert [r["confidence"] for r in rows[:5]] == [
        "0.873",
        "1.0",
        "0.0",
        "0.30000000000000004",
        "1e-05",
    ]
    assert [r["rating"] for r in rows[:7]] == ["3.33", "4.0", "4.5", "3.13", "", "2.0", ""]
    assert [r["supporters"] for r in rows[:2]] == ["2", "0"]
    assert [r["resident"] for r in rows[:8]] == [
        "'=cmd|' /C calc'!A0",
        "张阿姨",
        "",
        "",
        "'-李四",
        '"老陈"',
        "'=cmd|' /C calc'!A0",
        "",  # no resident
    ]
    # Row ends are CRLF (as csv.writer writes them); line breaks inside a quoted cell stay.
    assert '\r\n"多行\n第二行\r\n第三行"'.encode() not in raw
    assert ',"多行\n第二行\r\n第三行",'.encode() in raw
    # An empty text is an empty cell, not "".
    assert b"\r\n9,east,2025-03-01T08:00:00+00:00,parking,0.1,withdrawn,,0,,\r\n" in raw


@pytest.mark.postgres
async def test_json_lines_keep_the_text_as_written(apps: dict[str, App], tmp_path: Path) -> None:
    raw = await _export(apps["postgres"], Scope.of(1), "jsonl", tmp_path / "s.jsonl", True)
    lines = raw.decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == len(SUGGESTIONS) + 1
    rows = [json.loads(line) for line in lines[:-1]]
    assert [r["text"] for r in rows] == [text for text, *_ in SUGGESTIONS]
    assert rows[0] == {
        "id": 1,
        "community": "east",
        "created_at": "2025-03-01T08:00:00+00:00",
        "topic": "parking",
        "confidence": 0.873,
        "status": "open",
        "text": '=HYPERLINK("http://evil.example","点我")',
        "supporters": 2,
        "rating": 3.33,
        "resident": "=cmd|' /C calc'!A0",
    }
    assert [r["resident"] for r in rows[2:4]] == [None, ""] and rows[4]["rating"] is None
    assert lines[0] == json.dumps(rows[0], ensure_ascii=False)


@pytest.mark.postgres
async def test_export_rows_are_the_same_on_both(apps: dict[str, App]) -> None:
    found = []
    for app in apps.values():
        async with app.read_maker() as session:
            found.append(await suggestion_export.export_rows(session, Scope.of(2), with_names=True))
    assert found[0] == found[1]
    assert found[0] == [
        {
            "id": len(SUGGESTIONS) + 1,
            "community": "west",
            "created_at": "2025-03-01T08:00:00+00:00",
            "topic": "noise",
            "confidence": 0.4,
            "status": "open",
            "text": "=西苑的建议",
            "supporters": 0,
            "rating": None,
            "resident": "张阿姨",
        }
    ]


@pytest.mark.postgres
async def test_cli_on_postgres_writes_what_sqlite_writes(
    apps: dict[str, App], tmp_path: Path
) -> None:
    expected = await _export(apps["sqlite"], Scope.of(1), "csv", tmp_path / "s.csv", True)
    env = {"LINLI_DATABASE_URL": apps["postgres"].config.database.url}
    out = tmp_path / "cli.csv"
    args = ["suggestions", "export", "--community", "east", "--with-names", "--out", str(out)]
    done = await asyncio.to_thread(run, args, tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert await asyncio.to_thread(out.read_bytes) == expected
    jsonl = await _export(apps["sqlite"], Scope.operator(), "jsonl", tmp_path / "s.jsonl", False)
    args = ["suggestions", "export", "--format", "jsonl"]
    printed = await asyncio.to_thread(run, args, tmp_path, env=env)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == jsonl.decode("utf-8")
