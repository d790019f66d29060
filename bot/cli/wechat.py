"""The WeChat Official Account: pushing its custom menu."""

from __future__ import annotations

from typing import Any

import typer

from bot.cli.common import (
    fail,
    load_config,
    run_async,
)

wechat_app = typer.Typer(help="The WeChat Official Account.")
wechat_menu_app = typer.Typer(help="The account's custom menu.")
wechat_app.add_typer(wechat_menu_app, name="menu")


@wechat_menu_app.command("push")
def wechat_menu_push() -> None:
    """Create the custom menu from [wechat] menu in the config (replacing the old one)."""

    async def main() -> dict[str, Any]:
        from bot.channels.wechat.api import MenuRefused, push_menu

        config = load_config()
        if not (config.wechat.token and config.wechat.appid and config.wechat.secret):
            fail("WeChat is not configured: set [wechat] token, appid and secret")
        try:
            return await push_menu(config.wechat, config.redis.url)
        except MenuRefused as exc:
            raise ValueError(str(exc)) from exc

    menu = run_async(main)
    names = [b["name"] for b in menu["button"]]
    print(f"menu pushed: {' / '.join(names)}")
