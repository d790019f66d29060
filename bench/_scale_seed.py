"""Bulk-load an operator-sized linli database on PostgreSQL (for bench/operator_scale.py).

The schema is linli's own: ``storage.migrate.upgrade`` runs the migrations first. The rows are
then generated inside PostgreSQL (``INSERT … SELECT`` over ``generate_series``, driven by a few
arrays sent from here), which beats COPY on this machine: nothing but those arrays crosses the
wire, and no Python loop touches a million rows. Column lists follow the live schema, so a
migration that adds a nullable column or moves residents' tags into ``resident_tags`` does not
break the seed; one that adds a required column makes it fail, naming the column.

The load is one transaction recorded in a marker table (``bench_scale_seed``), followed by
``VACUUM ANALYZE`` as autovacuum would do in production: a second run with the same counts does
nothing, and a crash leaves nothing half-seeded.

Standalone: ``python bench/_scale_seed.py --url postgresql://postgres@127.0.0.1/linli_bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.engine import create_engine
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
DEV_DATA = ROOT.parent / "shared" / "data" / "suggestions-dev.tsv"
BLIND_DATA = [
    ROOT / "tests" / "data" / "blind-topics.tsv",
    ROOT / "tests" / "data" / "blind-topics-2.tsv",
]
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/linli_bench"
MARKER = "bench_scale_seed"
ZONE = ZoneInfo("Asia/Shanghai")
SPAN_DAYS = 730  # suggestions spread over two years, more of them lately
BIG_ACTIVITY = 300  # sign-ups of the big upcoming activity /roster is measured on
ORDERS_PER_DAY = 500  # meals of one day in the largest community's canteen
CANTEENS = 10  # the largest communities run a canteen

# How often residents write about each topic (parking and property management lead).
TOPIC_WEIGHTS = {
    "parking": 18,
    "property": 14,
    "sanitation": 12,
    "repairs": 12,
    "noise": 8,
    "greenery": 6,
    "safety": 6,
    "venues": 5,
    "elderly": 5,
    "transport": 4,
    "children": 4,
    "commerce": 3,
    "other": 3,
}
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华玉兰桂珍建国平红梅文斌海燕志刚")
TITLES = ["阿姨", "大爷", "奶奶", "爷爷", "先生", "女士", "老师", "师傅"]
STAFF_NAMES = ["物业小王", "网格员小李", "社工小张", "物业刘经理", "居委陈主任"]
PREFIXES = ["", "", "", "", "你好,", "我是{b}栋的,", "建议:", "反映个问题:", "物业你好,"]
SUFFIXES = ["", "", "", "。", ",希望尽快处理。", ",谢谢!", "。麻烦看一下", ",已经好几天了。"]
STAFF_REPLIES = [
    "已收到,已安排物业跟进。",
    "已联系相关部门,本周内处理。",
    "师傅明天上午上门查看。",
    "已纳入下季度改造计划。",
    "已处理完毕,请查看。",
]
TAGS = ["老人", "党员", "志愿者", "楼长", "残疾人", "独居"]
ACTIVITIES = [
    ("社区义诊", "义诊 看病 体检 量血压", "社区卫生服务站"),
    ("老年人理发", "理发 剪头发", "活动中心一楼"),
    ("亲子画画", "画画 亲子 孩子", "活动中心二楼"),
    ("健康讲座", "讲座 健康 养生", "会议室"),
    ("垃圾分类宣传", "垃圾分类 环保", "小区广场"),
    ("防诈骗讲座", "防诈骗 反诈", "会议室"),
    ("广场舞比赛", "广场舞 跳舞", "小区广场"),
    ("居民议事会", "议事 开会 共商", "居委会"),
]
DISHES = [
    "红烧肉 清炒时蔬 米饭",
    "番茄炒蛋 青菜 米饭 紫菜汤",
    "清蒸鱼 冬瓜汤 米饭",
    "鸡腿 土豆丝 米饭",
]
CITIES = ["hangzhou", "nanjing", "suzhou", "ningbo", "hefei"]
ESTATE_WORDS = ["阳光", "幸福", "和平", "翠湖", "金桥", "锦绣", "东方", "紫荆", "桂花", "枫林",
                "春华", "望江", "滨河", "新华", "长青", "明珠", "丽景", "香樟"]  # fmt: skip
ESTATE_KINDS = ["花园", "家园", "新村", "苑", "小区", "公寓"]


class SeedError(RuntimeError):
    """The database cannot be seeded as asked (other data in it, or a schema we cannot fill)."""


@dataclass(frozen=True)
class Line:
    """A labelled resident message, with what linli's nlp makes of it."""

    topic: str
    text: str
    confidence: float
    keywords: str  # JSON list
    terms: str


def community_sizes(communities: int, residents: int, seed: int = 69) -> list[int]:
    """Return uneven resident counts summing to ``residents``: a long tail of ~300, a few ~4,000.

    Sizes follow 300·(4000/300)^(q^p) over evenly spaced quantiles q, with p chosen so the
    counts add up; other totals scale the 300 and the 4,000 with the average.
    """
    if communities < 1 or residents < communities:
        raise ValueError("need at least one community and one resident per community")
    scale = residents / communities / 1449  # 100,000 over 69 communities is the shape we copy
    low, high = 300 * scale, 4000 * scale
    quantiles = [i / max(communities - 1, 1) for i in range(communities)]

    def total(p: float) -> float:
        return sum(low * (high / low) ** (q**p) for q in quantiles)

    a, b = 0.05, 20.0  # total(p) falls as p grows
    for _ in range(60):
        mid = (a + b) / 2
        a, b = (mid, b) if total(mid) > residents else (a, mid)
    raw = [low * (high / low) ** (q**a) for q in quantiles]
    sizes = [max(1, math.floor(x)) for x in raw]
    by_remainder = sorted(range(communities), key=lambda i: raw[i] - sizes[i], reverse=True)
    for i in by_remainder[: residents - sum(sizes)]:
        sizes[i] += 1
    rng = random.Random(seed)
    rng.shuffle(sizes)  # the largest estate is not community #1
    return sizes


