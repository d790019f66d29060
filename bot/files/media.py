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
