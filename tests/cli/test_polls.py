"""linli polls import / export / list, run as real processes on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import communities
from storage.engine import create_engine, session_factory, transaction
from storage.migrate import upgrade
from storage.models import (
    Activity,
    AuditLog,
    Poll,
    PollAnswer,
    PollQuestion,
    PollResponse,
    Resident,
)
from tests.support import DATA
from tests.support.cli import run
from tests.support.databases import truncate_pg

SAMPLES = DATA / "polls"
SERVICE_CENTRE = str(SAMPLES / "service-centre.toml")
QUESTIONS = [
    "Q1 二楼最想先做成什么?",
    "Q2 您家平时会用到哪些服务?",
    "Q3 您对现在的服务中心满意吗?",
    "Q4 您愿意做志愿者吗",
    "Q5 您能在什么时间、做哪些志愿服务?",
    "Q6 还有什么想说的?",
]


@asynccontextmanager
async def database(url: str) -> AsyncIterator[AsyncSession]:
    """Open a transaction on the test database (migrated first)."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with transaction(session_factory(engine)) as session:
            yield session
    finally:
        await engine.dispose()


@pytest.fixture
async def env(db_url: str) -> dict[str, str]:
    """The environment pointing `linli` at an empty database."""
    if db_url.startswith("postgresql"):
        await truncate_pg(db_url)
    async with database(db_url):
        pass  # migrated, so polls can be counted before the first import
    return {"LINLI_DATABASE_URL": db_url}


async def count(url: str) -> tuple[int, int, int]:
    """Return how many polls, questions and import audit records are stored."""
    async with database(url) as session:
        polls = await session.scalar(select(func.count()).select_from(Poll))
        questions = await session.scalar(select(func.count()).select_from(PollQuestion))
        audited = await session.scalar(select(func.count()).where(AuditLog.action == "poll.import"))
    return int(polls or 0), int(questions or 0), int(audited or 0)


def imported(args: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Run `linli polls import` and return the new poll's id."""
    result = run(["polls", "import", *args], cwd, env=env)
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split("#", 1)[1].split()[0])


def at(day: int, hour: int) -> datetime:
    return datetime(2030, 6, day, hour, tzinfo=UTC)


async def respond(
    url: str, poll_id: int, answers: list[tuple[dict, dict[int, dict], bool]]
) -> None:
    """Store residents (as given) and their answers by question position, as residents would."""
    async with database(url) as session:
        poll = await session.get(Poll, poll_id)
        assert poll is not None
        rows = await session.scalars(select(PollQuestion).where(PollQuestion.poll_id == poll_id))
        by_position = {q.position: q for q in rows}
        for number, (who, given, complete) in enumerate(answers, start=1):
            resident = Resident(community_id=poll.community_id, **who)
            session.add(resident)
            await session.flush()
            response = PollResponse(
                poll_id=poll_id,
                resident_id=resident.id,
                respondent=f"r{resident.id}",
                started_at=at(2, number),
                completed_at=at(2, number + 1) if complete else None,
            )
            session.add(response)
            await session.flush()
            for position, values in given.items():
                question_id = by_position[position].id
                session.add(PollAnswer(response_id=response.id, question_id=question_id, **values))


ZHANG = {"display_name": "张阿姨", "building": "3", "unit": "1", "room": "301"}
LI = {"display_name": "@李叔", "building": "5", "unit": "2", "room": "502"}
WANG = {"display_name": "王老师", "building": "7", "room": "101"}
ADDRESSES = ["3-1-301", "5-2-502", "7-101"]
ANSWERS = [
    (
        ZHANG,
        {
            1: {"choices": [1]},
            2: {"choices": [6, 1], "text": "棋牌"},  # "其他" typed first
            3: {"rating": 4},
            4: {"choices": [1]},
            5: {"text": "=SUM(A1:A9) 周末上午"},
            6: {"skipped": True},
        },
        True,
    ),
    (
        LI,
        # No Q5: it is not asked of those who will not volunteer.
        {
            1: {"choices": [3]},
            2: {"choices": [2, 4]},
            3: {"rating": 5},
            4: {"choices": [2]},
            6: {"text": "+多装几盏灯\a"},  # a control character an .xlsx cannot hold
        },
        True,
    ),
    (WANG, {1: {"choices": [2]}}, False),
]