def suggestion_lines() -> list[Line]:
    """Return the labelled messages, with the topic, keywords and terms linli gives them."""
    from nlp import similarity
    from nlp.topics import classify

    raw: list[str] = []
    for path in [DEV_DATA, *BLIND_DATA]:
        if path.exists():
            raw += path.read_text(encoding="utf-8").splitlines()
    lines: list[Line] = []
    for row in raw:
        if row.startswith("#") or "\t" not in row:
            continue
        label, message = row.split("\t", 1)
        message = message.strip()
        if not message:
            continue
        found = classify(message)
        lines.append(
            Line(
                topic=label if label in TOPIC_WEIGHTS else found.topic,
                text=message,
                confidence=found.confidence,
                keywords=json.dumps(list(found.keywords), ensure_ascii=False),
                terms=" ".join(similarity.terms(message)),
            )
        )
    if not lines:
        raise SeedError(f"no labelled suggestions found ({DEV_DATA})")
    return lines


def _weighted_picks(lines: list[Line], n: int, rng: random.Random) -> list[int]:
    """Return ``n`` 1-based line numbers drawn by topic weight (a lookup table for SQL)."""
    by_topic: dict[str, list[int]] = {}
    for i, line in enumerate(lines, 1):
        by_topic.setdefault(line.topic, []).append(i)
    topics = [t for t in TOPIC_WEIGHTS if t in by_topic]
    weights = [TOPIC_WEIGHTS[t] for t in topics]
    return [rng.choice(by_topic[rng.choices(topics, weights)[0]]) for _ in range(n)]


async def ensure_database(url: str) -> None:
    """Create the database of ``url`` if it does not exist (through the ``postgres`` database)."""
    parsed = make_url(url)
    name = parsed.database
    if not name:
        raise SeedError(f"{url} names no database")
    admin = create_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            found = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = CAST(:n AS text)"), {"n": name}
            )
            if not found:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


class _Schema:
    """The live columns of the seeded tables (so the seed follows the migrations)."""

    def __init__(self, rows: list[tuple[str, str, bool, bool]]) -> None:
        self.columns: dict[str, dict[str, bool]] = {}
        for table, column, required, _ in rows:
            self.columns.setdefault(table, {})[column] = required

    def has(self, table: str, column: str | None = None) -> bool:
        """Tell whether a table (and column) exists."""
        return table in self.columns and (column is None or column in self.columns[table])

    def insert(self, table: str, values: dict[str, str], source: str) -> str:
        """Return ``INSERT INTO table (…) SELECT … source`` for the columns the table has."""
        if table not in self.columns:
            raise SeedError(f"table {table} does not exist (did the migrations run?)")
        have = self.columns[table]
        chosen = {c: v for c, v in values.items() if c in have}
        missing = [c for c, required in have.items() if required and c not in chosen]
        if missing:
            raise SeedError(f"{table} has required columns the seed does not fill: {missing}")
        cols = ", ".join(chosen)
        exprs = ",\n       ".join(chosen.values())
        return f"INSERT INTO {table} ({cols})\nSELECT {exprs}\n{source}"


async def _schema(conn: AsyncConnection) -> _Schema:
    rows = await conn.execute(
        text(
            "SELECT table_name, column_name, is_nullable = 'NO' AND column_default IS NULL, "
            "column_default IS NOT NULL FROM information_schema.columns "
            "WHERE table_schema = 'public'"
        )
    )
    return _Schema([(t, c, bool(r), bool(d)) for t, c, r, d in rows])


async def _marker(conn: AsyncConnection) -> dict[str, Any] | None:
    exists = await conn.scalar(
        text("SELECT to_regclass(CAST(:t AS text)) IS NOT NULL"), {"t": MARKER}
    )
    if not exists:
        return None
    row = (
        await conn.execute(text(f"SELECT * FROM {MARKER} ORDER BY seeded_at DESC LIMIT 1"))
    ).first()
    return dict(row._mapping) if row is not None else None


