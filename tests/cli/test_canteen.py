"""linli menu import and linli orders export, run as real processes."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

from tests.support.cli import env, run

# A day some weeks ahead: imports refuse menus more than a year away.
DAY = (date.today() + timedelta(days=30)).isoformat()


def test_menus_in_and_orders_out(tmp_path: Path) -> None:
    menus = f"date,meal,dishes,price\n{DAY},午餐,红烧肉 青菜 米饭,10\n{DAY},dinner,鱼 豆腐 粥,8.5\n"
    (tmp_path / "week.csv").write_text(menus, encoding="utf-8")
    result = run(["menu", "import", "week.csv"], tmp_path, env=env(tmp_path))
    assert result.returncode == 0 and "published 2 menus" in result.stdout, result.stderr
    out = run(["orders", "export", "--date", DAY], tmp_path, env=env(tmp_path))
    assert out.returncode == 0, out.stderr
    assert list(csv.DictReader(io.StringIO(out.stdout))) == []  # nobody ordered yet
    header = out.stdout.splitlines()[0]
    assert header == "meal,delivery,address,name,quantity,diet_note,unit_price"


def test_a_bad_menu_row_imports_nothing(tmp_path: Path) -> None:
    bad = f"date,meal,dishes,price\n{DAY},早餐,粥,3\n2030-13-40,午餐,,-1\n"
    (tmp_path / "bad.csv").write_text(bad, encoding="utf-8")
    result = run(["menu", "import", "bad.csv"], tmp_path, env=env(tmp_path))
    assert result.returncode == 2 and "nothing imported" in result.stderr
    assert "menu 1: meal" in result.stderr and "menu 2: date" in result.stderr
    assert "menu 2: price" in result.stderr
    wrong = run(["orders", "export", "--date", "tomorrow"], tmp_path, env=env(tmp_path))
    assert wrong.returncode == 2 and "--date must be a day" in wrong.stderr


def test_several_communities_need_the_community_named(tmp_path: Path) -> None:
    for slug in ("east", "west"):
        added = run(["community", "add", slug, slug], tmp_path, env=env(tmp_path))
        assert added.returncode == 0, added.stderr
    out = run(["orders", "export", "--date", DAY], tmp_path, env=env(tmp_path))
    assert out.returncode == 2 and "give --community SLUG (east, west)" in out.stderr
    named = run(
        ["orders", "export", "--date", DAY, "--community", "west"], tmp_path, env=env(tmp_path)
    )
    assert named.returncode == 0, named.stderr
    audit = run(["audit", "list", "--action", "export."], tmp_path, env=env(tmp_path))
    assert (
        audit.returncode == 0 and "export.orders" in audit.stdout and f"day:{DAY}" in audit.stdout
    )
