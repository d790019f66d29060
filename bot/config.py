"""Configuration: a TOML file, overridden by LINLI_* environment variables, validated.

Every key can come from the environment as LINLI_<SECTION>_<KEY> (LINLI_CANTEEN_LUNCH_CUTOFF),
and every one from a file as LINLI_<SECTION>_<KEY>_FILE (a container's mounted secret). Secrets
(tokens, keys, the app secret) are SecretStr: they print as ``**********``, and neither an
error nor a log line ever shows one, nor the password of a database or Redis URL.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

DEFAULT_CONFIG = Path("linli.toml")
# Shorter names from before every key had one; they keep working.
ENV_ALIASES = {
    "LINLI_DUTY_PHONE": "LINLI_COMMUNITY_DUTY_PHONE",
    "LINLI_WECHAT_AES_KEY": "LINLI_WECHAT_ENCODING_AES_KEY",
}
# Settings never shown back, whatever is wrong with them.
SECRET_KEYS = frozenset(
    {"telegram.token", "wechat.token", "wechat.secret", "wechat.encoding_aes_key"}
)
# URLs shown without their password.
URL_KEYS = frozenset({"database.url", "redis.url"})


class ConfigError(ValueError):
    """A configuration problem, described for the person who wrote the file."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseConfig(_Section):
    """Where linli keeps its data."""

    url: str = "sqlite:///var/linli.db"


class CommunityConfig(_Section):
    """Defaults for the community created on first start."""

    name: str = "我的小区"
    duty_phone: str | None = None
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _known_zone(value)


def _known_zone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}; use a name like 'Asia/Shanghai'") from exc
    return name


class StaffConfig(_Section):
    """Operator-wide staff and how staff hear about new suggestions."""

    operators: list[str] = Field(default_factory=list)
    alerts: Literal["each", "digest", "off"] = "each"
    digest_minutes: int = Field(default=30, ge=1, le=1440)

    @field_validator("operators")
    @classmethod
    def _accounts(cls, value: list[str]) -> list[str]:
        for account in value:
            channel, sep, ident = account.partition(":")
            if not sep or channel not in ("console", "telegram", "wechat") or not ident:
                raise ValueError(
                    f"{account!r} must be 'console:NAME', 'telegram:<numeric id>'"
                    " or 'wechat:<openid>'"
                )
            if channel == "telegram" and not ident.isdigit():
                raise ValueError(f"{account!r}: a Telegram id is a number")
        return value


class SuggestionsConfig(_Section):
    """How suggestions are handled."""

    similar_days: int = Field(default=30, ge=1, le=365)
    max_text_chars: int = Field(default=2000, ge=100, le=20000)
    rating_days: int = Field(default=7, ge=1, le=60)


class ConversationConfig(_Section):
    """How long a pending question waits for its answer."""

    expire_minutes: int = Field(default=30, ge=1, le=10080)


class OutboxConfig(_Section):
    """The sender that delivers pushed messages."""

    poll_seconds: float = Field(default=1.0, gt=0, le=60)
    batch: int = Field(default=50, ge=1, le=1000)
    # Sends in flight at once per worker (each within the platform's rate limits).
    concurrency: int = Field(default=8, ge=1, le=256)
    # A worker silent this long is taken for dead: the rows it claimed are tried once more.
    worker_timeout_seconds: float = Field(default=20.0, ge=1, le=600)


class BroadcastConfig(_Section):
    """Announcements: quiet hours when non-urgent ones wait (start == end: none)."""

    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)


class TelegramConfig(_Section):
    """The Telegram bot (enabled when a token is set)."""

    token: SecretStr | None = None
    # Another Bot API server (self-hosted, or a test emulator), e.g. "http://127.0.0.1:8081/bot".
    base_url: str | None = None
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    poll_timeout: int = Field(default=30, ge=0, le=50)
    rate_per_second: float = Field(default=30.0, gt=0, le=1000)
    rate_per_chat: float = Field(default=1.0, gt=0, le=30)
    # Telegram's paid broadcasts (Stars) allow up to 1000 messages/s for announcements; without
    # them keep rate_per_second at 30 or below.
    allow_paid_broadcast: bool = False
    # How many chats' updates are handled side by side.
    concurrency: int = Field(default=8, ge=1, le=256)

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> TelegramConfig:
        if self.mode == "webhook" and not self.webhook_url:
            raise ValueError("mode 'webhook' needs webhook_url (the public https URL of linli)")
        return self