async def seed(
    url: str = DEFAULT_URL,
    communities: int = 69,
    residents: int = 100_000,
    suggestions: int = 1_000_000,
    force: bool = False,
) -> float | None:
    """Seed an operator's data into ``url``; return the seconds it took (None: already seeded).

    A database already seeded with these counts is left alone. One holding anything else is
    refused unless ``force``, which drops the public schema and everything in it first.
    """
    await ensure_database(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            marker = await _marker(conn)
            others = await conn.scalar(text("SELECT to_regclass('communities') IS NOT NULL"))
            if others:
                others = await conn.scalar(text("SELECT count(*) FROM communities"))
        wanted = (communities, residents, suggestions)
        if not force and marker is not None:
            if (marker["communities"], marker["residents"], marker["suggestions"]) == wanted:
                print(
                    f"seed: {url.rsplit('/', 1)[-1]} already holds {communities} communities, "
                    f"{residents:,} residents, {suggestions:,} suggestions "
                    f"(seeded {marker['seeded_at']:%Y-%m-%d %H:%M} in {marker['seconds']:.0f} s)"
                )
                return None
            raise SeedError(
                f"the database was seeded with other counts {marker['communities']}/"
                f"{marker['residents']}/{marker['suggestions']}; pass force to reseed"
            )
        if not force and others:
            raise SeedError(
                "the database holds linli data that is not a seed; pass force to drop it"
            )
        start = time.perf_counter()
        if force:
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        await upgrade(engine)
        migrated = time.perf_counter()
        print(f"seed: schema migrated in {migrated - start:.1f} s; loading rows…", flush=True)
        await _load(engine, communities, residents, suggestions)
        loaded = time.perf_counter()
        vacuum = engine.execution_options(isolation_level="AUTOCOMMIT")
        async with vacuum.connect() as conn:
            await conn.execute(text("VACUUM ANALYZE"))
        seconds = time.perf_counter() - start
        async with engine.begin() as conn:
            await conn.execute(
                text(f"UPDATE {MARKER} SET seconds = CAST(:s AS float8)"), {"s": seconds}
            )
        print(f"seed:   {'VACUUM ANALYZE':24s} {'':>10s}      {seconds - (loaded - start):6.1f} s")
        print(
            f"seed: {communities} communities, {residents:,} residents, {suggestions:,} "
            f"suggestions seeded in {seconds:.1f} s"
        )
        return seconds
    finally:
        await engine.dispose()


async def _load(engine: AsyncEngine, communities: int, residents: int, suggestions: int) -> None:
    """Insert every row in one transaction, printing each step's rows and seconds."""
    rng = random.Random(42)
    now = datetime.now(UTC).replace(microsecond=0)
    sizes = community_sizes(communities, residents)
    lines = suggestion_lines()
    async with engine.begin() as conn:
        schema = await _schema(conn)
        await conn.execute(text("SET LOCAL synchronous_commit = off"))
        await conn.execute(text("SET LOCAL work_mem = '64MB'"))
        # The row estimates of generate_series are far off; JIT would compile for seconds.
        await conn.execute(text("SET LOCAL jit = off"))
        await conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        # Every row is consistent by construction: skip the per-row foreign key triggers.
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text("SELECT setseed(0.42)"))

        async def step(name: str, sql: str, params: dict[str, Any] | None = None) -> int:
            began = time.perf_counter()
            result = await conn.execute(text(sql), params or {})
            took, rows = time.perf_counter() - began, result.rowcount or 0
            print(f"seed:   {name:24s} {rows:>10,} rows {took:6.1f} s", flush=True)
            return rows

        # Communities, with their slugs and names.
        names, slugs = [], []
        for i in range(communities):
            word = ESTATE_WORDS[i % len(ESTATE_WORDS)]
            kind = ESTATE_KINDS[(i // len(ESTATE_WORDS) + i) % len(ESTATE_KINDS)]
            names.append(f"{word}{kind}社区")
            slugs.append(f"{CITIES[i % len(CITIES)]}-{i + 1:02d}")
        await step(
            "communities",
            schema.insert(
                "communities",
                {
                    "slug": "s.slug",
                    "name": "s.name",
                    "duty_phone": "'0571-8' || lpad((s.i * 7919 % 10000000)::text, 7, '0')",
                    "created_at": "CAST(:now AS timestamptz) - interval '800 days'",
                },
                "FROM unnest(CAST(:slugs AS text[]), CAST(:names AS text[])) "
                "WITH ORDINALITY AS s(slug, name, i) ORDER BY s.i",
            ),
            {"slugs": slugs, "names": names, "now": now},
        )
        ids = [r for (r,) in await conn.execute(text("SELECT id FROM communities ORDER BY id"))]
        await _residents(step, schema, ids, sizes, now)
        blocks = [
            (c, lo, n)
            for c, lo, n in await conn.execute(
                text(
                    "SELECT community_id, min(id), count(*) FROM residents "
                    "GROUP BY community_id ORDER BY community_id"
                )
            )
        ]
        await _accounts_and_staff(step, schema, blocks, now)
        # Secondary indexes are built once at the end: far faster than row by row.
        indexes = await _drop_secondary_indexes(conn, BULK_TABLES)
        await _suggestions(step, schema, blocks, lines, suggestions, now, rng)
        await _people_around(step, schema, blocks, now)
        await _activities(step, schema, blocks, now)
        await _canteen(step, schema, blocks, now)
        began = time.perf_counter()
        for definition in indexes:
            await conn.execute(text(definition))
        took = time.perf_counter() - began
        print(f"seed:   {f'{len(indexes)} indexes rebuilt':24s} {'':>10s}      {took:6.1f} s")
        await conn.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {MARKER} (communities int, residents int, "
                "suggestions int, seconds float8, seeded_at timestamptz)"
            )
        )
        await conn.execute(
            text(
                f"INSERT INTO {MARKER} VALUES (CAST(:c AS int), CAST(:r AS int), "
                "CAST(:s AS int), 0, CAST(:now AS timestamptz))"
            ),
            {"c": communities, "r": residents, "s": suggestions, "now": now},
        )
        largest = max(blocks, key=lambda b: b[2])[0]
        await ensure_current(conn, largest, now)


Step = Any  # async (name, sql, params) -> rows
BULK_TABLES = (
    "suggestions",
    "suggestion_events",
    "suggestion_ratings",
    "suggestion_supporters",
    "outbox",
    "registrations",
    "meal_orders",
)


async def _drop_secondary_indexes(conn: AsyncConnection, tables: tuple[str, ...]) -> list[str]:
    """Drop the indexes of ``tables`` that back no constraint; return their definitions."""
    rows = await conn.execute(
        text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
            "AND i.tablename = ANY(CAST(:tables AS text[])) AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint c WHERE c.conindid = "
            "to_regclass(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname)))"
        ),
        {"tables": list(tables)},
    )
    definitions = []
    for name, definition in rows.all():
        await conn.execute(text(f'DROP INDEX "{name}"'))
        definitions.append(definition)
    return definitions


