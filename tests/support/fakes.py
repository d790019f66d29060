"""Stand-ins the tests use where no independent peer exists: a sender that records what it sent."""

from __future__ import annotations

from bot.config import WeChatConfig
from handlers.types import Reply
from tests.peers.wechat_api_fake import FakeWeChatAPI


class FakeSender:
    name = "telegram"

    def __init__(self, outcomes: dict[str, Exception | None]) -> None:
        self.outcomes = outcomes
        self.sent: list[tuple[str, str]] = []

    async def send(self, recipient: str, reply: Reply, kind: str = "") -> str | None:
        outcome = self.outcomes.get(recipient)
        if outcome is not None:
            raise outcome
        self.sent.append((recipient, reply.text))
        return f"msg-{len(self.sent)}"


def settings(api: FakeWeChatAPI, **more) -> WeChatConfig:
    fields = {
        "token": "t",
        "appid": api.appid,
        "secret": api.secret,
        "mode": "plain",
        "api_base_url": api.base_url,
    }
    return WeChatConfig(**(fields | more))