async def test_import_the_sample_stores_questions_and_rules(env: dict, tmp_path: Path) -> None:
    url = env["LINLI_DATABASE_URL"]
    result = run(["polls", "import", SERVICE_CENTRE], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "imported poll #1 服务中心二楼做什么 "
        "(6 questions, opens 2030-06-01 09:00, closes 2030-06-15 18:00)"
    )
    async with database(url) as session:
        [poll] = await session.scalars(select(Poll))
        questions = list(
            await session.scalars(select(PollQuestion).order_by(PollQuestion.position))
        )
    assert poll.per_household and not poll.anonymous and poll.publish_at_close
    assert poll.audience == {"kind": "all"} and poll.created_by == "cli"
    assert poll.opens_at == at(1, 1) and poll.closes_at == at(15, 10)  # Asia/Shanghai
    assert poll.invited_at is None  # the scheduler invites when it opens
    assert [q.kind for q in questions] == ["choice", "choice", "rating", "choice", "text", "text"]
    assert questions[1].options == ["助餐", "理发", "义诊", "代收快递", "课后辅导"]
    assert questions[1].max_choices == 3 and questions[1].other
    assert questions[3].options == ["愿意", "不愿意"]
    assert questions[4].skip_if == {"question": 4, "option": 2}
    assert [q.required for q in questions] == [True] * 5 + [False]
    assert await count(url) == (1, 6, 1)

    listing = run(["polls", "list"], tmp_path, env=env)
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.strip() == (
        "#1 服务中心二楼做什么  2030-06-01 09:00 – 2030-06-15 18:00  0/0 completed"
    )


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("bad-options.toml", ["第 2 题:选择题要有 2–9 个选项"]),
        ("bad-skip.toml", ["第 2 题:跳题规则只能看前面的题目"]),
        ("bad-closes.toml", ["closes:截止时间要在开始时间之后"]),
        ("bad-audience.toml", ["audience:看不懂的对象", "anonymus:"]),
        ("unknown-activity.toml", ["audience:本社区没有活动 #999"]),
        ("not-toml.toml", ["is not valid TOML", "line 1"]),
        ("missing.toml", ["does not exist"]),
    ],
)
async def test_a_broken_file_stores_nothing_and_says_where(
    env: dict, tmp_path: Path, name: str, said: list[str]
) -> None:
    url = env["LINLI_DATABASE_URL"]
    imported([SERVICE_CENTRE], tmp_path, env)
    before = await count(url)
    result = run(["polls", "import", str(SAMPLES / name)], tmp_path, env=env)
    assert result.returncode == 2, result.stderr
    for words in said:
        assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert await count(url) == before == (1, 6, 1)


async def test_an_activity_audience_must_be_of_the_community(env: dict, tmp_path: Path) -> None:
    url = env["LINLI_DATABASE_URL"]
    async with database(url) as session:
        await communities.add(session, "east", "东苑")
        west = await communities.add(session, "west", "西苑")
        activity = Activity(community_id=west.id, title="义诊", starts_at=at(3, 1))
        session.add(activity)
        await session.flush()
        number = activity.id
    spec = tmp_path / "checkup.toml"
    spec.write_text(
        f'title = "义诊满意度"\naudience = "活动 {number}"\ncloses = 2030-06-15T18:00:00\n'
        '[[question]]\nkind = "rating"\ntext = "满意吗?"\n',
        encoding="utf-8",
    )
    refused = run(["polls", "import", str(spec), "--community", "east"], tmp_path, env=env)
    assert refused.returncode == 2 and f"本社区没有活动 #{number}" in refused.stderr
    assert await count(url) == (0, 0, 0)
    poll_id = imported([str(spec), "--community", "west"], tmp_path, env)
    async with database(url) as session:
        poll = await session.get(Poll, poll_id)
        assert poll is not None and poll.community_id == west.id
        assert poll.audience == {"kind": "activity", "activity_id": number}