async def _residents(
    step: Step, schema: _Schema, ids: list[int], sizes: list[int], now: datetime
) -> None:
    """Residents in contiguous id blocks per community, with accounts 60/40 Telegram/WeChat."""
    source = """FROM (
    SELECT c.cid, c.n, g, random() AS u_name, random() AS u_given, random() AS u_title,
           random() AS u_building, random() AS u_room, random() AS u_birth, random() AS u_known,
           random() AS u_phone, random() AS u_deliver, random() AS u_diet, random() AS u_active,
           random() AS u_joined, greatest(3, c.n / 120) AS buildings
    FROM unnest(CAST(:cids AS int[]), CAST(:sizes AS int[])) AS c(cid, n)
    CROSS JOIN LATERAL generate_series(1, c.n) AS g
) s
CROSS JOIN LATERAL (SELECT
    CASE WHEN s.u_known < 0.5 THEN 1932 + floor(76 * s.u_birth ^ 0.8)::int END AS birth_year,
    CAST(:now AS timestamptz) - interval '760 days' + s.u_joined * interval '740 days' AS joined
) AS d
ORDER BY s.cid, s.g"""
    surnames, given, titles = SURNAMES, GIVEN, TITLES
    pick = "(CAST(:{a} AS text[]))[1 + floor({u} * {n})::int]"
    values = {
        "community_id": "s.cid",
        "display_name": (
            "CASE WHEN s.u_name > 0.95 THEN NULL ELSE "
            + pick.format(a="surnames", u="s.u_name / 0.95", n=len(surnames))
            + " || CASE WHEN s.u_title < 0.45 THEN "
            + pick.format(a="titles", u="s.u_title / 0.45", n=len(titles))
            + " ELSE "
            + pick.format(a="given", u="s.u_given", n=len(given))
            + " || CASE WHEN s.u_title > 0.7 THEN "
            + pick.format(a="given", u="s.u_title", n=len(given))
            + " ELSE '' END END END"
        ),
        "building": (
            "CASE WHEN s.u_building < 0.85 "
            "THEN (1 + floor(s.u_building / 0.85 * s.buildings))::text END"
        ),
        "unit": "CASE WHEN s.u_building < 0.85 THEN (1 + floor(s.u_room * 3))::text END",
        "room": (
            "CASE WHEN s.u_building < 0.85 THEN "
            "((1 + floor(s.u_room * 1000)::int % 18) * 100 "
            "+ 1 + floor(s.u_room * 10000)::int % 4)::text END"
        ),
        "birth_year": "d.birth_year",
        "phone": (
            "CASE WHEN s.u_phone < 0.12 THEN '1' || (3 + floor(s.u_phone * 58)::int % 7)::text "
            "|| lpad(floor(s.u_given * 1000000000)::bigint::text, 9, '0') END"
        ),
        "delivery_eligible": "coalesce(d.birth_year <= 1950 AND s.u_deliver < 0.4, false)",
        "diet_note": (
            "CASE WHEN s.u_diet < 0.04 THEN (ARRAY['低盐','少油','软烂','不吃辣','糖尿病餐'])"
            "[1 + floor(s.u_diet * 125)::int % 5] END"
        ),
        "tags": "CAST('[]' AS json)",
        "consents": (
            "CASE WHEN s.u_phone < 0.12 THEN json_build_object('phone', d.joined) "
            "ELSE CAST('{}' AS json) END"
        ),
        "active": "s.u_active > 0.03",
        "privacy_noticed_at": "d.joined",
        "created_at": "d.joined",
    }
    params = {
        "cids": ids,
        "sizes": sizes,
        "now": now,
        "surnames": surnames,
        "given": given,
        "titles": titles,
    }
    await step("residents", schema.insert("residents", values, source), params)
    # Staff tag residents for broadcasts: the elderly, party members, volunteers…
    tagged = """FROM residents r CROSS JOIN LATERAL (VALUES
        ('老人', r.birth_year IS NOT NULL AND r.birth_year <= 1956),
        ('党员', (r.id * 37) % 100 < 5),
        ('志愿者', (r.id * 53) % 100 < 3),
        ('楼长', (r.id * 71) % 1000 < 5),
        ('残疾人', (r.id * 89) % 100 < 1),
        ('独居', r.birth_year <= 1950 AND (r.id * 97) % 100 < 20)
    ) AS t(tag, yes) WHERE t.yes"""
    if schema.has("resident_tags"):
        await step(
            "resident_tags",
            schema.insert("resident_tags", {"resident_id": "r.id", "tag": "t.tag"}, tagged),
        )
    elif schema.has("residents", "tags"):
        await step(
            "residents.tags",
            "UPDATE residents SET tags = x.tags FROM (SELECT r.id, json_agg(t.tag) AS tags "
            + tagged
            + " GROUP BY r.id) x WHERE x.id = residents.id",
        )
    if schema.has("resident_opt_outs"):
        await step(
            "resident_opt_outs",
            schema.insert(
                "resident_opt_outs",
                {"resident_id": "r.id", "kind": "'notice'", "created_at": "r.created_at"},
                "FROM residents r WHERE (r.id * 31) % 100 < 3",
            ),
        )


# The labelled lines as a relation (subscripting a text[] per row walks the array).
LINES = """
JOIN (
    SELECT *
    FROM unnest(CAST(:texts AS text[]), CAST(:topics AS text[]), CAST(:confidences AS float8[]),
                CAST(:keywords AS text[]), CAST(:terms AS text[]))
         WITH ORDINALITY AS l(text, topic, confidence, keywords, terms, i)
) l ON l.i = s.line
"""
TELEGRAM = "((r.id::bigint * 2654435761) % 1000) < 600"


async def _accounts_and_staff(
    step: Step, schema: _Schema, blocks: list[tuple[int, int, int]], now: datetime
) -> None:
    """One platform account per resident; two to five staff per community, two operator-wide."""
    await step(
        "channel_accounts",
        schema.insert(
            "channel_accounts",
            {
                "resident_id": "r.id",
                "channel": f"CASE WHEN {TELEGRAM} THEN 'telegram' ELSE 'wechat' END",
                "external_id": (
                    f"CASE WHEN {TELEGRAM} THEN (5000000000 + r.id::bigint * 13)::text "
                    "ELSE 'o' || left(translate(encode(sha256(('linli' || r.id)::bytea), "
                    "'base64'), '+/=', '-_A'), 27) END"
                ),
                "created_at": "r.created_at",
            },
            "FROM residents r ORDER BY r.id",
        ),
    )
    await step(
        "staff_members",
        schema.insert(
            "staff_members",
            {
                "channel": "CASE WHEN k % 3 = 2 THEN 'wechat' ELSE 'telegram' END",
                "external_id": (
                    "CASE WHEN k % 3 = 2 THEN 'ostaff' || lpad((c.cid * 10 + k)::text, 22, '0') "
                    "ELSE (8000000000 + c.cid * 10 + k)::text END"
                ),
                "community_id": "c.cid",
                "display_name": "(CAST(:names AS text[]))[1 + k % 5]",
                "created_at": "CAST(:now AS timestamptz) - interval '700 days'",
            },
            "FROM unnest(CAST(:cids AS int[]), CAST(:sizes AS int[])) AS c(cid, n) "
            "CROSS JOIN LATERAL generate_series(0, 1 + least(3, c.n / 1000)) AS k "
            "ORDER BY c.cid, k",
        ),
        {
            "cids": [c for c, _, _ in blocks],
            "sizes": [n for _, _, n in blocks],
            "names": STAFF_NAMES,
            "now": now,
        },
    )
    await step(
        "staff_members (operator)",
        schema.insert(
            "staff_members",
            {
                "channel": "'telegram'",
                "external_id": "(8999999990 + k)::text",
                "community_id": "NULL",
                "display_name": "'运营方' || k",
                "created_at": "CAST(:now AS timestamptz) - interval '700 days'",
            },
            "FROM generate_series(1, 2) AS k",
        ),
        {"now": now},
    )


def staff_account(community_id: int | None) -> tuple[str, str]:
    """Return the (channel, id) of a community's first seeded staff member (None: operator)."""
    if community_id is None:
        return "telegram", "8999999991"
    return "telegram", str(8_000_000_000 + community_id * 10)


