"""Start the Telegram Bot API emulator (tests/telegram/launcher.js) for a test, and talk to it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent / "telegram"
TOKEN = "123456:TEST-token"


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed"
    if not (HERE / "node_modules" / "telegram-test-api").is_dir():
        return "tests/peers/telegram/node_modules missing (make test runs npm ci there)"
    return None


class Peer:
    """A running emulator: the bot's base URL, and the user's side of the conversation."""

    def __init__(self) -> None:
        problem = _missing()
        if problem:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{problem}; under CI=true the Telegram tests must run")
            pytest.skip(problem)
        env = {**os.environ, "TELEGRAM_TEST_EXIT_ON_STDIN_EOF": "1"}
        self.proc = subprocess.Popen(
            ["node", str(HERE / "launcher.js"), "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        assert line and line[0] == "READY", f"emulator did not start: {line}"
        self.url = f"http://127.0.0.1:{line[1]}"
        self.bot_url = f"{self.url}/bot"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def post(self, path: str, body: dict[str, Any] | None = None, method: str = "POST") -> Any:
        data = json.dumps(body or {}).encode() if method != "GET" else None
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def say(self, user_id: int, text: str, name: str = "张阿姨") -> Any:
        user = {"id": user_id, "is_bot": False, "first_name": name}
        path = "/sendCommand" if text.startswith("/") else "/sendMessage"
        return self.post(path, {"botToken": TOKEN, "text": text, "from": user})

    def press(self, user_id: int, data: str) -> Any:
        user = {"id": user_id, "is_bot": False, "first_name": "张阿姨"}
        return self.post("/sendCallback", {"botToken": TOKEN, "data": data, "from": user})

    def inbox(self, user_id: int) -> list[dict[str, Any]]:
        """Return the bot's messages to a user not read yet (as the emulator keeps them)."""
        answer = self.post("/getUpdates", {"token": TOKEN, "chatId": user_id})
        return answer.get("result", answer) if isinstance(answer, dict) else answer

    def history(self) -> list[dict[str, Any]]:
        answer = self.post("/getUpdatesHistory", {"token": TOKEN})
        return answer.get("result", answer) if isinstance(answer, dict) else answer

    def fault(self, method: str, error_code: int, **extra: Any) -> None:
        self.post("/__fault", {"method": method, "error_code": error_code, **extra})

    def calls(self, method: str) -> list[dict[str, Any]]:
        answer = self.post(f"/__calls?method={method}", method="GET")
        return answer.get("result", answer) if isinstance(answer, dict) else answer
