"""linli events import / export, run as real processes."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

from tests.support.cli import run

# Some weeks ahead: imports refuse activities more than two years away (and long past).
SOON = date.today() + timedelta(days=60)


def _day(n: int) -> str:
    return (SOON + timedelta(days=n)).isoformat()


TOML = f"""
[[activity]]
title = "社区义诊"
starts_at = {_day(0)}T09:00:00
ends_at = {_day(0)}T11:30:00
place = "活动中心一楼"
capacity = 30
keywords = "义诊 体检"

[[activity]]
title = "老年人理发"
starts_at = {_day(2)}T09:00:00
ends_at = {_day(2)}T10:00:00
slot_minutes = 15
min_age = 60
audience = "60岁以上居民"
"""


def env(tmp_path: Path) -> dict[str, str]:
    return {"LINLI_DATABASE_URL": f"sqlite:///{tmp_path}/linli.db"}


def test_import_toml_and_csv_then_export(tmp_path: Path) -> None:
    (tmp_path / "events.toml").write_text(TOML, encoding="utf-8")
    result = run(["events", "import", "events.toml"], tmp_path, env=env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["imported #1 社区义诊", "imported #2 老年人理发"]
    rows = (
        "title,starts_at,capacity,buildings\n"
        f"亲子绘画,{_day(5)} 14:00,20,\n"
        f"插花,{_day(6)} 09:00,,3号楼 5号楼\n"
    )
    (tmp_path / "more.csv").write_text(rows, encoding="utf-8")
    result = run(["events", "import", "more.csv"], tmp_path, env=env(tmp_path))
    assert result.returncode == 0 and "imported #4 插花" in result.stdout, result.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "linli.db") as db:
        buildings, hours = db.execute(
            "SELECT buildings, reminder_hours FROM activities WHERE title = '插花'"
        ).fetchone()
    assert buildings == '["3", "5"]' and hours == "[24, 2]"  # blank cells take the defaults

    chat = run(["chat", "--user", "张阿姨"], tmp_path, "报名义诊\n", env=env(tmp_path))
    assert "已为您报名:社区义诊" in chat.stdout, chat.stdout + chat.stderr
    exported = run(["events", "export", "1"], tmp_path, env=env(tmp_path))
    assert exported.returncode == 0, exported.stderr
    [row] = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert row["name"] == "张阿姨" and row["status"] == "confirmed" and len(row["code"]) == 6
    xlsx = tmp_path / "roster.xlsx"
    result = run(
        ["events", "export", "1", "--format", "xlsx", "--out", str(xlsx)],
        tmp_path,
        env=env(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    assert [c.value for c in sheet[1]][:2] == ["code", "name"] and sheet[2][1].value == "张阿姨"


def test_a_bad_row_imports_nothing_and_says_where(tmp_path: Path) -> None:
    bad = TOML + '\n[[activity]]\ntitle = ""\nstarts_at = "soon"\ncapacity = -1\n'
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    result = run(["events", "import", "bad.toml"], tmp_path, env=env(tmp_path))
    assert result.returncode == 2
    assert "nothing imported" in result.stderr and "activity 3: title" in result.stderr
    assert "activity 3: starts_at" in result.stderr and "activity 3: capacity" in result.stderr
    listing = run(["chat", "--user", "张阿姨"], tmp_path, "活动\n", env=env(tmp_path))
    assert "最近没有可以报名的活动" in listing.stdout
    missing = run(["events", "import", "nope.toml"], tmp_path, env=env(tmp_path))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    unknown = run(["events", "export", "42"], tmp_path, env=env(tmp_path))
    assert unknown.returncode == 2 and "no activity #42" in unknown.stderr
    xlsx = run(["events", "export", "1", "--format", "xlsx"], tmp_path, env=env(tmp_path))
    assert xlsx.returncode == 2 and "needs --out" in xlsx.stderr
