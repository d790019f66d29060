"""A folder of messages received but not yet handled, for when the database is away.

WeChat does not keep a message for linli: once it is answered (even with an error), it is gone.
So each callback's message is written here before it is handled and removed once it has been;
if the database was down, it stays, and is handled when the database is back (the answer then
goes out as a customer-service message). A message handled twice has no second effect: the
dispatcher's replay record answers the second time.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path


class Spool:
    """Messages kept on disk by key until handled."""

    def __init__(self, folder: str | Path) -> None:
        """Use ``folder`` (made when first needed)."""
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in key)
        return self.folder / f"{safe}.xml"

    async def put(self, key: str, body: str) -> None:
        """Keep a message (atomically: a crash leaves the old file or the new one)."""

        def write() -> None:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self._path(key)
            if target.exists():
                return
            partial = target.with_suffix(f".{os.getpid()}.part")
            partial.write_text(f"{key}\n{body}", encoding="utf-8")
            partial.replace(target)

        await asyncio.to_thread(write)

    async def done(self, key: str) -> None:
        """Forget a message that has been handled."""
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def waiting(self, older_than: float) -> list[tuple[str, str]]:
        """Return (key, body) of messages kept for more than ``older_than`` seconds."""

        def read() -> list[tuple[str, str]]:
            if not self.folder.is_dir():
                return []
            found = []
            now = time.time()
            for path in sorted(self.folder.glob("*.xml")):
                try:
                    if now - path.stat().st_mtime < older_than:
                        continue
                    key, _, body = path.read_text(encoding="utf-8").partition("\n")
                except OSError:
                    continue  # removed meanwhile
                found.append((key, body))
            return found

        return await asyncio.to_thread(read)