async def _suggestions(
    step: Step,
    schema: _Schema,
    blocks: list[tuple[int, int, int]],
    lines: list[Line],
    count: int,
    now: datetime,
    rng: random.Random,
) -> None:
    """Suggestions over two years (ids in time order), their history, supporters and ratings."""
    first = min(lo for _, lo, _ in blocks)
    total = sum(n for _, _, n in blocks)
    # Residents' ids are one block per community: map an offset to its community in SQL.
    community_of = [c for c, _, n in blocks for _ in range(n)]
    # Some residents write a lot: offsets drawn as u^1.3, scattered by a bijection mod total.
    stride = next(p for p in (7919, 7927, 7933, 7937) if math.gcd(p, total) == 1)
    picks = _weighted_picks(lines, 2000, rng)
    source = f"""FROM (
    SELECT s.*,
           CASE WHEN s.age < 7 THEN
                CASE WHEN s.u_status < 0.55 THEN 'open' WHEN s.u_status < 0.80 THEN 'replied'
                     WHEN s.u_status < 0.90 THEN 'resolved' WHEN s.u_status < 0.96 THEN 'merged'
                     WHEN s.u_status < 0.98 THEN 'withdrawn' ELSE 'reopened' END
                WHEN s.age < 90 THEN
                CASE WHEN s.u_status < 0.12 THEN 'open' WHEN s.u_status < 0.30 THEN 'replied'
                     WHEN s.u_status < 0.75 THEN 'resolved' WHEN s.u_status < 0.85 THEN 'closed'
                     WHEN s.u_status < 0.93 THEN 'merged' WHEN s.u_status < 0.97 THEN 'withdrawn'
                     ELSE 'reopened' END
                ELSE
                CASE WHEN s.u_status < 0.01 THEN 'open' WHEN s.u_status < 0.03 THEN 'replied'
                     WHEN s.u_status < 0.58 THEN 'resolved' WHEN s.u_status < 0.88 THEN 'closed'
                     WHEN s.u_status < 0.96 THEN 'merged' WHEN s.u_status < 0.99 THEN 'withdrawn'
                     ELSE 'reopened' END
           END AS status
    FROM (
        SELECT g, rid, line, created_at, u_status, u_forgot, u_media, u_urgent, u_upd, u_pre,
               u_suf, extract(epoch FROM CAST(:now AS timestamptz) - created_at) / 86400 AS age
        FROM (
            SELECT g,
                   {first} + (floor({total} * random() ^ 1.3)::bigint * {stride} % {total})::int
                     AS rid,
                   (CAST(:picks AS int[]))[1 + floor(random() * {len(picks)})::int] AS line,
                   CAST(:now AS timestamptz) - interval '{SPAN_DAYS} days'
                     + (sqrt(g::float8 / {count}) * {SPAN_DAYS} * 86400 - random() * 600)
                       * interval '1 second' AS created_at,
                   random() AS u_status, random() AS u_forgot, random() AS u_media,
                   random() AS u_urgent, random() AS u_upd, random() AS u_pre, random() AS u_suf
            FROM generate_series(1, {count}) AS g
        ) raw
    ) s
) s"""
    topic = "l.topic"
    values = {
        "community_id": f"(CAST(:community_of AS int[]))[s.rid - {first - 1}]",
        "resident_id": "CASE WHEN s.u_forgot < 0.01 THEN NULL ELSE s.rid END",
        "channel": "CASE WHEN " + TELEGRAM.replace("r.id", "s.rid") + " THEN 'telegram' "
        "ELSE 'wechat' END",
        "text": (
            f"replace((CAST(:prefixes AS text[]))[1 + floor(s.u_pre * {len(PREFIXES)})::int], "
            "'{b}', (1 + s.rid % 30)::text) || l.text || "
            f"(CAST(:suffixes AS text[]))[1 + floor(s.u_suf * {len(SUFFIXES)})::int]"
        ),
        "topic": topic,
        "confidence": "l.confidence",
        "keywords": "CAST(l.keywords AS json)",
        "terms": "l.terms",
        "status": "s.status",
        "urgent": f"s.u_urgent < CASE WHEN {topic} = 'safety' THEN 0.05 ELSE 0.002 END",
        "merged_into_id": "NULL",
        "media": (
            "CASE WHEN s.u_media < 0.03 THEN json_build_array(json_build_object('kind', 'photo', "
            "'ref', 'AgACAgUAAx' || md5(s.g::text))) ELSE CAST('[]' AS json) END"
        ),
        "times_resolved": (
            "CASE WHEN s.status IN ('resolved', 'closed', 'reopened') THEN 1 ELSE 0 END"
        ),
        "staff_alerted_at": "s.created_at + interval '1 minute'",
        "created_at": "s.created_at",
        "updated_at": (
            "CASE WHEN s.status = 'open' THEN s.created_at "
            "ELSE s.created_at + least(s.age, 14) * s.u_upd * interval '1 day' END"
        ),
    }
    params = {
        "now": now,
        "picks": picks,
        "community_of": community_of,
        "prefixes": PREFIXES,
        "suffixes": SUFFIXES,
        "texts": [line.text for line in lines],
        "topics": [line.topic for line in lines],
        "confidences": [line.confidence for line in lines],
        "keywords": [line.keywords for line in lines],
        "terms": [line.terms for line in lines],
    }
    await step(
        "suggestions", schema.insert("suggestions", values, source + LINES + "ORDER BY s.g"), params
    )
    # A merged suggestion points at the latest earlier one of its topic that was not merged.
    await step(
        "suggestions.merged_into",
        """UPDATE suggestions s SET merged_into_id = t.target
        FROM (
            SELECT id, status, max(id) FILTER (WHERE status <> 'merged') OVER (
                PARTITION BY community_id, topic ORDER BY id
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS target
            FROM suggestions
        ) t
        WHERE t.id = s.id AND t.status = 'merged' AND t.target IS NOT NULL""",
    )
    await step(
        "suggestion_supporters",
        schema.insert(
            "suggestion_supporters",
            {
                "suggestion_id": "m.merged_into_id",
                "resident_id": "m.resident_id",
                "created_at": "m.created_at",
            },
            "FROM (SELECT DISTINCT ON (s.merged_into_id, s.resident_id) s.merged_into_id, "
            "s.resident_id, s.created_at FROM suggestions s WHERE s.status = 'merged' "
            "AND s.merged_into_id IS NOT NULL AND s.resident_id IS NOT NULL "
            "ORDER BY s.merged_into_id, s.resident_id, s.id) m "
            "ON CONFLICT DO NOTHING",
        ),
    )
    await step(
        "suggestion_ratings",
        schema.insert(
            "suggestion_ratings",
            {
                "suggestion_id": "s.id",
                "resident_id": "s.resident_id",
                "score": "CASE WHEN s.status = 'reopened' THEN NULL "
                "ELSE (ARRAY[1,2,3,3,4,4,4,5,5,5])[1 + (s.id * 7) % 10] END",
                "unresolved": "s.status = 'reopened'",
                "round": "1",
                "created_at": "s.updated_at + interval '2 hours'",
            },
            "FROM suggestions s WHERE s.resident_id IS NOT NULL AND ("
            "(s.status IN ('resolved', 'closed') AND (s.id * 13) % 100 < 30) "
            "OR s.status = 'reopened')",
        ),
    )
    # The history staff leave: one reply or status change per handled suggestion.
    await step(
        "suggestion_events",
        schema.insert(
            "suggestion_events",
            {
                "suggestion_id": "s.id",
                "kind": "CASE s.status WHEN 'replied' THEN 'reply' ELSE s.status END",
                "actor": "'telegram:' || (8000000000 + s.community_id * 10)::text",
                "text": "(CAST(:replies AS text[]))[1 + s.id % 5]",
                "created_at": "s.updated_at",
            },
            "FROM suggestions s WHERE s.status IN ('replied', 'resolved', 'closed', 'reopened')",
        ),
        {"replies": STAFF_REPLIES},
    )