async def test_export_a_named_poll_as_csv_and_xlsx(env: dict, tmp_path: Path) -> None:
    url = env["LINLI_DATABASE_URL"]
    poll_id = imported([SERVICE_CENTRE], tmp_path, env)
    await respond(url, poll_id, ANSWERS)
    result = run(["polls", "export", str(poll_id)], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    table = list(csv.reader(io.StringIO(result.stdout)))
    header = ["response", "name", "address", "started_at", "completed_at", *QUESTIONS]
    assert table[0] == header
    rows = [dict(zip(header, row, strict=True)) for row in table[1:]]
    zhang, li, wang = rows
    assert zhang["name"] == "张阿姨" and zhang["address"] == "3-1-301"
    assert zhang["started_at"] == "2030-06-02T09:00:00+08:00"
    assert zhang["completed_at"] == "2030-06-02T10:00:00+08:00"
    assert [zhang[q] for q in QUESTIONS] == [
        "老年食堂",
        "助餐、其他:棋牌",
        "4 分",
        "愿意",
        "'=SUM(A1:A9) 周末上午",  # a resident's text stays text in a spreadsheet
        "(未答)",
    ]
    assert li["name"] == "'@李叔" and li["address"] == "5-2-502"
    answers = ["健身房", "理发、代收快递", "5 分", "不愿意", "", "'+多装几盏灯\a"]
    assert [li[q] for q in QUESTIONS] == answers
    assert wang["name"] == "王老师" and wang["address"] == "7-101"
    assert wang["completed_at"] == "" and [wang[q] for q in QUESTIONS] == ["儿童托管"] + [""] * 5

    out = tmp_path / "answers.xlsx"
    result = run(
        ["polls", "export", str(poll_id), "--format", "xlsx", "--out", str(out)],
        tmp_path,
        env=env,
    )
    assert result.returncode == 0 and result.stdout == "", result.stderr
    sheet = load_workbook(out).active
    cells = [
        ["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert cells == [[cell.replace("\a", "") for cell in row] for row in table]


async def test_export_of_an_anonymous_poll_names_nobody(env: dict, tmp_path: Path) -> None:
    url = env["LINLI_DATABASE_URL"]
    text = (SAMPLES / "service-centre.toml").read_text(encoding="utf-8")
    spec = tmp_path / "anonymous.toml"
    spec.write_text(text.replace("per_household = true", "anonymous = true"), encoding="utf-8")
    poll_id = imported([str(spec)], tmp_path, env)
    await respond(url, poll_id, ANSWERS)
    result = run(["polls", "export", str(poll_id)], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0] == ["response", "started_at", "completed_at", *QUESTIONS]
    assert [row[0] for row in table[1:]] == ["1", "2", "3"]  # numbers, not database ids
    out = tmp_path / "anonymous.xlsx"
    args = ["polls", "export", str(poll_id), "--format", "xlsx", "--out", str(out)]
    assert run(args, tmp_path, env=env).returncode == 0
    cells = " ".join(
        str(c) for row in load_workbook(out).active.iter_rows(values_only=True) for c in row
    )
    for written in (result.stdout, cells):
        for who, address in zip((ZHANG, LI, WANG), ADDRESSES, strict=True):
            assert who["display_name"].lstrip("@") not in written and address not in written
        assert "=SUM(A1:A9)" in written  # the answers are there, only the people are not


async def test_export_refuses_what_it_cannot_write(env: dict, tmp_path: Path) -> None:
    unknown = run(["polls", "export", "42"], tmp_path, env=env)
    assert unknown.returncode == 2 and "there is no poll #42" in unknown.stderr
    poll_id = imported([SERVICE_CENTRE], tmp_path, env)
    terminal = run(["polls", "export", str(poll_id), "--format", "xlsx"], tmp_path, env=env)
    assert terminal.returncode == 2 and "needs --out" in terminal.stderr
    odd = run(["polls", "export", str(poll_id), "--format", "pdf"], tmp_path, env=env)
    assert odd.returncode == 2 and "csv or xlsx" in odd.stderr
