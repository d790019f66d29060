"""Staff accounts: joining by an invite, choosing the community to work in, the audit log."""

from __future__ import annotations

from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply, buttons, record_number
from storage import audit, communities
from storage import staff as staff_store

router = Router("staff")

SWITCHED = "已切换到:{name}。之后的列表和统计只看这个社区。"
WHICH_COMMUNITY = "您负责这些社区,请选择要处理的:"
INVITE_INVALID = "这个工作人员邀请码无效、已用过或已过期。请向管理员要一个新的。"
INVITE_ACCEPTED = "您已成为“{name}”的工作人员。"
INVITE_OPERATOR = "您已成为所有社区的工作人员(运营方)。"
STAFF_HELP_HINT = "发送“帮助”查看工作人员命令,发送 /open 查看待处理建议。"


@router.payload("s")
async def accept_invite(ctx: Context) -> list[Reply]:
    """Make the person who opened a staff invite link staff (once, before it expires)."""
    code = (ctx.incoming.start_payload or "").partition("-")[2]
    invite = await staff_store.redeem_invite(
        ctx.session, code, ctx.incoming.channel, ctx.incoming.user_id, ctx.now
    )
    if invite is None:
        return [Reply(INVITE_INVALID)]
    await audit.record(
        ctx.session, ctx.actor, "staff.invite_used", community_id=invite.community_id, target=code
    )
    if invite.community_id is None:
        return [Reply(INVITE_OPERATOR)]
    community = await communities.get(ctx.session, invite.community_id)
    assert ctx.resident is not None and community is not None
    if ctx.resident.community_id is None:
        ctx.resident.community_id = community.id
    return [Reply(INVITE_ACCEPTED.format(name=community.name)), Reply(STAFF_HELP_HINT)]


@router.command("/community", "切换社区", staff=True, args=True)
async def switch_community(ctx: Context) -> list[Reply]:
    """Show or switch the community a staff member of several works in."""
    assert ctx.staff_scope is not None
    mine = await staff_store.communities_in(ctx.session, ctx.staff_scope)
    if ctx.args:
        chosen = next((c for c in mine if ctx.args in (c.slug, c.name)), None)
        if chosen is None:
            return [Reply(f"您不负责“{ctx.args[:20]}”。可选:" + "、".join(c.slug for c in mine))]
        return await _switch(ctx, chosen.id)
    return await ctx.ask(
        "staff.community",
        [
            Reply(
                WHICH_COMMUNITY,
                buttons(*[(c.name, f"staffcom:{c.id}") for c in mine[:20]], per_row=1),
            )
        ],
    )


@router.button("staffcom")
async def switch_button(ctx: Context) -> list[Reply] | None:
    """Switch community by button."""
    assert ctx.choice is not None
    number = record_number(ctx.choice.partition(":")[2])
    if ctx.staff_scope is None or number is None or not ctx.staff_scope.allows(number):
        return None
    return await _switch(ctx, number)


async def _switch(ctx: Context, community_id: int) -> list[Reply]:
    community = await communities.get(ctx.session, community_id)
    assert community is not None
    await staff_store.set_current_community(
        ctx.session, ctx.incoming.channel, ctx.incoming.user_id, community_id
    )
    await ctx.done()
    return [Reply(SWITCHED.format(name=community.name))]


OPERATORS_ONLY = "只有运营方(负责所有社区)的工作人员可以管理工作人员。"
AUDIT_OPERATORS_ONLY = "只有运营方(负责所有社区)的工作人员可以查看审计记录。"
REMOVE_USAGE = "用法:/staffremove 渠道:账号,例如 /staffremove telegram:12345(账号见 /stafflist)。"


async def _operator_only(
    ctx: Context, what: str, answer: str = OPERATORS_ONLY
) -> list[Reply] | None:
    """Refuse (and record) a staff member who is not operator-wide."""
    assert ctx.staff_scope is not None
    if ctx.staff_scope.community_ids is None:
        return None
    await ctx.audit(f"refused.{what}.not_operator")
    return [Reply(answer)]


@router.command("/stafflist", "工作人员名单", staff=True)
async def staff_list(ctx: Context) -> list[Reply]:
    """Show operator staff who has staff rights, and where."""
    assert ctx.staff_scope is not None
    if refused := await _operator_only(ctx, "staff_list"):
        return refused
    found = await staff_store.members(ctx.session, ctx.staff_scope)
    operators = list(ctx.settings.operators)
    if not found and not operators:
        return [Reply("还没有工作人员。")]
    lines = [f"工作人员共 {len(found) + len(operators)} 个:"]
    for member, slug in found:
        name = f" {member.display_name}" if member.display_name else ""
        lines.append(f"{member.channel}:{member.external_id}{name} · {slug or '所有社区'}")
    lines += [f"{account} · 所有社区(配置文件)" for account in operators]
    lines.append("移除:/staffremove 渠道:账号")
    return [Reply("\n".join(lines))]


@router.command("/staffremove", "移除工作人员", staff=True, args=True)
async def staff_remove(ctx: Context) -> list[Reply]:
    """Take an account's staff rights away (operator staff only); effective on its next message."""
    assert ctx.staff_scope is not None
    if refused := await _operator_only(ctx, "staff_remove"):
        return refused
    account = ctx.args.strip()
    try:
        channel, external_id = staff_store.split_account(account)
    except ValueError:
        return [Reply(REMOVE_USAGE)]
    if (channel, external_id) == (ctx.incoming.channel, ctx.incoming.user_id):
        return [Reply("不能移除您自己。请另一位运营方工作人员来做。")]
    if account in ctx.settings.operators:
        return [Reply(f"{account} 写在配置文件的运营方名单里,需在配置文件中删除。")]
    removed = await staff_store.remove(ctx.session, channel, external_id)
    if not removed:
        return [Reply(f"{account[:60]} 不是工作人员。名单见 /stafflist。")]
    await ctx.audit("staff.remove", target=account)
    return [Reply(f"已移除 {account} 的工作人员权限,它发的下一条消息起生效。")]


@router.command("/audit", "审计记录", staff=True, args=True)
async def audit_log(ctx: Context) -> list[Reply]:
    """Show operator staff the latest audit entries (``/audit refused.`` filters by action)."""
    if refused := await _operator_only(ctx, "audit", AUDIT_OPERATORS_ONLY):
        return refused
    wanted = ctx.args.strip() or None
    found = await audit.entries(ctx.session, action=wanted, limit=20)
    if not found:
        return [Reply("没有审计记录。")]
    zone = ctx.zone
    lines = [f"最近 {len(found)} 条审计记录(新的在前):"]
    for entry in found:
        when = entry.created_at.astimezone(zone).strftime("%m-%d %H:%M")
        where = f"社区{entry.community_id}" if entry.community_id else "-"
        lines.append(f"{when} {entry.actor} {entry.action} {where} {entry.target or ''}".rstrip())
    return [Reply("\n".join(lines))]
