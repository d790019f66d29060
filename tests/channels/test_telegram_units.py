"""Telegram pieces that need no server: text splitting, update parsing, rate limits."""

from __future__ import annotations

import pytest
from telegram import Bot, Update

from bot.channels.telegram.channel import split_text, to_incoming
from bot.delivery.ratelimit import HEADROOM, RateLimiter


def test_split_text_at_line_breaks() -> None:
    text = "\n".join(["一" * 1000] * 9)  # 9,008 characters
    parts = split_text(text)
    assert all(len(p) <= 4096 for p in parts) and len(parts) == 3
    assert "\n".join(parts) == text
    assert split_text("") == [""]
    assert split_text("\n\n你好") == ["\n\n你好"]
    assert [len(p) for p in split_text("x" * 9000)] == [4096, 4096, 808]


def test_split_text_counts_utf16_units() -> None:
    text = "😀" * 3000  # 3,000 characters, 6,000 UTF-16 units
    parts = split_text(text)
    assert [len(p) for p in parts] == [2048, 952]
    assert "".join(parts) == text
    mixed = ("楼道灯坏了😀\n" * 700).rstrip("\n")
    assert all(len(p.encode("utf-16-le")) // 2 <= 4096 for p in split_text(mixed))
    assert "\n".join(split_text(mixed)) == mixed


def _update(data: dict) -> Update:
    return Update.de_json(data, Bot("123:abc"))


USER = {"id": 42, "is_bot": False, "first_name": "张", "last_name": "阿姨"}
CHAT = {"id": 42, "type": "private"}


def test_text_photo_voice_location_contact_and_start_payload() -> None:
    incoming = to_incoming(
        _update(
            {
                "update_id": 7,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": CHAT,
                    "from": USER,
                    "text": "/start c-east",
                },
            }
        )
    )
    assert incoming.user_id == "42" and incoming.message_id == "u7"
    assert incoming.start_payload == "c-east" and incoming.display_name == "张 阿姨"
    photo = to_incoming(
        _update(
            {
                "update_id": 8,
                "message": {
                    "message_id": 2,
                    "date": 0,
                    "chat": CHAT,
                    "from": USER,
                    "caption": "垃圾没人清",
                    "photo": [
                        {"file_id": "small", "file_unique_id": "s", "width": 1, "height": 1},
                        {"file_id": "big", "file_unique_id": "b", "width": 9, "height": 9},
                    ],
                },
            }
        )
    )
    assert photo.text == "垃圾没人清" and photo.media[0].ref == "big"
    voice = to_incoming(
        _update(
            {
                "update_id": 9,
                "message": {
                    "message_id": 3,
                    "date": 0,
                    "chat": CHAT,
                    "from": USER,
                    "voice": {"file_id": "v", "file_unique_id": "v", "duration": 3},
                },
            }
        )
    )
    assert voice.media[0].kind == "voice" and voice.text == ""
    place = to_incoming(
        _update(
            {
                "update_id": 10,
                "message": {
                    "message_id": 4,
                    "date": 0,
                    "chat": CHAT,
                    "from": USER,
                    "location": {"latitude": 30.1, "longitude": 120.2},
                },
            }
        )
    )
    assert place.location == (30.1, 120.2)
    contact = to_incoming(
        _update(
            {
                "update_id": 11,
                "message": {
                    "message_id": 5,
                    "date": 0,
                    "chat": CHAT,
                    "from": USER,
                    "contact": {"phone_number": "13800000000", "first_name": "张"},
                },
            }
        )
    )
    assert contact.contact_phone == "13800000000"
    assert not contact.contact_is_own  # a card without the sender's user id: anyone's

    def card(uid: int) -> dict:
        return {
            "update_id": 12,
            "message": {
                "message_id": 6,
                "date": 0,
                "chat": CHAT,
                "from": USER,
                "contact": {"phone_number": "+8613800000000", "first_name": "张", "user_id": uid},
            },
        }

    assert to_incoming(_update(card(USER["id"]))).contact_is_own
    assert not to_incoming(_update(card(USER["id"] + 1))).contact_is_own


def test_callback_and_bot_messages() -> None:
    press = to_incoming(
        _update(
            {
                "update_id": 12,
                "callback_query": {
                    "id": "q",
                    "from": USER,
                    "chat_instance": "c",
                    "data": "topic:1",
                    "message": {"message_id": 9, "date": 0, "chat": CHAT, "text": "x"},
                },
            }
        ),
        button="topic:1",
    )
    assert press.button == "topic:1" and press.message_id == "u12"
    from_bot = {**USER, "is_bot": True}
    assert (
        to_incoming(
            _update(
                {
                    "update_id": 13,
                    "message": {
                        "message_id": 1,
                        "date": 0,
                        "chat": CHAT,
                        "from": from_bot,
                        "text": "hi",
                    },
                }
            )
        )
        is None
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sent: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize(("rate", "messages"), [(30.0, 300), (5.0, 50)])
async def test_global_rate_holds(rate: float, messages: int) -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_second=rate, per_chat=1000, clock=clock, sleep=clock.sleep)
    for i in range(messages):
        await limiter.acquire(f"chat{i}")
    # No burst: evenly spaced, a little under the rate, from the first message on.
    assert clock.now == pytest.approx((messages - 1) / (rate * HEADROOM), rel=0.01)


async def test_per_chat_rate_and_pause() -> None:
    clock = FakeClock()
    limiter = RateLimiter(per_second=1000, per_chat=1.0, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(6):
        await limiter.acquire("same")
    assert clock.now == pytest.approx(3.0)
    limiter.pause(10)
    await limiter.acquire("other")
    assert clock.now == pytest.approx(13.0)
