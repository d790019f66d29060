"""linli residents tag and linli broadcast send|report, run as real processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli.broadcasts import parse_audience
from tests.support.cli import env, run


def test_tag_then_announce_then_report(tmp_path: Path) -> None:
    assert run(["demo"], tmp_path, env=env(tmp_path)).returncode == 0
    tagged = run(["residents", "tag", "老人", "--name", "我"], tmp_path, env=env(tmp_path))
    assert tagged.returncode == 0 and "tagged 1 residents" in tagged.stdout, tagged.stderr
    sent = run(
        ["broadcast", "send", "--text", "明天停水", "--audience", "tag:老人"],
        tmp_path,
        env=env(tmp_path),
    )
    assert sent.returncode == 0 and "broadcast 1 stored: 1 deliveries" in sent.stdout, sent.stderr
    report = run(["broadcast", "report", "1"], tmp_path, env=env(tmp_path))
    assert report.returncode == 0 and "#1“明天停水”" in report.stdout


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["broadcast", "send", "--text", " "], "--text must have 1 to 2000 characters"),
        (["broadcast", "send", "--text", "x", "--audience", "foo"], "--audience 'foo'"),
        (["broadcast", "send", "--text", "x", "--audience", "age:79-60"], "--audience"),
        (["broadcast", "send", "--text", "x", "--kind", "party"], "--kind must be"),
        (["broadcast", "send", "--text", "x", "--at", "2026-11-28T09:00"], "time zone"),
        (["broadcast", "report", "9"], "there is no broadcast 9"),
        (["residents", "tag", "老人"], "say who"),
        (["residents", "tag", "老人", "--name", "没这人"], "no resident"),
    ],
)
def test_bad_command_lines_are_refused_and_store_nothing(
    tmp_path: Path, args: list[str], error: str
) -> None:
    result = run(args, tmp_path, env=env(tmp_path))
    assert result.returncode == 2 and error in result.stderr, result.stderr
    report = run(["broadcast", "report", "1"], tmp_path, env=env(tmp_path))
    assert report.returncode == 2  # nothing was stored


def test_audiences_as_written_on_the_command_line() -> None:
    assert parse_audience("all") == {"kind": "all"}
    assert parse_audience("building:3") == {"kind": "building", "building": "3"}
    assert parse_audience("age:60-") == {"kind": "age", "min": 60}
    assert parse_audience("age:-40") == {"kind": "age", "max": 40}
    assert parse_audience("activity:12") == {"kind": "activity", "activity_id": 12}
    for bad in ("age:x-3", "age:-", "activity:x", "tag:", "building:", "all:1"):
        with pytest.raises(ValueError):
            parse_audience(bad)