async def _people_around(
    step: Step, schema: _Schema, blocks: list[tuple[int, int, int]], now: datetime
) -> None:
    """Handoffs (a few open) and a month of delivered outbox rows, as an operator has them."""
    params = {
        "cids": [c for c, _, _ in blocks],
        "los": [lo for _, lo, _ in blocks],
        "sizes": [n for _, _, n in blocks],
        "now": now,
    }
    await step(
        "handoffs",
        schema.insert(
            "handoffs",
            {
                "community_id": "h.cid",
                "resident_id": "a.resident_id",
                "channel": "a.channel",
                "external_id": "a.external_id",
                "opened_at": "h.opened_at",
                "closed_at": (
                    "CASE WHEN h.open THEN NULL ELSE h.opened_at + interval '20 minutes' END"
                ),
            },
            """FROM (
                SELECT c.cid, c.lo + (k * 7919) % c.n AS rid, k <= c.cid % 4 AS open,
                       CAST(:now AS timestamptz) - CASE WHEN k <= c.cid % 4
                         THEN k * interval '10 minutes' ELSE k * interval '5 days' END AS opened_at
                FROM unnest(CAST(:cids AS int[]), CAST(:los AS int[]), CAST(:sizes AS int[]))
                     AS c(cid, lo, n)
                CROSS JOIN LATERAL generate_series(1, c.n / 50) AS k
            ) h JOIN channel_accounts a ON a.resident_id = h.rid
            ORDER BY h.opened_at""",
        ),
        params,
    )
    first = min(lo for _, lo, _ in blocks)
    total = sum(n for _, _, n in blocks)
    await step(
        "outbox (sent, 30 days)",
        schema.insert(
            "outbox",
            {
                "community_id": "r.community_id",
                "channel": "a.channel",
                "recipient": "a.external_id",
                "kind": "(ARRAY['staff_reply','resolved','menu_prompt','activity_reminder',"
                "'closed'])[1 + o.g % 5]",
                "payload": "json_build_object('text', (CAST(:replies AS text[]))[1 + o.g % 5])",
                "urgent": "false",
                "status": "'sent'",
                "attempts": "1",
                "not_before": "o.at",
                "created_at": "o.at",
                "claimed_at": "o.at + interval '1 second'",
                "sent_at": "o.at + interval '2 seconds'",
                "platform_message_id": "(o.g * 31)::text",
            },
            # A month of replies, resolutions, menu prompts and reminders: 1.2 per resident.
            f"""FROM (
                SELECT g, CAST(:first AS int) + floor(random() * CAST(:total AS int))::int AS rid,
                       CAST(:now AS timestamptz) - interval '30 days'
                         + g * interval '30 days' / {total * 6 // 5} AS at
                FROM generate_series(1, {total * 6 // 5}) AS g
            ) o
            JOIN residents r ON r.id = o.rid
            JOIN channel_accounts a ON a.resident_id = o.rid
            ORDER BY o.g""",
        ),
        {"first": first, "total": total, "now": now, "replies": STAFF_REPLIES},
    )