class MenuButton(_Section):
    """One button of the WeChat custom menu: a command to send, or a sub-menu."""

    name: str = Field(min_length=1, max_length=16)
    # What a click sends, as if the resident had typed it (e.g. "我的建议", "/help").
    command: str | None = None
    url: str | None = None
    sub: list[MenuButton] = Field(default_factory=list, max_length=5)

    @model_validator(mode="after")
    def _one_action(self) -> MenuButton:
        actions = [bool(self.command), bool(self.url), bool(self.sub)]
        if sum(actions) != 1:
            raise ValueError(f"menu button {self.name!r} needs one of command, url or sub")
        return self


DEFAULT_MENU = [
    MenuButton(name="我要建议", command="帮助"),
    MenuButton(name="社区活动", command="活动"),
    MenuButton(
        name="我的",
        sub=[
            MenuButton(name="我的建议", command="我的建议"),
            MenuButton(name="我的报名", command="我的报名"),
            MenuButton(name="转人工", command="转人工"),
            MenuButton(name="留电话", command="留电话"),
        ],
    ),
]


class WeChatConfig(_Section):
    """The WeChat Official Account (enabled when a token is set)."""

    token: SecretStr | None = None
    appid: str | None = None
    secret: SecretStr | None = None
    # The 43-character EncodingAESKey; needed for "compatible" and "safe" modes.
    encoding_aes_key: SecretStr | None = Field(default=None, min_length=43, max_length=43)
    mode: Literal["plain", "compatible", "safe"] = "safe"
    path: str = "/wechat"
    # WeChat's API (tests point this at a fake).
    api_base_url: str = "https://api.weixin.qq.com/cgi-bin/"
    # WeChat waits 5 s for a passive reply; after this, answer "success" and send later.
    reply_budget_seconds: float = Field(default=4.0, gt=0, le=4.5)
    # Callbacks whose signed timestamp is further from now are refused (0: never).
    max_clock_skew_seconds: int = Field(default=300, ge=0, le=86400)
    # A template message id for notices (service accounts); customer-service text otherwise.
    notice_template_id: str | None = None
    notice_template_field: str = "content"
    # Where pictures residents send are kept (WeChat deletes its copy after 3 days).
    media_dir: str = "var/media"
    # Where messages wait while the database is away (handled when it is back).
    spool_dir: str = "var/wechat-inbox"
    # Announcements to a tag go out as one mass send by a WeChat tag (synced from linli's)
    # while the account's quota lasts: service accounts 4 per 30 days, subscription 1 per day.
    mass_send_by_tag: bool = False
    mass_quota: int = Field(default=4, ge=0, le=100)
    mass_quota_days: int = Field(default=30, ge=1, le=31)
    menu: list[MenuButton] = Field(default_factory=lambda: list(DEFAULT_MENU), max_length=3)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("path must start with '/'")
        return value

    @model_validator(mode="after")
    def _complete(self) -> WeChatConfig:
        if self.token and not (self.appid and self.secret):
            raise ValueError("a WeChat token needs appid and secret too")
        if self.token and self.mode != "plain" and not self.encoding_aes_key:
            raise ValueError(f"mode {self.mode!r} needs encoding_aes_key (43 characters)")
        return self


class Subsidy(_Section):
    """A subsidy tier: residents of at least this age pay this much less per meal."""

    min_age: int = Field(ge=1, le=120)
    discount: float = Field(ge=0)


