"""WeChat's HTTP API as linli uses it: one client sharing its access token, and the menu.

wechatpy's client is pointed at a configurable API address (the tests' fake), fetches its token
with a timeout, refreshes it once across threads and processes (the lock lives in Redis when
there is one), and retries a call once when WeChat says the token went bad.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

from bot.config import MenuButton, WeChatConfig

TOKEN_ERRORS = {40001, 40014, 42001}
CLICK_PREFIX = "linli:"  # a menu click sends the command after it as if typed


class _Client(WeChatClient):  # type: ignore[misc]  # wechatpy has no type information
    """wechatpy's client pointed at a configurable API, with one token refresher.

    The stock client fetches its token from a fixed URL without a timeout, refreshes from every
    thread at once on a cold start, and retries a bad token without end; this one does not.
    """

    def __init__(self, config: WeChatConfig, session: Any, lock: Any) -> None:
        secret = config.secret.get_secret_value() if config.secret else None
        super().__init__(config.appid, secret, session=session, timeout=10, auto_retry=False)
        self.API_BASE_URL = config.api_base_url
        self._refresh_lock = lock

    def fetch_access_token(self) -> dict[str, Any]:
        with self._refresh_lock:
            # Another thread (or process, through Redis) may have refreshed it meanwhile.
            expires_at = self.expires_at
            fresh = bool(expires_at) and expires_at - time.time() > 60
            if fresh and self.session.get(self.access_token_key):
                return {}
            return self._fetch_new()

    def _fetch_new(self) -> dict[str, Any]:
        response = self._http.get(
            self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=self.timeout,
        )
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return dict(result)

    def call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Call an API once more with a fresh token if WeChat says the token went bad."""
        used = self.session.get(self.access_token_key)
        try:
            return method(*args, **kwargs)
        except WeChatClientException as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            with self._refresh_lock:
                # Refresh only if nobody did since: many threads fail on the same old token.
                if self.session.get(self.access_token_key) in (None, used):
                    self._fetch_new()
            return method(*args, **kwargs)


def _session_and_lock(redis_url: str | None, appid: str) -> tuple[Any, Any]:
    if not redis_url:
        return MemoryStorage(), threading.Lock()
    try:
        import redis
    except ImportError as exc:  # an extra: pip install 'linli[redis]'
        raise RuntimeError("wechat.redis_url is set but redis is not installed") from exc
    from wechatpy.session.redisstorage import RedisStorage

    client = redis.Redis.from_url(redis_url)
    # One refresher across processes: the lock lives in Redis too.
    lock = client.lock(f"linli:wechat:{appid}:token-refresh", timeout=30, blocking_timeout=30)
    return RedisStorage(client, prefix="linli:wechat"), lock


def make_client(config: WeChatConfig, redis_url: str | None = None) -> _Client:
    """Return an API client whose access token lives in Redis (if given) or in memory."""
    session, lock = _session_and_lock(redis_url, str(config.appid))
    return _Client(config, session, lock)


class MenuRefused(Exception):
    """WeChat (or the network) refused the custom menu."""


async def push_menu(config: WeChatConfig, redis_url: str | None = None) -> dict[str, Any]:
    """Create the custom menu from the config; return the menu sent."""
    menu = menu_json(config.menu)
    client = make_client(config, redis_url)
    try:
        await asyncio.to_thread(client.call, client.menu.create, menu)
    except WeChatClientException as exc:
        raise MenuRefused(f"WeChat refused the menu: {exc.errcode} {exc.errmsg}") from exc
    except requests.RequestException as exc:
        raise MenuRefused(f"cannot reach WeChat's API ({type(exc).__name__})") from exc
    return menu


def menu_json(buttons: list[MenuButton]) -> dict[str, Any]:
    """Return WeChat's custom-menu JSON; a click sends its command as if typed."""

    def one(button: MenuButton) -> dict[str, Any]:
        if button.sub:
            return {"name": button.name, "sub_button": [one(b) for b in button.sub]}
        if button.url:
            return {"type": "view", "name": button.name, "url": button.url}
        return {"type": "click", "name": button.name, "key": CLICK_PREFIX + str(button.command)}

    return {"button": [one(b) for b in buttons]}
