"""The console channel: linli in a terminal, or scripted one message per line."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.app import App
from bot.channels.plaintext import render
from bot.delivery.sender import ChannelSender, deliver_due
from bot.terminal import visible
from handlers.types import Incoming, Reply

CHANNEL = "console"
PROMPT = "你> "


class ConsoleSender:
    """Prints outbox messages addressed to the console user who is chatting."""

    name = CHANNEL

    def __init__(self, out: TextIO) -> None:
        """Write to ``out``."""
        self.out = out

    async def send(self, recipient: str, reply: Reply, kind: str = "") -> str | None:
        """Print a pushed message."""
        print(f"邻里(通知)> {visible(render(reply, kind=kind))}", file=self.out, flush=True)
        return None


async def chat(
    app: App,
    user: str,
    *,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
    interactive: bool | None = None,
) -> None:
    """Chat as ``user`` until end of input (Ctrl-D) or ``/quit``."""
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    interactive = stdin.isatty() if interactive is None else interactive
    senders: dict[str, ChannelSender] = {CHANNEL: ConsoleSender(out)}

    async def deliver() -> None:
        while await deliver_due(app.maker, senders, recipient=user):
            pass

    poller: asyncio.Task[None] | None = None
    if interactive:
        print("邻里 · 有事直接说,输入“帮助”看看能做什么。", file=out)
        # How to leave is the terminal's business, not the resident's: said on stderr.
        print("(Ctrl-D or /quit to leave)", file=sys.stderr)

        async def poll() -> None:
            # Pushed messages (a staff reply, a status change) show up while you wait.
            while True:
                await asyncio.sleep(1)
                await deliver()

        poller = asyncio.create_task(poll())
    await deliver()
    while True:
        if interactive:
            try:
                line = await asyncio.to_thread(input, PROMPT)
            except EOFError:
                break
        else:
            line = stdin.readline()
            if not line:
                break
        line = line.rstrip("\n")
        if line.strip() in ("/quit", "/exit"):
            break
        replies = await app.dispatcher.handle(Incoming(CHANNEL, user, line, display_name=user))
        for reply in replies:
            print(f"邻里> {visible(render(reply))}", file=out, flush=True)
        await deliver()
    if poller is not None:
        poller.cancel()
