"""linli serving WeChat's callback over real HTTP for tests, with WeChat's API faked."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bot.app import App, open_app
from bot.channels.wechat.channel import WeChatChannel
from bot.web.server import http_server
from tests.peers.wechat_api_fake import FakeWeChatAPI
from tests.peers.wechat_peer import WeChatPeer
from tests.support.chat import make_config

TOKEN = "linli-callback-token"


AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"


USER = "oLinliResident00000000000001"


@dataclass
class Linli:
    """A running linli with the WeChat channel, and WeChat's side of it."""

    app: App
    channel: WeChatChannel
    peer: WeChatPeer
    http: httpx.AsyncClient
    safe: bool = False

    async def post(self, xml: str, **overrides: str) -> httpx.Response:
        request = self.peer.safe_request if self.safe else self.peer.plain_request
        query, body = request(xml)
        query.update(overrides)
        return await self.http.post(self.peer.base_url, params=query, content=body.encode())

    async def say(self, text: str, msg_id: int, user: str = USER) -> str:
        response = await self.post(self.peer.text_xml(user, text, msg_id))
        assert response.status_code == 200, response.text
        return self.peer.read_reply(response.text, self.safe).get("Content", "")

    async def count(self, model) -> int:
        async with self.app.read_maker() as session:
            return await session.scalar(select(func.count()).select_from(model))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _start(db_url: str, api: FakeWeChatAPI, tmp_path: Path, **wechat) -> AsyncIterator:
    from tests.support.databases import truncate_pg

    if db_url.startswith("postgresql"):
        await truncate_pg(db_url)
    settings = {
        "token": TOKEN,
        "appid": api.appid,
        "secret": api.secret,
        "encoding_aes_key": AES_KEY,
        "mode": "plain",
        "api_base_url": api.base_url,
        "media_dir": str(tmp_path / "media"),
        "spool_dir": str(tmp_path / "inbox"),
        **wechat,
    }
    port = _free_port()
    app = await open_app(make_config(db_url, wechat=settings, http={"port": port}))
    channel = WeChatChannel(app, app.config.wechat)
    server = http_server(app, wechat=channel)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    peer = WeChatPeer(
        settings["token"], settings["appid"], AES_KEY, f"http://127.0.0.1:{port}/wechat"
    )
    async with httpx.AsyncClient(timeout=10) as http:
        yield Linli(app, channel, peer, http)
    server.should_exit = True
    await task
    await channel.stop()
    await app.close()
