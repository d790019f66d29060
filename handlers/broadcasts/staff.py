"""Staff announcements (群发通知): write, choose who, preview the count, send now or later.

/broadcast asks for the text (a picture may come with it on Telegram), the audience, the kind
(普通 / 活动 / 紧急), then shows exactly how many people on which channel it reaches. Sent now
or at a time; non-urgent ones wait out the quiet hours. /bcreport N gives the delivery report
(it is also pushed when sending ends); /bccancel N cancels a scheduled one (or stops one that
is still sending); /broadcasts lists the latest.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from handlers import texts
from handlers.activities import texts as activity_texts
from handlers.broadcasts.rules import CHANNEL_NAMES, mass_line, report_text
from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply, buttons, record_number
from handlers.yes_no import typed_answer
from nlp.dates import parse_when
from storage import audience as audiences
from storage import audit, tags
from storage import broadcasts as store
from storage.models import Activity, Broadcast, BroadcastKind, BroadcastStatus
from storage.scoping import Scope

router = Router("broadcast")

STEP = "broadcast.new"
MAX_CHARS = 2000
ASK_TEXT = "请发送通知内容(Telegram 上可以附一张图片)。发送 0 放弃。"
ASK_AUDIENCE = (
    "发给谁?直接写:\n"
    "· 全体\n· 3栋\n· 标签 老人(staff 给居民打的标签)\n· 60岁以上、60-79岁\n· 活动 12(报名者)"
)
ASK_KIND = "这是哪种通知?紧急通知在免打扰时段也立即发出,居民不能退订。"
KINDS = {"bckind:notice": "普通通知", "bckind:activity": "活动通知", "bckind:urgent": "紧急通知"}
ASK_WHEN = "什么时候发?例如“明天 9:00”“11月28日 8点半”。"
STATUS_NAMES = {"scheduled": "待发送", "sending": "发送中", "done": "已完成", "cancelled": "已取消"}


def parse_audience(text: str) -> dict[str, Any] | None:
    """Read an audience as staff write it (全体, 3栋, 标签 老人, 60岁以上, 活动 12)."""
    said = text.strip()
    if said in ("全体", "所有", "所有人", "全部", "全体居民", "大家"):
        return {"kind": "all"}
    if found := re.fullmatch(r"(\d{1,3})\s*(?:栋|号楼|幢)(?:的?居民)?", said):
        return {"kind": "building", "building": found[1]}
    if found := re.fullmatch(r"标签\s*[::]?\s*(\S{1,30})", said):
        return {"kind": "tag", "tag": found[1]}
    if found := re.fullmatch(r"(\d{1,3})\s*(?:岁)?\s*[-–~到至]\s*(\d{1,3})\s*岁(?:的?居民)?", said):
        low, high = int(found[1]), int(found[2])
        return {"kind": "age", "min": low, "max": high} if low <= high <= 120 else None
    if found := re.fullmatch(r"(\d{1,3})\s*岁\s*(以上|以下)(?:的?居民)?", said):
        bound = "min" if found[2] == "以上" else "max"
        return {"kind": "age", bound: int(found[1])} if int(found[1]) <= 120 else None
    if found := re.fullmatch(r"活动\s*#?\s*(\d{1,9})(?:的?报名者)?", said):
        return {"kind": "activity", "activity_id": int(found[1])}
    return None


@router.command("/broadcast", "群发通知", "发通知", staff=True)
async def start(ctx: Context) -> list[Reply]:
    """Start writing an announcement."""
    if ctx.working_community() is None:
        return [Reply(texts.PICK_COMMUNITY)]
    return await ctx.ask(STEP, [Reply(ASK_TEXT)], {"step": "text"})


@router.state(STEP)
@router.button("bckind", "bcsend")
async def step(ctx: Context) -> list[Reply] | None:
    """Take one answer (text, audience, kind, now-or-later, time) and ask the next."""
    if ctx.state is None or ctx.state.state != STEP:
        return None
    data: dict[str, Any] = dict(ctx.state.data)
    community_id = ctx.working_community()
    if community_id is None:
        await ctx.done()
        return [Reply(texts.PICK_COMMUNITY)]
    return await STEPS[data["step"]](ctx, data, community_id)


async def _take_text(ctx: Context, data: dict[str, Any], community_id: int) -> list[Reply] | None:
    photo = next((m.ref for m in ctx.incoming.media if m.kind == "photo"), None)
    text = ctx.text.strip()
    if not text:
        return [Reply("请写上通知的文字(图片可以附在文字里一起发)。")] if photo else None
    if ctx.truncated or len(text) > MAX_CHARS:  # never send an announcement cut short
        return [Reply(f"通知太长了(最多 {MAX_CHARS} 字),请精简后再发。")]
    data |= {"text": text, "step": "audience"}
    if photo and ctx.incoming.channel == "telegram":
        data["image"] = photo  # a Telegram file_id: the bot can send it again as it is
    return await ctx.ask(STEP, [Reply(ASK_AUDIENCE)], data)


async def _take_audience(ctx: Context, data: dict[str, Any], community_id: int) -> list[Reply]:
    audience = parse_audience(ctx.text)
    if audience is None:
        return [Reply(f"没看懂“{ctx.text[:20]}”。\n{ASK_AUDIENCE}")]
    if audience["kind"] == "activity":
        activity = await ctx.session.get(Activity, audience["activity_id"])
        if activity is None or activity.community_id != community_id:
            return [Reply(f"本社区没有编号为 {audience['activity_id']} 的活动。")]
    data |= {"audience": audience, "step": "kind"}
    choices = buttons(*((label, key) for key, label in KINDS.items()))
    return await ctx.ask(STEP, [Reply(ASK_KIND, choices)], data)


async def _take_kind(ctx: Context, data: dict[str, Any], community_id: int) -> list[Reply] | None:
    choice = ctx.choice or next((k for k, label in KINDS.items() if ctx.text == label), None)
    if choice not in KINDS:
        return None
    data["urgent"] = choice == "bckind:urgent"
    data["kind"] = BroadcastKind.ACTIVITY if choice == "bckind:activity" else BroadcastKind.NOTICE
    data["step"] = "preview"
    return await ctx.ask(STEP, [await _preview(ctx, data, community_id)], data)


async def _preview(ctx: Context, data: dict[str, Any], community_id: int) -> Reply:
    year = ctx.local_year()
    counts = await store.preview(
        ctx.session, Scope.of(community_id), data["audience"], data["kind"], data["urgent"], year
    )
    per_channel = ",".join(f"{CHANNEL_NAMES.get(c, c)} {n}" for c, n in sorted(counts.items()))
    lines = [
        f"【预览】{KINDS['bckind:urgent'] if data['urgent'] else ''}",
        data["text"],
        "",
        f"发给:{audiences.describe(data['audience'])}",
        f"共 {sum(counts.values())} 条({per_channel or '没有人'})",
    ]
    if data.get("image"):
        lines.append("附图片(微信上只发文字)")
    if not data["urgent"]:
        quiet = ctx.settings.quiet_hours
        lines.append(f"免打扰时段 {quiet.start:%H:%M}–{quiet.end:%H:%M} 内不发,到时再发。")
    choices = buttons(
        ("立即发送", "bcsend:now"), ("定时发送", "bcsend:later"), ("取消", "bcsend:no")
    )
    return Reply("\n".join(lines), choices)


async def _take_choice(ctx: Context, data: dict[str, Any], community_id: int) -> list[Reply] | None:
    typed = {"立即发送": "bcsend:now", "定时发送": "bcsend:later"}.get(ctx.text)
    # A typed yes (好的, 确定) means now; a typed no drops it.
    choice = ctx.choice or typed or typed_answer(ctx.text, "bcsend")
    if choice == "bcsend:yes":
        choice = "bcsend:now"
    if choice == "bcsend:no":
        await ctx.done()
        return [Reply("好的,这条通知不发了。")]
    if choice == "bcsend:later":
        data["step"] = "when"
        return await ctx.ask(STEP, [Reply(ASK_WHEN)], data)
    if choice != "bcsend:now":
        return None
    return await _create(ctx, data, community_id, ctx.now)


async def _take_when(ctx: Context, data: dict[str, Any], community_id: int) -> list[Reply] | None:
    zone = ctx.zone
    parsed = parse_when(ctx.text, ctx.now, zone)
    if parsed is None or parsed[0] <= ctx.now:
        return [Reply("没看懂这个时间,或者它已经过去了。" + ASK_WHEN)]
    return await _create(ctx, data, community_id, parsed[0])


async def _create(
    ctx: Context, data: dict[str, Any], community_id: int, send_at: datetime
) -> list[Reply]:
    await ctx.done()
    broadcast = Broadcast(
        community_id=community_id,
        text=data["text"],
        image=data.get("image"),
        kind=data["kind"],
        urgent=data["urgent"],
        audience=data["audience"],
        send_at=send_at,
        created_by=ctx.actor,
    )
    ctx.session.add(broadcast)
    await ctx.session.flush()
    await audit.record(
        ctx.session,
        ctx.actor,
        "broadcast.create",
        community_id=community_id,
        target=str(broadcast.id),
    )
    if send_at <= ctx.now:
        return [Reply(f"通知 #{broadcast.id} 开始发送,发完会把送达报告发给您。")]
    when = activity_texts.when(send_at, ctx.zone)
    return [Reply(f"通知 #{broadcast.id} 将于 {when} 发送。取消:/bccancel {broadcast.id}")]


async def _mine(ctx: Context) -> tuple[Broadcast | None, list[Reply]]:
    number = record_number(ctx.args)
    if number is None:
        return None, [Reply("请写通知编号,例如 /bcreport 12。")]
    found = await store.get(ctx.session, number, ctx.working_scope())
    if found is None:
        anywhere = await store.get(ctx.session, number, Scope.operator())
        if anywhere is not None:
            await ctx.refuse_elsewhere("broadcast", number, anywhere.community_id)
        return None, [Reply(f"没有找到编号为 {number} 的通知。")]
    return found, []


@router.command("/bcreport", "通知报告", staff=True, args=True)
async def report(ctx: Context) -> list[Reply]:
    """Show a broadcast's delivery counts (so far, if it is still sending)."""
    found, problem = await _mine(ctx)
    if found is None:
        return problem
    if found.status == BroadcastStatus.SCHEDULED:
        return [Reply(f"通知 #{found.id} 还没有发送。")]
    counts = await store.progress(ctx.session, found.id)
    if not counts and found.report:  # the delivery rows were purged; the report was kept
        kept = {k: n for k, n in found.report.items() if ":" in k}
        counts.update({(k.split(":", 1)[0], k.split(":", 1)[1]): n for k, n in kept.items()})
    finished = found.status == BroadcastStatus.DONE
    return [Reply(report_text(found.id, found.text, counts, finished, mass_line(found)))]


