"""The linli command line, run as a real process."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.support.cli import run


def test_nlp_classify_one_json_line_per_input_line(tmp_path: Path) -> None:
    lines = ["私家车越来越多,要规划好停车位", "", "   ", "🙂", "楼道的灯坏了好几天"]
    result = run(["nlp", "classify"], tmp_path, "\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["text"] for o in out] == lines
    assert out[0]["topic"] == "parking" and out[0]["confidence"] > 0.5
    assert "停车位" in out[0]["keywords"]
    assert out[1] == {"text": "", "topic": "other", "confidence": 0.0, "keywords": []}
    assert out[2]["topic"] == "other" and out[2]["confidence"] == 0.0
    assert out[4]["topic"] == "repairs"


def test_nlp_understand(tmp_path: Path) -> None:
    lines = ["食堂的菜太咸了", "订两份午饭", "希望活动能多办几次", "", "我的建议处理得怎么样了"]
    result = run(["nlp", "understand", "--now", "2026-11-25T08:00"], tmp_path, "\n".join(lines))
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["intent"] for o in out] == [
        "suggestion",
        "meal_order",
        "suggestion",
        "suggestion",
        "status",
    ]
    assert out[3]["confidence"] == 0.0
    assert out[4]["slots"] == {"about": "suggestions"}


def test_nlp_understand_rejects_a_bad_now(tmp_path: Path) -> None:
    result = run(["nlp", "understand", "--now", "tomorrow"], tmp_path, "订饭\n")
    assert result.returncode != 0 and "--now must be an ISO time" in result.stderr


def test_invalid_config_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "linli.toml").write_text("[staff]\nalerts = 'loud'\n", encoding="utf-8")
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 2
    assert "staff.alerts" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    env = {"LINLI_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
    result = run(["db", "upgrade"], tmp_path, env=env)
    assert result.returncode == 2
    assert "cannot reach the database" in result.stderr and "Traceback" not in result.stderr


def test_chat_script_staff_and_export(tmp_path: Path) -> None:
    assert run(["community", "add", "east", "东苑小区"], tmp_path).returncode == 0
    result = run(
        ["chat", "--user", "张阿姨", "--community", "east"],
        tmp_path,
        "你好\n私家车越来越多,要规划好停车位\n我的建议\n",
    )
    assert result.returncode == 0, result.stderr
    assert "已收到您的建议(编号 1,分类:停车)" in result.stdout
    assert "回复 1 分类不对,2 撤回" in result.stdout
    assert "编号 1|停车|待处理" in result.stdout

    staff = run(
        ["chat", "--user", "小王", "--staff", "--community", "east"],
        tmp_path,
        "/open\n/reply 1 下周划线\n",
    )
    assert "#1" in staff.stdout and "已回复编号 1" in staff.stdout
    # The reply waits in the outbox and is shown when 张阿姨 is next in the chat.
    back = run(["chat", "--user", "张阿姨", "--community", "east"], tmp_path, "")
    assert "社区回复了您的建议(编号 1)" in back.stdout and "下周划线" in back.stdout

    exported = run(["suggestions", "export", "--format", "csv"], tmp_path)
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert (
        rows[0]["id"] == "1" and rows[0]["community"] == "east" and rows[0]["status"] == "replied"
    )
    assert rows[0]["created_at"].endswith("+00:00") and "resident" not in rows[0]
    out = tmp_path / "s.jsonl"
    named = run(
        ["suggestions", "export", "--format", "jsonl", "--with-names", "--out", str(out)], tmp_path
    )
    assert named.returncode == 0
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["resident"] == "张阿姨"
    assert run(["suggestions", "export", "--format", "xml"], tmp_path).returncode == 2
    assert "no community" in run(["suggestions", "export", "--community", "x"], tmp_path).stderr


def test_staff_add_and_bad_arguments(tmp_path: Path) -> None:
    assert run(["staff", "add", "telegram:42", "--operator"], tmp_path).returncode == 0
    assert run(["staff", "add", "telegram:42"], tmp_path).returncode == 2
    bad = run(["staff", "add", "nocolon", "--operator"], tmp_path)
    assert bad.returncode == 2 and "CHANNEL:ID" in bad.stderr
    slug = run(["community", "add", "Bad Slug", "x"], tmp_path)
    assert slug.returncode == 2 and "lower-case" in slug.stderr


def test_staff_list_and_remove(tmp_path: Path) -> None:
    assert run(["community", "add", "yg", "阳光花园"], tmp_path).returncode == 0
    assert run(["community", "add", "hh", "和和家园"], tmp_path).returncode == 0
    assert run(["staff", "add", "telegram:42", "--community", "yg"], tmp_path).returncode == 0
    assert run(["staff", "add", "telegram:42", "--community", "hh"], tmp_path).returncode == 0
    assert run(["staff", "add", "console:老周", "--operator"], tmp_path).returncode == 0
    listing = run(["staff", "list"], tmp_path).stdout
    assert "telegram:42\t-\tyg" in listing and "console:老周\t-\t(every community)" in listing
    only_hh = run(["staff", "list", "--community", "hh"], tmp_path).stdout
    assert "telegram:42" in only_hh and "老周" not in only_hh
    partly = run(["staff", "remove", "telegram:42", "--community", "yg"], tmp_path)
    assert partly.returncode == 0 and "1 staff grant" in partly.stdout
    assert "\tyg" not in run(["staff", "list"], tmp_path).stdout
    assert run(["staff", "remove", "telegram:42"], tmp_path).returncode == 0
    again = run(["staff", "remove", "telegram:42"], tmp_path)
    assert again.returncode == 2 and "has no staff rights" in again.stderr
    audit = run(["audit", "list", "--action", "staff.remove"], tmp_path).stdout
    assert audit.count("staff.remove") == 2 and "telegram:42" in audit


def test_demo_and_run_without_input(tmp_path: Path) -> None:
    result = run(["run", "--demo-if-empty"], tmp_path, "")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "linli.db").exists()
    listing = run(["chat", "--user", "小王"], tmp_path, "/open\n")
    assert "待处理建议" in listing.stdout and "停车" in listing.stdout


def test_no_stray_default_community_and_staff_needs_a_community(tmp_path: Path) -> None:
    assert run(["community", "add", "yg", "阳光花园"], tmp_path).returncode == 0
    assert run(["community", "add", "hh", "和和家园"], tmp_path).returncode == 0
    chat = run(["chat", "--user", "张阿姨"], tmp_path, "楼道灯坏了\n")
    assert "1 阳光花园,2 和和家园" in chat.stdout and "我的小区" not in chat.stdout
    staff = run(["chat", "--user", "小王", "--staff"], tmp_path, "")
    assert staff.returncode == 2 and "--community" in staff.stderr


def test_export_to_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    result = run(["suggestions", "export", "--out", "/nonexistent/dir/x.csv"], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
