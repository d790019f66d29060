"""Joining a community, and moving to another."""

from __future__ import annotations

from handlers.context import Context
from handlers.router import NO_COMMUNITY, Router
from handlers.types import Reply, buttons
from storage import communities
from storage.models import Community

router = Router("onboarding")

JOIN = "community.join"
MAX_LISTED = 9

WELCOME = "欢迎!您已加入“{name}”。直接发消息告诉我您的建议,或发送“帮助”看看我能做什么。"
CHOOSE = "请选择您住的小区:"
SEARCH = "请告诉我您住的小区名字(例如“阳光花园”),我帮您找。"
NO_MATCH = "没有找到名字里有“{text}”的小区,请换个说法再试一次。"


async def _join(ctx: Context, community: Community) -> list[Reply] | None:
    """Join, then handle the message that was waiting for a community, if there was one."""
    assert ctx.resident is not None
    waiting = ctx.state.data.get("waiting") if ctx.state and ctx.state.state == JOIN else None
    ctx.resident.community_id = community.id
    ctx.community = community
    await ctx.done()
    welcome = Reply(WELCOME.format(name=community.name))
    if not waiting:
        return [welcome]
    ctx.replies_prefix.append(welcome)
    ctx.text, ctx.choice, ctx.state, ctx.resumed = waiting, None, None, True
    return None


def _invited_slug(payload: str | None) -> str | None:
    """Return the community slug of an invite payload (``c-<slug>``)."""
    if payload and payload.startswith("c-"):
        return payload[2:]
    return None


def _choices(found: list[Community]) -> list[Reply]:
    return [Reply(CHOOSE, buttons(*[(c.name, f"join:{c.id}") for c in found], per_row=1))]


@router.state(JOIN, hint="请选您住的小区")
@router.intent(NO_COMMUNITY)
async def join(ctx: Context) -> list[Reply] | None:
    """Put a new resident into a community: the only one, the invited one, or their choice."""
    slug = _invited_slug(ctx.incoming.start_payload)
    if slug:
        invited = await communities.get_by_slug(ctx.session, slug)
        if invited is not None:
            return await _join(ctx, invited)
    every = await communities.list_all(ctx.session)
    if not every:
        every = [await communities.ensure_default(ctx.session)]
    if len(every) == 1:
        # A single community is invisible: join it and go on with the message itself.
        assert ctx.resident is not None
        ctx.resident.community_id = every[0].id
        ctx.community = every[0]
        if ctx.state is not None and ctx.state.state == JOIN:  # 切换小区 with nowhere to go
            await ctx.done()
            return [Reply(WELCOME.format(name=every[0].name))]
        return None
    if ctx.choice and ctx.choice.startswith("join:"):
        chosen = next((c for c in every if f"join:{c.id}" == ctx.choice), None)
        if chosen is not None:
            return await _join(ctx, chosen)
    asking = ctx.state is not None and ctx.state.state == JOIN
    # Keep the first thing they said, to handle it once they have joined.
    data = dict(ctx.state.data) if asking and ctx.state else {}
    if not asking and ctx.text and not ctx.text.startswith("/"):
        data["waiting"] = ctx.text
    if len(every) <= MAX_LISTED:
        return await ctx.ask(JOIN, _choices(every), data)
    if not asking or not ctx.text:
        return await ctx.ask(JOIN, [Reply(SEARCH)], data)
    found = [c for c in every if ctx.text in c.name or ctx.text == c.slug]
    if len(found) == 1:
        return await _join(ctx, found[0])
    if not found:
        return await ctx.ask(JOIN, [Reply(NO_MATCH.format(text=ctx.text[:20]))], data)
    return await ctx.ask(JOIN, _choices(found[:MAX_LISTED]), data)


@router.command("切换小区", "/move")
async def move(ctx: Context) -> list[Reply]:
    """Let a resident choose another community."""
    assert ctx.resident is not None
    ctx.resident.community_id = None
    ctx.community = None
    every = await communities.list_all(ctx.session)
    if len(every) <= MAX_LISTED:
        return await ctx.ask(JOIN, _choices(every))
    return await ctx.ask(JOIN, [Reply(SEARCH)])