class CanteenConfig(_Section):
    """The community canteen (幸福食堂)."""

    lunch_cutoff: time = time(10, 0)
    dinner_cutoff: time = time(15, 0)
    # The daily menu to residents who asked for it (每天提醒我订餐) on open days; None: never.
    prompt_time: time | None = time(9, 0)
    subsidies: list[Subsidy] = Field(
        default_factory=lambda: [Subsidy(min_age=60, discount=2), Subsidy(min_age=80, discount=4)]
    )
    # Delivery for residents staff mark, and for everyone of at least this age (None: only marked).
    delivery_min_age: int | None = Field(default=80, ge=1, le=120)
    max_quantity: int = Field(default=10, ge=1, le=100)
    open_weekends: bool = False
    # Days that differ from the calendar (and holidays for years the calendar does not know).
    extra_open_days: list[date] = Field(default_factory=list)
    closed_days: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _times_in_order(self) -> CanteenConfig:
        if self.lunch_cutoff >= self.dinner_cutoff:
            raise ValueError("lunch_cutoff must come before dinner_cutoff")
        if self.prompt_time is not None and self.prompt_time >= self.lunch_cutoff:
            raise ValueError(
                "prompt_time must come before lunch_cutoff (the prompt says order now)"
            )
        return self


class RedisConfig(_Section):
    """Redis, for sharing the WeChat access token between processes (memory otherwise)."""

    url: str | None = None


class HttpConfig(_Section):
    """linli's HTTP server (webhooks, /healthz)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class LogConfig(_Section):
    """Logging."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Config(BaseSettings):
    """Every setting of linli (see config.example.toml)."""

    model_config = SettingsConfigDict(
        extra="forbid",
        env_prefix="LINLI_",
        env_nested_delimiter="_",
        env_nested_max_split=1,  # LINLI_WECHAT_ENCODING_AES_KEY: wechat, encoding_aes_key
        env_ignore_empty=True,
    )

    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    community: CommunityConfig = Field(default_factory=CommunityConfig)
    staff: StaffConfig = Field(default_factory=StaffConfig)
    suggestions: SuggestionsConfig = Field(default_factory=SuggestionsConfig)
    conversation: ConversationConfig = Field(default_factory=ConversationConfig)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    broadcast: BroadcastConfig = Field(default_factory=BroadcastConfig)
    telegram: TelegramConfig = Field(default_factory=TelegramConfig)
    wechat: WeChatConfig = Field(default_factory=WeChatConfig)
    redis: RedisConfig = Field(default_factory=RedisConfig)
    canteen: CanteenConfig = Field(default_factory=CanteenConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    log: LogConfig = Field(default_factory=LogConfig)


def hide_password(url: str) -> str:
    """Return a URL with its password (if any) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(not a URL)"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{parts.username or ''}:***@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def _shown(key: str, given: object) -> str:
    """Say what was given for a key, unless it is a secret (a URL without its password)."""
    if key in SECRET_KEYS or isinstance(given, dict | list):
        return ""
    if key in URL_KEYS and isinstance(given, str):
        return f" (got {hide_password(given)!r})"
    return f" (got {given!r})"


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"invalid configuration in {source}:"]
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"])
        if item["type"] == "extra_forbidden":
            lines.append(f"  {key}: unknown setting (see config.example.toml for every key)")
        else:
            lines.append(f"  {key}: {item['msg']}{_shown(key, item.get('input'))}")
    return "\n".join(lines)


class _Environment(EnvSettingsSource):
    """The LINLI_* variables of a given mapping (the process's own, or a test's)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(Config)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {name.lower(): value for name, value in self._given.items()}


def _prepared(environ: Mapping[str, str]) -> dict[str, str]:
    """Return the LINLI_* variables with *_FILE variants read and older names renamed."""
    found: dict[str, str] = {}
    for name, value in environ.items():
        upper = name.upper()
        if not upper.startswith("LINLI_"):
            continue
        if upper.endswith("_FILE"):
            upper = upper.removesuffix("_FILE")
            try:
                value = Path(value).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"{name}: cannot read {value}: {exc.strerror}") from exc
        upper = ENV_ALIASES.get(upper, upper)
        if upper in found:
            raise ConfigError(f"{upper} is given twice (directly, by an older name, or as _FILE)")
        found[upper] = value
    return found


def _merged(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``over`` laid on top, table by table."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def load(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load the config file (``linli.toml`` if present), apply LINLI_* variables, validate."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    source = "defaults"
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    if path is not None:
        source = str(path)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    variables = _prepared(environ)
    if variables:
        source += " and the LINLI_* environment"
    try:
        from_environment = _Environment(variables)()
        for section in from_environment:
            if section in raw and not isinstance(raw[section], dict):
                raise ConfigError(f"{section} in {source} must be a table")
        return Config.model_validate(_merged(raw, from_environment))
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from exc
