"""Staff run polls: create one by guided chat, see results, close early, extend, publish.

/newpoll (发起问卷) asks one thing at a time and builds the same definition a TOML file gives
``linli polls import``; both are checked by handlers.polls.specs. /pollresults N shows the
results (text and a bar chart); /pollclose N, /pollextend N 时间, /pollpublish N; /polllist.
"""

from __future__ import annotations

from handlers import texts
from handlers.context import Context
from handlers.polls import notices
from handlers.polls import texts as poll_texts
from handlers.polls.create import ASK as CREATE_ASK
from handlers.polls.create import STEP as CREATE_STEP
from handlers.router import Router
from handlers.types import Reply, record_number
from nlp.dates import parse_when
from storage import audit
from storage import polls as store
from storage.models import Poll, ResultsShown

router = Router("poll_staff")


@router.command("/newpoll", "发起问卷", "发起投票", "新建问卷", staff=True)
async def new_poll(ctx: Context) -> list[Reply]:
    """Start the guided creation of a poll or questionnaire."""
    if ctx.working_community() is None:
        return [Reply(texts.PICK_COMMUNITY)]
    return await ctx.ask(CREATE_STEP, [Reply(CREATE_ASK["title"])], {"step": "title", "spec": {}})


async def _mine(ctx: Context, usage: str, lock: bool = False) -> tuple[Poll | None, list[Reply]]:
    """Return the poll numbered in the command (locked against the poll job if ``lock``)."""
    number = record_number(ctx.args.split()[0]) if ctx.args.split() else None
    if number is None:
        return None, [Reply(f"请写问卷编号,例如 {usage}。")]
    poll = await (store.for_update(ctx.session, number) if lock else store.get(ctx.session, number))
    if poll is not None and not ctx.working_scope().allows(poll.community_id):
        await ctx.refuse_elsewhere("poll", poll.id, poll.community_id)
        poll = None
    if poll is None:
        return None, [Reply(f"没有找到编号为 {number} 的问卷。")]
    return poll, []


@router.command("/polllist", "问卷管理", staff=True)
async def poll_list(ctx: Context) -> list[Reply]:
    """List the latest polls: status, responses against the audience, closing time."""
    found = await store.recent(ctx.session, ctx.working_scope())
    if not found:
        return [Reply("还没有问卷。发送 /newpoll 发起一个。")]
    lines = ["最近的问卷:"]
    for poll in found:
        done = await store.completed(ctx.session, poll.id)
        audience = await store.audience_size(ctx.session, poll, ctx.local_year())
        state = (
            "未开始"
            if poll.opens_at > ctx.now
            else "进行中"
            if poll.closes_at > ctx.now
            else "已结束"
        )
        unit = "户" if poll.per_household else "人"
        closes = poll_texts.when(poll.closes_at, ctx.zone)
        lines.append(f"#{poll.id} {poll.title}({state},{done}/{audience} {unit},{closes} 截止)")
    lines.append("结果:/pollresults 编号;提前结束:/pollclose 编号;延期:/pollextend 编号 时间")
    return [Reply("\n".join(lines))]


@router.command("/pollresults", "问卷统计", staff=True, args=True)
async def poll_results(ctx: Context) -> list[Reply]:
    """Show a poll's results so far (staff see them at any time)."""
    poll, problem = await _mine(ctx, "/pollresults 3")
    if poll is None:
        return problem
    draw = ctx.settings.draw_chart
    replies = await notices.results_replies(
        ctx.session, poll, ctx.local_year(), draw, for_staff=True
    )
    names = "匿名问卷,导出不含姓名" if poll.anonymous else "导出含姓名和门牌(仅工作人员)"
    replies.append(Reply(f"导出全部回答:linli polls export {poll.id} --format xlsx({names})"))
    return replies


@router.command("/pollclose", "结束问卷", staff=True, args=True)
async def close_early(ctx: Context) -> list[Reply]:
    """Close a poll now (its results go out at once if it was set to publish them)."""
    poll, problem = await _mine(ctx, "/pollclose 3", lock=True)
    if poll is None:
        return problem
    if poll.closes_at <= ctx.now:
        return [Reply(f"问卷 #{poll.id} 已经结束了。")]
    if poll.opens_at > ctx.now:  # not open yet: nobody was asked, nothing to report
        poll.closes_at, poll.closed_early = ctx.now, True
        poll.reported_at = poll.published_at = ctx.now
        await audit.record(
            ctx.session,
            ctx.actor,
            "poll.cancel",
            community_id=poll.community_id,
            target=str(poll.id),
        )
        return [Reply(f"问卷 #{poll.id}“{poll.title}”还没开始,已取消,不会发给居民。")]
    poll.closes_at, poll.closed_early = ctx.now, True
    await audit.record(
        ctx.session, ctx.actor, "poll.close", community_id=poll.community_id, target=str(poll.id)
    )
    tail = "结果马上发给大家。" if poll.publish_at_close else f"公布结果:/pollpublish {poll.id}"
    return [Reply(f"问卷 #{poll.id}“{poll.title}”已结束。{tail}")]


@router.command("/pollextend", "问卷延期", staff=True, args=True)
async def extend(ctx: Context) -> list[Reply]:
    """Move a poll's closing time later (/pollextend 3 12月20日 18:00)."""
    poll, problem = await _mine(ctx, "/pollextend 3 12月20日 18:00", lock=True)
    if poll is None:
        return problem
    if poll.reported_at is not None:
        return [Reply(f"问卷 #{poll.id} 已经结束并出了结果,不能再延期;可以重新发起一个。")]
    when = ctx.args.partition(" ")[2]
    parsed = parse_when(when, ctx.now, ctx.zone) if when else None
    if parsed is None or parsed[0] <= max(ctx.now, poll.closes_at):
        return [Reply("请写一个比现在的截止时间更晚的时间,例如 /pollextend 3 12月20日 18:00。")]
    poll.closes_at, poll.closed_early = parsed[0], False
    if poll.closes_at - ctx.now > store.REMIND_BEFORE:
        poll.reminded_at = None  # one reminder for the new closing time, which it names
    await audit.record(
        ctx.session, ctx.actor, "poll.extend", community_id=poll.community_id, target=str(poll.id)
    )
    return [Reply(f"问卷 #{poll.id} 延期到 {poll_texts.when(poll.closes_at, ctx.zone)}。")]


@router.command("/pollpublish", "公布结果", staff=True, args=True)
async def publish(ctx: Context) -> list[Reply]:
    """Send a poll's results to its audience now (after closing, or while shown live)."""
    poll, problem = await _mine(ctx, "/pollpublish 3", lock=True)
    if poll is None:
        return problem
    if poll.closes_at > ctx.now and poll.results_shown != ResultsShown.LIVE:
        return [Reply(f"问卷 #{poll.id} 还在进行中。先 /pollclose {poll.id} 结束,再公布结果。")]
    if poll.published_at is not None and not ctx.args.rstrip().endswith("再发"):
        return [Reply(f"问卷 #{poll.id} 的结果已经发过了。要再发一次:/pollpublish {poll.id} 再发")]
    broadcast = await notices.publish(
        ctx.session, poll, ctx.now, ctx.local_year(), ctx.settings.draw_chart
    )
    await ctx.session.flush()
    await audit.record(
        ctx.session, ctx.actor, "poll.publish", community_id=poll.community_id, target=str(poll.id)
    )
    return [Reply(f"问卷 #{poll.id} 的结果开始发给大家(通知 #{broadcast.id})。")]