@router.command("/bccancel", "取消通知", staff=True, args=True)
async def cancel(ctx: Context) -> list[Reply]:
    """Cancel a scheduled broadcast, or stop the deliveries of one still sending."""
    mine, problem = await _mine(ctx)
    if mine is None:
        return problem
    # Locked: a fan-out under way finishes first, and its rows are then withdrawn too.
    found = await store.for_cancelling(ctx.session, mine.id)
    assert found is not None
    await ctx.session.refresh(found)
    if found.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
        return [Reply(f"通知 #{found.id} {STATUS_NAMES[found.status]},不能取消。")]
    stopped = await store.stop_pending(ctx.session, found.id)
    was_sending = found.status == BroadcastStatus.SENDING
    found.status = BroadcastStatus.CANCELLED
    await audit.record(
        ctx.session,
        ctx.actor,
        "broadcast.cancel",
        community_id=found.community_id,
        target=str(found.id),
    )
    if was_sending:
        return [Reply(f"已停止通知 #{found.id}:还没发出的 {stopped} 条不再发送。")]
    return [Reply(f"已取消通知 #{found.id}。")]


@router.command("/broadcasts", "通知记录", staff=True)
async def recent(ctx: Context) -> list[Reply]:
    """List the latest broadcasts with their status."""
    found = await store.recent(ctx.session, ctx.working_scope())
    if not found:
        return [Reply("还没有发过通知。发送 /broadcast 写一条。")]
    zone = ctx.zone
    lines = ["最近的通知:"]
    for item in found:
        title = item.text.replace("\n", " ")[:16]
        count = f",{item.recipients} 条" if item.recipients is not None else ""
        when = activity_texts.when(item.send_at, zone)
        lines.append(f"#{item.id} {STATUS_NAMES[item.status]} {when} {title}{count}")
    lines.append("送达报告:/bcreport 编号")
    return [Reply("\n".join(lines))]


@router.command("/tag", "打标签", staff=True, args=True)
async def tag(ctx: Context) -> list[Reply]:
    """Tag a resident by name (/tag 张阿姨 老人), or untag (/tag 张阿姨 老人 取消)."""
    words = ctx.args.split()
    if len(words) not in (2, 3) or (len(words) == 3 and words[2] != "取消"):
        return [Reply("用法:/tag 居民称呼 标签 [取消],例如 /tag 张阿姨 志愿者")]
    name, label = words[0], words[1][:30]
    resident, problem = await ctx.staff_pick(name)
    if resident is None:
        return problem
    if len(words) == 3:
        await tags.untag(ctx.session, [resident.id], label)
        return [Reply(f"已去掉 {name} 的标签“{label}”。")]
    await tags.tag(ctx.session, [resident.id], label)
    now = await tags.tags_of(ctx.session, resident.id)
    return [Reply(f"{name} 的标签:{'、'.join(now)}。")]


# The steps of /broadcast, in order (docs/flows.md draws them).
STEPS = {
    "text": _take_text,
    "audience": _take_audience,
    "kind": _take_kind,
    "preview": _take_choice,
    "when": _take_when,
}
