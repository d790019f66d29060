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


def test_every_key_comes_from_the_environment_and_secrets_from_files(tmp_path: Path) -> None:
    key_file = tmp_path / "aes.key"
    key_file.write_text("k" * 43 + "\n", encoding="utf-8")
    config = load(
        environ={
            "LINLI_CANTEEN_LUNCH_CUTOFF": "10:30",
            "LINLI_STAFF_OPERATORS": '["telegram:42"]',
            "LINLI_TELEGRAM_TOKEN_FILE": str(_secret(tmp_path, "token", "123:secret-token")),
            "LINLI_WECHAT_AES_KEY_FILE": str(key_file),  # the older name, as a file
            "LINLI_DUTY_PHONE": "0571-1234",  # the older name of community.duty_phone
        }
    )
    assert str(config.canteen.lunch_cutoff) == "10:30:00"
    assert config.staff.operators == ["telegram:42"]
    assert config.telegram.token is not None
    assert config.telegram.token.get_secret_value() == "123:secret-token"
    assert "secret-token" not in repr(config) and "secret-token" not in str(config.telegram)
    assert config.wechat.encoding_aes_key is not None
    assert config.wechat.encoding_aes_key.get_secret_value() == "k" * 43
    assert config.community.duty_phone == "0571-1234"


def _secret(folder: Path, name: str, value: str) -> Path:
    path = folder / name
    path.write_text(value, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("environ", "never_shown"),
    [
        ({"LINLI_WECHAT_AES_KEY": "tooShortKey-SECRET"}, "tooShortKey-SECRET"),
        ({"LINLI_DATABASE_URL": "postgresql://u:pa55word@db/linli", "LINLI_LOG_LEVEL": "x"}, None),
        ({"LINLI_TELEGRAM_TOKEN": "123:SECRET", "LINLI_TELEGRAM_MODE": "webhook"}, "123:SECRET"),
    ],
)
def test_errors_never_show_a_secret(environ: dict[str, str], never_shown: str | None) -> None:
    with pytest.raises(ConfigError) as error:
        load(environ=environ)
    said = str(error.value)
    assert never_shown is None or never_shown not in said
    assert "pa55word" not in said


def test_a_bad_database_url_is_shown_without_its_password() -> None:
    from storage.engine import DatabaseUnavailable, create_engine

    with pytest.raises(DatabaseUnavailable) as error:
        create_engine("mysql://u:pa55word@db/linli")
    assert "pa55word" not in str(error.value)
    with pytest.raises(DatabaseUnavailable) as error:
        create_engine("::not a url pa55word::")
    assert "pa55word" not in str(error.value)


def test_a_secret_file_that_cannot_be_read_is_named_not_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LINLI_WECHAT_SECRET_FILE: cannot read"):
        load(environ={"LINLI_WECHAT_SECRET_FILE": str(tmp_path / "missing")})
    with pytest.raises(ConfigError, match="given twice"):
        load(environ={"LINLI_TELEGRAM_TOKEN": "1:a", "LINLI_TELEGRAM_TOKEN_FILE": "/dev/null"})
