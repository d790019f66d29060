"""Talking to linli through the Telegram Bot API emulator: fetching, reading messages, buttons."""

from __future__ import annotations

from bot.channels.telegram.channel import TelegramChannel

RESIDENT, STAFF = 42, 900


async def poll(channel: TelegramChannel) -> int:
    """Fetch one batch and wait until linli has handled it."""
    fetched = await channel.poll_once(0)
    await channel.inbox.settle()
    return fetched


def texts(messages: list[dict]) -> list[str]:
    return [m["message"]["text"] for m in messages if "text" in m.get("message", {})]


def keyboard(message: dict) -> list[tuple[str, str]]:
    rows = message["message"].get("reply_markup", {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]
