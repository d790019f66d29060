"""The command line for tests: linli run as a real process, with its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(args: list[str], cwd: Path, stdin: str = "", env: dict | None = None):
    full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})}
    if "LINLI_DATABASE_URL" not in (env or {}):
        full_env.pop("LINLI_DATABASE_URL", None)
    return subprocess.run(
        [*LINLI, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
    )


def env(tmp_path: Path) -> dict[str, str]:
    return {"LINLI_DATABASE_URL": f"sqlite:///{tmp_path}/linli.db"}


LINLI = [sys.executable, "-m", "bot"]