async def _activities(
    step: Step, schema: _Schema, blocks: list[tuple[int, int, int]], now: datetime
) -> None:
    """Activities over two years (a few still ahead) and their sign-ups."""
    params = {
        "cids": [c for c, _, _ in blocks],
        "sizes": [n for _, _, n in blocks],
        "titles": [t for t, _, _ in ACTIVITIES],
        "keywords": [k for _, k, _ in ACTIVITIES],
        "places": [p for _, _, p in ACTIVITIES],
        "now": now,
    }
    n = len(ACTIVITIES)
    await step(
        "activities",
        schema.insert(
            "activities",
            {
                "community_id": "a.cid",
                "title": f"(CAST(:titles AS text[]))[1 + a.k % {n}]",
                "description": "'欢迎居民参加。'",
                "keywords": f"(CAST(:keywords AS text[]))[1 + a.k % {n}]",
                "place": f"(CAST(:places AS text[]))[1 + a.k % {n}]",
                "starts_at": "a.starts_at",
                "ends_at": "a.starts_at + interval '2 hours'",
                "capacity": "(ARRAY[20, 30, 50, 100, NULL])[1 + (a.k * 3 + a.cid) % 5]",
                "audience": "CASE WHEN a.k % 4 = 1 THEN '60岁以上' ELSE '所有居民' END",
                "min_age": "CASE WHEN a.k % 4 = 1 THEN 60 END",
                "buildings": "CAST('[]' AS json)",
                "signup_deadline": "a.starts_at - interval '1 hour'",
                "reminder_hours": "CAST('[24, 2]' AS json)",
                "cancelled": "(a.k * 7 + a.cid) % 33 = 0",
                "waitlist_closed_at": (
                    "CASE WHEN a.starts_at < CAST(:now AS timestamptz) THEN a.starts_at END"
                ),
                "created_by": "'telegram:' || (8000000000 + a.cid * 10)::text",
                "created_at": "a.starts_at - interval '10 days'",
            },
            """FROM (
                SELECT c.cid, k,
                       (date_trunc('day', (CAST(:now AS timestamptz) - interval '730 days'
                          + (k::float8 / (20 + c.n / 40)) * interval '790 days')
                          AT TIME ZONE 'Asia/Shanghai')
                        + make_interval(hours => 9 + (k % 3) * 2)) AT TIME ZONE 'Asia/Shanghai'
                         AS starts_at
                FROM unnest(CAST(:cids AS int[]), CAST(:sizes AS int[])) AS c(cid, n)
                CROSS JOIN LATERAL generate_series(1, 20 + c.n / 40) AS k
            ) a
            ORDER BY a.starts_at - interval '10 days', a.cid""",
        ),
        params,
    )
    await step(
        "registrations",
        schema.insert(
            "registrations",
            _registration_values(),
            """FROM (
                SELECT a.id AS aid, a.starts_at, a.created_at AS opened, a.capacity, b.lo, b.n, j,
                       random() AS u
                FROM activities a
                JOIN unnest(CAST(:cids AS int[]), CAST(:los AS int[]), CAST(:sizes AS int[]))
                     AS b(cid, lo, n) ON b.cid = a.community_id
                CROSS JOIN LATERAL generate_series(1, least(b.n, CASE WHEN a.capacity IS NULL
                     THEN 10 + a.id % 50 ELSE a.capacity * (40 + a.id % 80) / 100 END)) AS j
            ) x
            ORDER BY x.opened, x.j""",
        ),
        {
            "cids": [c for c, _, _ in blocks],
            "los": [lo for _, lo, _ in blocks],
            "sizes": [n for _, _, n in blocks],
            "now": now,
        },
    )


def _registration_values() -> dict[str, str]:
    """Column expressions of sign-ups over ``x`` (aid, starts_at, opened, capacity, lo, n, j, u)."""
    return {
        "activity_id": "x.aid",
        "slot_id": "NULL",
        "resident_id": "x.lo + ((x.aid * 7919) % x.n + x.j) % x.n",
        "party_size": "CASE WHEN x.u < 0.75 THEN 1 WHEN x.u < 0.95 THEN 2 ELSE 3 END",
        "status": (
            "CASE WHEN (x.aid + x.j) % 25 = 0 THEN 'cancelled' "
            "WHEN x.capacity IS NOT NULL AND x.j > x.capacity THEN 'waitlisted' "
            "ELSE 'confirmed' END"
        ),
        "code": "upper(substr(md5(x.aid || '-' || x.j), 1, 6))",
        "created_at": "x.opened + x.j * interval '3 minutes'",
        "cancelled_at": (
            "CASE WHEN (x.aid + x.j) % 25 = 0 THEN x.opened + x.j * interval '5 minutes' END"
        ),
        "checked_in_at": (
            "CASE WHEN x.starts_at < CAST(:now AS timestamptz) AND x.u < 0.7 "
            "AND (x.aid + x.j) % 25 <> 0 AND (x.capacity IS NULL OR x.j <= x.capacity) "
            "THEN x.starts_at + interval '10 minutes' END"
        ),
    }


async def _canteen(
    step: Step, schema: _Schema, blocks: list[tuple[int, int, int]], now: datetime
) -> None:
    """Menus and orders of the last 60 days (and the next two) in the largest communities."""
    canteens = sorted(blocks, key=lambda b: b[2], reverse=True)[:CANTEENS]
    today = now.astimezone(ZONE).date()
    params = {
        "cids": [c for c, _, _ in canteens],
        "los": [lo for _, lo, _ in canteens],
        "sizes": [n for _, _, n in canteens],
        "first": today - timedelta(days=60),
        "last": today + timedelta(days=2),
        "dishes": DISHES,
        "now": now,
    }
    days = """FROM unnest(CAST(:cids AS int[]), CAST(:los AS int[]), CAST(:sizes AS int[]))
                 AS c(cid, lo, n)
            CROSS JOIN generate_series(CAST(:first AS date), CAST(:last AS date),
                                       interval '1 day') AS d(day)
            CROSS JOIN (VALUES ('lunch', 0.7), ('dinner', 0.3)) AS m(meal, share)"""
    await step(
        "menus",
        schema.insert(
            "menus",
            {
                "community_id": "c.cid",
                "day": "d.day::date",
                "meal": "m.meal",
                "dishes": (
                    "(CAST(:dishes AS text[]))[1 + (extract(doy FROM d.day)::int + c.cid) % 4]"
                ),
                "price_cents": "CASE m.meal WHEN 'lunch' THEN 1500 ELSE 1200 END",
            },
            days + " ORDER BY d.day, c.cid, m.meal",
        ),
        params,
    )
    await step(
        "meal_orders",
        schema.insert("meal_orders", _order_values(), _order_source(days)),
        {**params, "per_day": ORDERS_PER_DAY, "largest": max(n for _, _, n in canteens)},
    )


def _order_values() -> dict[str, str]:
    """Column expressions of meal orders over ``o`` (cid, day, meal, j, u) joined to ``r``."""
    return {
        "community_id": "o.cid",
        "resident_id": "r.id",
        "day": "o.day",
        "meal": "o.meal",
        "quantity": "CASE WHEN o.u < 0.85 THEN 1 ELSE 2 END",
        "delivery": "o.u > 0.8 AND r.building IS NOT NULL",
        "unit_price_cents": (
            "CASE o.meal WHEN 'lunch' THEN 1500 ELSE 1200 END - CASE WHEN r.birth_year <= 1946 "
            "THEN 500 WHEN r.birth_year <= 1956 THEN 300 ELSE 0 END"
        ),
        "diet_note": "coalesce(r.diet_note, '')",
        "status": "CASE WHEN o.j % 20 = 0 THEN 'cancelled' ELSE 'confirmed' END",
        "created_at": (
            "(o.day - 1 + time '18:00') AT TIME ZONE 'Asia/Shanghai' + o.j * interval '7 seconds'"
        ),
        "cancelled_at": (
            "CASE WHEN o.j % 20 = 0 THEN (o.day + time '08:00') AT TIME ZONE 'Asia/Shanghai' END"
        ),
        "note": (
            "CASE WHEN o.u > 0.8 AND r.building IS NOT NULL THEN r.building || '栋' "
            "|| coalesce(r.unit || '单元', '') || coalesce(r.room, '') ELSE '' END"
        ),
    }


