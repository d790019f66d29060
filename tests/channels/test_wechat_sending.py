"""What linli sends to WeChat: the menu, template notices, one shared access token."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest

from bot.channels.wechat.api import make_client
from bot.channels.wechat.channel import WeChatChannel
from handlers.types import Reply
from tests.peers.wechat_api_fake import FakeWeChatAPI
from tests.support.cli import run
from tests.support.fakes import settings

REDIS_URL = os.environ.get("LINLI_TEST_REDIS", "redis://127.0.0.1:6379/0")


def test_menu_push_from_the_config(tmp_path: Path, api: FakeWeChatAPI) -> None:
    config = tmp_path / "linli.toml"
    config.write_text(
        f"""
[wechat]
token = "t"
appid = "{api.appid}"
secret = "{api.secret}"
mode = "plain"
api_base_url = "{api.base_url}"
menu = [
  {{ name = "我要建议", command = "帮助" }},
  {{ name = "社区活动", command = "活动" }},
  {{ name = "更多", sub = [{{ name = "幸福食堂", command = "订餐" }}] }},
]
""",
        encoding="utf-8",
    )
    result = run(["--config", str(config), "wechat", "menu", "push"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "我要建议 / 社区活动 / 更多" in result.stdout
    assert api.menu["button"][0] == {"type": "click", "name": "我要建议", "key": "linli:帮助"}
    assert api.menu["button"][2]["sub_button"][0]["key"] == "linli:订餐"
    api.fail_next("menu/create", 40017)
    refused = run(["--config", str(config), "wechat", "menu", "push"], tmp_path)
    assert refused.returncode == 2 and "40017" in refused.stderr


def test_menu_push_without_wechat_is_a_clear_error(tmp_path: Path) -> None:
    result = run(["wechat", "menu", "push"], tmp_path)
    assert result.returncode == 2 and "WeChat is not configured" in result.stderr


async def test_notices_go_as_template_messages_when_configured(app, api) -> None:
    channel = WeChatChannel(app, settings(api, notice_template_id="TPL-1"))
    await channel.send("oUser", Reply("您的建议 #1 已回复:下周划线"), "staff_reply")
    [sent] = api.templates
    assert sent["template_id"] == "TPL-1" and sent["touser"] == "oUser"
    assert sent["data"]["content"]["value"] == "您的建议 #1 已回复:下周划线"
    await channel.send("oUser", Reply("好的"), "reply")  # an answer: customer-service text
    assert api.sent_texts("oUser") == ["好的"]


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is required under CI=true ({exc})")
        pytest.skip(f"Redis at {REDIS_URL} is not reachable")


async def test_processes_share_one_token_through_redis(api) -> None:
    _redis_or_skip()
    config = settings(api, appid=f"wx{uuid.uuid4().hex[:16]}")
    api.appid = config.appid  # the fake issues tokens to this (fresh) account
    first, second = make_client(config, REDIS_URL), make_client(config, REDIS_URL)
    # A cold start: many sends at once from two "processes" make one token request.
    sends = [
        asyncio.to_thread(client.call, client.message.send_text, f"oU{i}", "你好")
        for i, client in enumerate([first, second] * 10)
    ]
    await asyncio.gather(*sends)
    assert api.token_requests == 1
    api.expire_token()  # WeChat says 40001: one refresh, and the message still goes
    await asyncio.to_thread(second.call, second.message.send_text, "oU0", "再见")
    assert api.token_requests == 2 and api.sent_texts("oU0")[-1] == "再见"
