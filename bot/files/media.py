"""Where copies of residents' pictures are kept, and deleting them with the resident."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path


def picture_path(media_dir: str | Path, channel: str, media_id: str) -> Path:
    """Return where a picture a resident sent on ``channel`` is kept."""
    safe = "".join(c for c in media_id if c.isalnum() or c in "-_")
    return Path(media_dir) / channel / f"{safe}.jpg"


def forgetter(
    media_dir: str | Path, channels: tuple[str, ...] = ("wechat",)
) -> Callable[[list[str]], Awaitable[None]]:
    """Return the function that deletes the kept copies of some pictures (by their refs)."""

    async def forget(refs: list[str]) -> None:
        def delete() -> None:
            for ref in refs:
                for channel in channels:
                    with contextlib.suppress(OSError):
                        picture_path(media_dir, channel, ref).unlink(missing_ok=True)

        await asyncio.to_thread(delete)

    return forget


def picture_finder(media_dir: str | Path) -> Callable[[str, str], str | None]:
    """Return how a picture a resident sent is shown again: its kept copy, or its platform id.

    WeChat's media ids expire after three days, so WeChat pictures are kept as files; a
    Telegram file id can be sent again as it is (to Telegram).
    """

    def find(channel: str, ref: str) -> str | None:
        kept = picture_path(media_dir, channel, ref)
        if kept.is_file():
            return str(kept)
        return ref if channel == "telegram" else None

    return find
