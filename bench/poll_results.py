"""A large community's questionnaire: results and export for staff, on PostgreSQL.

Seeds the largest community of the operator (4,000 households, one resident each) with the
demo questionnaire (six questions: single, multiple with a maximum, rating, yes/no, one
skipped on 不愿意, optional free text) and a complete response from every household, then
times what staff wait for: ``/pollresults`` (the results in words, free text grouped by
topic, and the bar chart drawn), the results residents read, and ``linli polls export`` as a
table. Goal: each under 1 s, like the other staff views of that community. Runs on the
database linli_bench_polls (recreated each run). Prints figures; asserts nothing.

    python bench/poll_results.py [--households 4000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bench.broadcast_send import recreate_database  # noqa: E402
from bot.app import open_app  # noqa: E402
from bot.demo import DEMO_POLL  # noqa: E402
from bot.files.charts import draw_async  # noqa: E402
from bot.files.polls import export_table  # noqa: E402
from handlers.polls import notices  # noqa: E402
from handlers.polls.specs import read_spec, to_rows  # noqa: E402
from storage import communities, polls  # noqa: E402
from storage.engine import transaction  # noqa: E402
from storage.models import (  # noqa: E402
    PollAnswer,
    PollResponse,
    Resident,
)
from storage.types import utcnow  # noqa: E402
from tests.support.chat import make_config  # noqa: E402

DATABASE = "linli_bench_polls"
ZONE = ZoneInfo("Asia/Shanghai")
WISHES = ["停车位太少,希望多划车位", "希望多种树,多些绿化", "楼道灯经常坏", "老人吃饭不方便", ""]


async def seed(app, households: int) -> int:
    """Store the residents, the poll and one complete response per household; return its id."""
    now = utcnow()
    rng = random.Random(7)
    async with transaction(app.maker) as session:
        community = await communities.ensure_default(session)
        rows = [
            {
                "community_id": community.id,
                "display_name": f"居民{i}",
                "building": str(1 + i // 200),
                "unit": str(1 + i % 4),
                "room": str(101 + i % 50),
                "birth_year": 1940 + i % 60,
            }
            for i in range(households)
        ]
        await session.execute(insert(Resident), rows)
        closes = (now + timedelta(days=7)).astimezone(ZONE).replace(tzinfo=None)
        spec = read_spec({**DEMO_POLL, "closes": closes.isoformat(timespec="seconds")})
        poll, questions = to_rows(spec, community.id, ZONE, now, "console:staff")
        poll.per_household = False  # one resident per household here: the same count
        await polls.create(session, poll, questions)
        ids = list(await session.scalars(select(Resident.id)))
        responses = [
            {"poll_id": poll.id, "resident_id": rid, "respondent": f"r{rid}", "completed_at": now}
            for rid in ids
        ]
        stmt = insert(PollResponse).returning(PollResponse.id)
        response_ids = list(await session.scalars(stmt, responses))
        q = [question.id for question in questions]
        answers = []
        for response_id in response_ids:
            willing = rng.random() < 0.4
            wish = rng.choice(WISHES)
            chosen = [
                (q[0], [rng.randint(1, 5)], None, "", False),
                (q[1], sorted(rng.sample(range(1, 6), rng.randint(1, 3))), None, "", False),
                (q[2], [], rng.randint(1, 5), "", False),
                (q[3], [1 if willing else 2], None, "", False),
                *([(q[4], [1, 3], None, "", False)] if willing else []),
                (q[5], [], None, wish, not wish),
            ]
            answers += [(response_id, *answer) for answer in chosen]
        keys = ("response_id", "question_id", "choices", "rating", "text", "skipped")
        await session.execute(
            insert(PollAnswer), [dict(zip(keys, a, strict=True)) for a in answers]
        )
        return poll.id


async def timed(what, repeat: int) -> tuple[float, float, float]:
    """Return the first run, the median and the slowest of ``repeat`` runs, in ms."""
    runs = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        await what()
        runs.append((time.perf_counter() - start) * 1000)
    return runs[0], statistics.median(runs[1:]), max(runs[1:])


async def main() -> None:
    """Seed, then time the staff views of the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = await open_app(make_config(recreate_database(DATABASE)))
    try:
        poll_id = await seed(app, args.households)
        charts = Path(tempfile.mkdtemp())
        year = utcnow().astimezone(ZONE).year

        async def staff_view() -> None:
            forget_charts(charts)  # as after a new answer: the chart is drawn again
            async with app.read_maker() as session:
                poll = await polls.get(session, poll_id)
                await notices.results_replies(
                    session, poll, year, lambda c: draw_async(c, charts), for_staff=True
                )

        async def residents_view() -> None:
            async with app.read_maker() as session:
                await notices.results(session, await polls.get(session, poll_id), year)

        async def export() -> None:
            async with app.read_maker() as session:
                await export_table(session, await polls.get(session, poll_id), ZONE)

        print(f"{args.households} complete responses of a six-question household questionnaire:")
        for name, what in (
            ("/pollresults (text, topics, chart)", staff_view),
            ("results residents read (text)", residents_view),
            ("polls export table", export),
        ):
            first, median, slowest = await timed(what, args.repeat)
            print(f"  {name}: first {first:.0f} ms, p50 {median:.0f} ms, max {slowest:.0f} ms")
    finally:
        await app.close()


def forget_charts(directory: Path) -> None:
    """Delete the drawn charts, so the next results draw theirs again."""
    for drawn in directory.glob("*.png"):
        drawn.unlink()


if __name__ == "__main__":
    asyncio.run(main())
