"""Configuration: defaults, environment overrides, clear errors naming the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load
from tests.support import ROOT


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load(environ={})
    assert config.database.url == "sqlite:///var/linli.db"
    assert config.staff.alerts == "each"


def test_example_config_is_valid() -> None:
    config = load(ROOT / "config.example.toml", environ={})
    assert config.suggestions.similar_days == 30


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "linli.toml"
    path.write_text('[database]\nurl = "sqlite:///a.db"\n', encoding="utf-8")
    config = load(path, environ={"LINLI_DATABASE_URL": "postgresql://x@h/db"})
    assert config.database.url == "postgresql://x@h/db"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[staff]\nalerts = 'sometimes'\n", "staff.alerts"),
        ("[suggestions]\nsimilar_days = 0\n", "suggestions.similar_days"),
        ("[database]\nurll = 'x'\n", "database.urll: unknown setting"),
        ("[staff]\noperators = ['telegram:abc']\n", "a Telegram id is a number"),
        ("[staff]\noperators = ['bob']\n", "staff.operators"),
        ("[outbox]\npoll_seconds = 'fast'\n", "outbox.poll_seconds"),
    ],
)
def test_invalid_values_name_the_key(tmp_path: Path, toml: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load(path, environ={})
    assert expected in str(error.value) and str(path) in str(error.value)


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[database\nurl=", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(path, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "nope.toml", environ={})
