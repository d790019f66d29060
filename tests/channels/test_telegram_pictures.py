"""A picture and its words on Telegram: a short text rides as the caption, a long one follows."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.app import open_app
from bot.channels.telegram.channel import TelegramChannel
from bot.config import TelegramConfig
from handlers.types import Button, Reply
from tests.support.chat import make_config


class Bot:
    """Stands in for PTB's bot: records each call, answers like the Bot API."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def send_photo(self, chat_id: str, photo: Any, **kw: Any) -> Any:
        self.calls.append(("photo", {"photo": photo, **kw}))
        return SimpleNamespace(message_id=1, photo=[SimpleNamespace(file_id="FILE-ID")])

    async def send_message(self, chat_id: str, text: str, **kw: Any) -> Any:
        self.calls.append(("text", {"text": text, **kw}))
        return SimpleNamespace(message_id=2, photo=None)


@pytest.fixture
async def channel(sqlite_url: str) -> Any:
    app = await open_app(make_config(sqlite_url))
    found = TelegramChannel(app, TelegramConfig(token="1:x"))
    bot = Bot()
    found.application = SimpleNamespace(bot=bot)  # type: ignore[assignment]
    yield found, bot
    await app.close()


async def test_a_short_text_is_the_caption_and_the_upload_is_reused(
    channel: Any, tmp_path: Path
) -> None:
    found, bot = channel
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG\r\n")
    keys = ((Button("开始填写", "poll:open:1"),),)
    await found.deliver("42", Reply("“二楼做什么”结果图", keys, image=str(chart)))
    await found.deliver("43", Reply("“二楼做什么”结果图", image=str(chart)))
    (kind, first), (kind2, second) = bot.calls
    assert kind == kind2 == "photo"
    assert first["caption"] == "“二楼做什么”结果图" and first["photo"] == b"\x89PNG\r\n"
    assert first["reply_markup"] is not None  # the buttons go with it
    assert second["photo"] == "FILE-ID"  # uploaded once, then sent by Telegram's id


async def test_a_long_text_follows_the_picture(channel: Any, tmp_path: Path) -> None:
    found, bot = channel
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG\r\n")
    long = "结果" * 600  # over the 1024 of a caption
    await found.deliver("42", Reply(long, image=str(chart)))
    assert [k for k, _ in bot.calls] == ["photo", "text"]
    assert bot.calls[0][1]["caption"] is None and bot.calls[1][1]["text"] == long