def _order_source(days: str) -> str:
    """Orders per (community, day, meal): distinct residents, ~``per_day`` for the largest."""
    return f"""FROM (
            SELECT c.cid, c.lo, c.n, d.day::date AS day, m.meal, j, random() AS u
            {days}
            CROSS JOIN LATERAL generate_series(1, least(c.n, round(
                CAST(:per_day AS int) * c.n::float8 / CAST(:largest AS int) * m.share
                * CASE WHEN extract(isodow FROM d.day) > 5 THEN 0.6 ELSE 1 END)::int)) AS j
        ) o
        JOIN residents r ON r.id = o.lo + ((o.day - DATE '2000-01-01') * 131
             + CASE o.meal WHEN 'lunch' THEN 0 ELSE 17 END + o.j) % o.n
        ORDER BY o.day, o.cid, o.meal, o.j"""


async def ensure_current(
    conn: AsyncConnection, community_id: int, now: datetime | None = None
) -> tuple[date, int]:
    """Give a community tomorrow's kitchen list and a big upcoming activity, if it lacks them.

    These depend on the day the benchmark runs, not the day of the seed. Returns (tomorrow,
    the big activity's id).
    """
    now = now or datetime.now(UTC)
    schema = await _schema(conn)
    tomorrow = now.astimezone(ZONE).date() + timedelta(days=1)
    lo, n = (
        await conn.execute(
            text("SELECT min(id), count(*) FROM residents WHERE community_id = CAST(:c AS int)"),
            {"c": community_id},
        )
    ).one()
    biggest = await conn.scalar(
        text("SELECT max(cnt) FROM (SELECT count(*) AS cnt FROM residents GROUP BY community_id) x")
    )
    per_day = max(1, round(ORDERS_PER_DAY * n / biggest))
    placed = await conn.scalar(
        text(
            "SELECT count(*) FROM meal_orders WHERE community_id = CAST(:c AS int) "
            "AND day = CAST(:d AS date) AND status = 'confirmed'"
        ),
        {"c": community_id, "d": tomorrow},
    )
    if placed < per_day * 0.8:
        days = """FROM (VALUES (CAST(:c AS int), CAST(:lo AS int), CAST(:n AS int)))
                 AS c(cid, lo, n)
            CROSS JOIN (VALUES (CAST(:d AS date))) AS d(day)
            CROSS JOIN (VALUES ('lunch', 0.7), ('dinner', 0.3)) AS m(meal, share)"""
        params = {"c": community_id, "lo": lo, "n": n, "d": tomorrow}
        await conn.execute(
            text(
                schema.insert(
                    "menus",
                    {
                        "community_id": "c.cid",
                        "day": "d.day",
                        "meal": "m.meal",
                        "dishes": f"'{DISHES[0]}'",
                        "price_cents": "CASE m.meal WHEN 'lunch' THEN 1500 ELSE 1200 END",
                    },
                    days + " ON CONFLICT DO NOTHING",
                )
            ),
            params,
        )
        order_sql = schema.insert(
            "meal_orders", _order_values(), _order_source(days) + " ON CONFLICT DO NOTHING"
        ).replace("extract(isodow FROM d.day) > 5", "false")
        await conn.execute(text(order_sql), {**params, "per_day": per_day, "largest": n})
    big = await conn.scalar(
        text(
            "SELECT a.id FROM activities a WHERE a.community_id = CAST(:c AS int) "
            "AND a.starts_at > CAST(:now AS timestamptz) AND NOT a.cancelled "
            "AND (SELECT count(*) FROM registrations r WHERE r.activity_id = a.id "
            "AND r.status IN ('confirmed', 'waitlisted')) >= CAST(:k AS int) "
            "ORDER BY a.id LIMIT 1"
        ),
        {"c": community_id, "now": now, "k": min(BIG_ACTIVITY, n)},
    )
    if big is None:
        starts = datetime.combine(tomorrow + timedelta(days=4), datetime.min.time(), ZONE)
        starts += timedelta(hours=9)
        big = await conn.scalar(
            text(
                "INSERT INTO activities (community_id, title, description, keywords, place, "
                "starts_at, ends_at, capacity, audience, buildings, signup_deadline, "
                "reminder_hours, cancelled, created_by, created_at) VALUES (CAST(:c AS int), "
                "'大型义诊', '三甲医院专家坐诊,请带医保卡。', '义诊 看病 体检', "
                "'小区广场', CAST(:s AS timestamptz), "
                "CAST(:s AS timestamptz) + interval '3 hours', "
                "CAST(:cap AS int), '所有居民', CAST('[]' AS json), CAST(:s AS timestamptz) - "
                "interval '1 day', CAST('[24, 2]' AS json), false, 'telegram:bench', "
                "CAST(:now AS timestamptz)) RETURNING id"
            ),
            {"c": community_id, "s": starts, "cap": BIG_ACTIVITY, "now": now},
        )
        await conn.execute(
            text(
                schema.insert(
                    "registrations",
                    _registration_values(),
                    """FROM (
                        SELECT CAST(:a AS int) AS aid, CAST(:s AS timestamptz) AS starts_at,
                               CAST(:now AS timestamptz) - interval '3 days' AS opened,
                               CAST(:cap AS int) AS capacity, CAST(:lo AS int) AS lo,
                               CAST(:n AS int) AS n, j, random() AS u
                        FROM generate_series(1, least(CAST(:n AS int), CAST(:k AS int))) AS j
                    ) x""",
                )
            ),
            {
                "a": big,
                "s": starts,
                "now": now,
                "cap": BIG_ACTIVITY,
                "lo": lo,
                "n": n,
                "k": BIG_ACTIVITY * 115 // 100,
            },
        )
    return tomorrow, int(big)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--communities", type=int, default=69)
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--suggestions", type=int, default=1_000_000)
    parser.add_argument("--force", action="store_true", help="drop the schema and reseed")
    args = parser.parse_args()
    asyncio.run(seed(args.url, args.communities, args.residents, args.suggestions, args.force))


if __name__ == "__main__":
    main()
