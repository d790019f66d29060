"""Activities for staff: create by a guided chat, edit, cancel, see sign-ups, check in, notify."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.activities import rules
from handlers.activities import texts as activity_texts
from handlers.activities.rules import MAX_CAPACITY, MAX_SLOT_CAPACITY
from handlers.activities.signup import tell_promoted
from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply, buttons
from nlp.dates import parse_when
from storage import activities as store
from storage import audit
from storage.models import Activity, RegistrationStatus

router = Router("activity_staff")

NEW = "activity.new"
STEPS = ("title", "when", "place", "capacity", "audience", "deadline")
ASK = {
    "title": "新建活动。活动叫什么名字?(例如:社区义诊)发送 0 随时退出。",
    "when": "什么时候?例如“12月3日 9:00-11:30”或“周六 14:00-16:00”。",
    "place": "在哪里举行?(例如:社区活动中心一楼)",
    "capacity": "名额多少?回复数字(如 30),“不限”,或分时段“每15分钟1人”。",
    "audience": "面向谁?“所有居民”,“60岁以上”,或楼号如“3号楼 5号楼”。",
    "deadline": "报名截止时间?例如“12月2日 18:00”,或“开始前”。",
}
BAD = {
    "when": "没看懂时间(或结束早于开始)。请写日期和时间,例如“12月3日 9:00-11:30”。",
    "capacity": "请回复数字(如 30)、“不限”,或“每15分钟1人”(需要结束时间)。",
    "deadline": "截止时间要在现在和活动开始之间,例如“12月2日 18:00”,或回复“开始前”。",
}
PICK_COMMUNITY = "您负责多个社区,请先用 /community 选择要发布活动的社区。"
CREATED = "已发布活动 #{id}“{title}”。居民发送“活动”即可看到并报名。"
DISCARDED = "好的,活动没有发布。"
USAGE = {
    "roster": "用法:/roster 活动编号",
    "checkin": "用法:/checkin 活动编号 签到码",
    "cancel": "用法:/cancelevent 活动编号 [原因]",
    "notify": "用法:/notifyevent 活动编号 通知内容",
    "edit": "用法:/editevent 活动编号 字段 新值(字段:标题、时间、地点、名额、说明、提醒)",
}
NOT_FOUND = "没有找到活动 #{id}(或它不在您负责的社区)。"
_SLOTS = re.compile(r"每\s*(\d{1,3})\s*分钟\s*(\d{1,3})\s*人")


@router.command("/newevent", "新建活动", "发布活动", staff=True)
async def new_activity(ctx: Context) -> list[Reply]:
    """Start the guided creation of an activity."""
    if ctx.working_community() is None:
        return [Reply(PICK_COMMUNITY)]
    return await ctx.ask(NEW, [Reply(ASK["title"])], {"step": "title"})


@router.state(NEW)
async def new_activity_step(ctx: Context) -> list[Reply] | None:
    """Take one answer of the guided creation, then ask the next (or show the preview)."""
    assert ctx.state is not None
    data: dict[str, Any] = dict(ctx.state.data)
    step = data.get("step")
    if step == "preview":
        return await _confirm(ctx, data)
    if not ctx.text or step not in STEPS:
        return None
    zone = ctx.zone
    problem = _take(step, ctx.text.strip(), data, ctx.now, zone)
    if problem:
        return [Reply(problem)]
    following = STEPS[STEPS.index(step) + 1] if step != STEPS[-1] else "preview"
    data["step"] = following
    if following != "preview":
        return await ctx.ask(NEW, [Reply(ASK[following])], data)
    preview = Reply(_preview(data, zone), buttons(("发布", "actnew:yes"), ("不发布", "actnew:no")))
    return await ctx.ask(NEW, [preview], data)


def _take(step: str, text: str, data: dict[str, Any], now: datetime, zone: ZoneInfo) -> str | None:
    """Store one answer in ``data``; return what to say if it cannot be read."""
    if step == "title":
        data["title"] = text[:100]
    elif step == "when":
        parsed = parse_when(text, now, zone)
        if parsed is None or parsed[0] <= now:
            return BAD["when"]
        data["starts_at"], data["ends_at"] = (t.isoformat() if t else None for t in parsed)
    elif step == "place":
        data["place"] = text[:100]
    elif step == "capacity":
        slots = _SLOTS.search(text)
        if slots and data.get("ends_at"):
            minutes, each = int(slots[1]), int(slots[2])
            span = datetime.fromisoformat(data["ends_at"]) - datetime.fromisoformat(
                data["starts_at"]
            )
            if not 5 <= minutes <= span.total_seconds() / 60 or not 1 <= each <= MAX_SLOT_CAPACITY:
                return BAD["capacity"]
            data["slot_minutes"], data["slot_capacity"] = minutes, each
            data["capacity"] = None
        elif text.isdigit() and 0 < int(text) <= MAX_CAPACITY:
            data["capacity"] = int(text)
        elif text in ("不限", "不限制", "无限"):
            data["capacity"] = None
        else:
            return BAD["capacity"]
    elif step == "audience":
        _audience(text, data)
    elif step == "deadline":
        if text in ("开始前", "不限", "无"):
            data["signup_deadline"] = None
        else:
            parsed = parse_when(text, now, zone)
            start = datetime.fromisoformat(data["starts_at"])
            if parsed is None or not now < parsed[0] <= start:
                return BAD["deadline"]
            data["signup_deadline"] = parsed[0].isoformat()
    return None


def _audience(text: str, data: dict[str, Any]) -> None:
    age = re.search(r"(\d{2})\s*岁", text)
    buildings = re.findall(r"(\d{1,3})\s*(?:号楼|栋|幢)", text)
    data["min_age"] = int(age[1]) if age else None
    data["buildings"] = buildings
    if age:
        data["audience"] = f"{age[1]}岁以上居民"
    elif buildings:
        data["audience"] = "、".join(f"{b}号楼" for b in buildings) + "居民"
    else:
        data["audience"] = "所有居民" if text in ("所有居民", "所有人", "不限") else text[:100]


def _preview(data: dict[str, Any], zone: ZoneInfo) -> str:
    start = datetime.fromisoformat(data["starts_at"])
    lines = ["请确认:", f"【{data['title']}】", f"时间:{activity_texts.when(start, zone)}"]
    if data.get("ends_at"):
        lines[-1] += f" 至 {datetime.fromisoformat(data['ends_at']).astimezone(zone):%H:%M}"
    lines.append(f"地点:{data['place']}")
    if data.get("slot_minutes"):
        lines.append(f"名额:每 {data['slot_minutes']} 分钟 {data['slot_capacity']} 人")
    else:
        lines.append(f"名额:{data['capacity'] or '不限'}")
    lines.append(f"对象:{data['audience']}")
    deadline = data.get("signup_deadline")
    deadline_text = (
        activity_texts.when(datetime.fromisoformat(deadline), zone) if deadline else "开始前"
    )
    lines.append(f"报名截止:{deadline_text}")
    return "\n".join(lines)


@router.button("actnew")
async def confirm_pressed(ctx: Context) -> list[Reply] | None:
    """Publish or drop the previewed activity."""
    if ctx.state is None or ctx.state.state != NEW:
        return None
    return await _confirm(ctx, dict(ctx.state.data))


async def _confirm(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    yes = ctx.choice == "actnew:yes" or ctx.text in ("发布", "确认", "是")
    no = ctx.choice == "actnew:no" or ctx.text in ("不发布", "取消", "否")
    if not (yes or no):
        return None
    await ctx.done()
    community_id = ctx.working_community()
    if no or community_id is None:
        return [Reply(DISCARDED if no else PICK_COMMUNITY)]
    activity = await create(ctx, community_id, data)
    return [Reply(CREATED.format(id=activity.id, title=activity.title))]


async def create(ctx: Context, community_id: int, data: dict[str, Any]) -> Activity:
    """Create an activity (and its slots) from the guided answers."""
    start = datetime.fromisoformat(data["starts_at"])
    end = datetime.fromisoformat(data["ends_at"]) if data.get("ends_at") else None
    deadline = data.get("signup_deadline")
    activity = Activity(
        community_id=community_id,
        title=data["title"],
        keywords=data["title"],
        place=data.get("place", ""),
        starts_at=start,
        ends_at=end,
        capacity=data.get("capacity"),
        audience=data.get("audience") or "所有居民",
        min_age=data.get("min_age"),
        buildings=data.get("buildings") or [],
        signup_deadline=datetime.fromisoformat(deadline) if deadline else None,
        created_by=ctx.actor,
    )
    ctx.session.add(activity)
    await ctx.session.flush()
    if data.get("slot_minutes") and end is not None:
        minutes, each = int(data["slot_minutes"]), int(data["slot_capacity"])
        await store.add_slots(ctx.session, activity.id, start, end, minutes, each)
    await audit.record(
        ctx.session,
        ctx.actor,
        "activity.create",
        community_id=community_id,
        target=str(activity.id),
    )
    return activity


async def _activity_arg(ctx: Context, usage: str) -> tuple[Activity | None, str, list[Reply]]:
    """Read "ID rest" from the arguments; the activity must be in the staff's scope."""
    found = re.match(r"#?(\d+)\s*(.*)", ctx.args, re.S)
    if not found:
        return None, "", [Reply(USAGE[usage])]
    activity = await store.get(ctx.session, int(found[1]))
    if activity is not None and not ctx.working_scope().allows(activity.community_id):
        await ctx.refuse_elsewhere("activity", activity.id, activity.community_id)
        activity = None
    if activity is None:
        return None, "", [Reply(NOT_FOUND.format(id=found[1]))]
    return activity, found[2].strip(), []


@router.command("/eventlist", "活动管理", staff=True)
async def staff_list(ctx: Context) -> list[Reply]:
    """List upcoming activities with numbers, places taken and the waitlist."""
    community_id = ctx.working_community()
    if community_id is None:
        return [Reply(PICK_COMMUNITY)]
    found = await store.upcoming(ctx.session, community_id, ctx.now, limit=30)
    if not found:
        return [Reply("还没有即将举行的活动。发送 /newevent 新建。")]
    zone = ctx.zone
    lines = ["即将举行的活动:"]
    for a in found:
        roster = await store.roster(ctx.session, a.id)
        confirmed = sum(r.party_size for r, _ in roster if r.status == RegistrationStatus.CONFIRMED)
        waiting = sum(1 for r, _ in roster if r.status == RegistrationStatus.WAITLISTED)
        limit = f"/{a.capacity}" if a.capacity else ""
        when = activity_texts.when(a.starts_at, zone)
        lines.append(f"#{a.id} {a.title} {when} 已报 {confirmed}{limit} 人,排队 {waiting}")
    lines.append("名单:/roster 编号;签到:/checkin 编号 签到码")
    return [Reply("\n".join(lines))]


@router.command("/roster", "报名名单", staff=True, args=True)
async def roster(ctx: Context) -> list[Reply]:
    """List an activity's sign-ups with check-in codes, then its waitlist."""
    activity, _, problem = await _activity_arg(ctx, "roster")
    if activity is None:
        return problem
    rows = await store.roster(ctx.session, activity.id)
    lines = [f"#{activity.id} {activity.title} 报名名单:"]
    for registration, name in rows:
        who = name or f"居民#{registration.resident_id}"
        mark = "✔已签到" if registration.checked_in_at else ""
        if registration.status == RegistrationStatus.CONFIRMED:
            party = "同行" if registration.companion_of_id else f"{registration.party_size}人"
            lines.append(f"{registration.code} {who} {party} {mark}".rstrip())
    waiting = [name for r, name in rows if r.status == RegistrationStatus.WAITLISTED]
    if waiting:
        lines.append("排队:" + "、".join(n or "居民" for n in waiting))
    if len(lines) == 1:
        lines.append("还没有人报名。")
    return [Reply("\n".join(lines))]


@router.command("/checkin", "签到", staff=True, args=True)
async def check_in(ctx: Context) -> list[Reply]:
    """Check a participant in by their code."""
    activity, code, problem = await _activity_arg(ctx, "checkin")
    if activity is None:
        return problem
    registration = await store.by_code(ctx.session, activity.id, code) if code else None
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        return [Reply(f"签到码 {code or '(空)'} 不在“{activity.title}”的报名名单里。")]
    if registration.checked_in_at is not None:
        return [Reply(f"签到码 {registration.code} 已经签到过了。")]
    registration.checked_in_at = ctx.now
    return [Reply(f"签到成功:{registration.code}({registration.party_size} 人)。")]


@router.command("/cancelevent", "取消活动", staff=True, args=True)
async def cancel_activity(ctx: Context) -> list[Reply]:
    """Cancel an activity and tell everyone signed up (and waiting)."""
    activity, reason, problem = await _activity_arg(ctx, "cancel")
    if activity is None:
        return problem
    if activity.cancelled:
        return [Reply(f"活动 #{activity.id} 已经取消过了。")]
    activity.cancelled = True
    text = f"很抱歉,“{activity.title}”取消了。" + (f"原因:{reason}" if reason else "")
    told = await _tell_all(ctx, activity, text, "activity_cancelled")
    await audit.record(
        ctx.session,
        ctx.actor,
        "activity.cancel",
        community_id=activity.community_id,
        target=str(activity.id),
    )
    return [Reply(f"已取消活动 #{activity.id},已通知 {told} 位报名者。")]


@router.command("/notifyevent", "通知报名者", staff=True, args=True)
async def notify(ctx: Context) -> list[Reply]:
    """Send a message to everyone signed up for an activity."""
    activity, text, problem = await _activity_arg(ctx, "notify")
    if activity is None or not text:
        return problem or [Reply(USAGE["notify"])]
    told = await _tell_all(ctx, activity, f"【{activity.title}】{text}", "activity_notice")
    return [Reply(f"已发给 {told} 位报名者。")]


async def _tell_all(ctx: Context, activity: Activity, text: str, kind: str) -> int:
    rows = await store.roster(ctx.session, activity.id)
    for registration, _ in rows:
        await ctx.push_to_resident(registration.resident_id, [Reply(text)], kind)
    return len(rows)


@router.command("/editevent", "修改活动", staff=True, args=True)
async def edit(ctx: Context) -> list[Reply]:
    """Change an activity's title, place, places or description (more places promote)."""
    activity, rest, problem = await _activity_arg(ctx, "edit")
    if activity is None:
        return problem
    field, _, value = rest.partition(" ")
    value = value.strip()
    if not value:
        return [Reply(USAGE["edit"])]
    if field == "标题":
        activity.title = value[:100]
    elif field == "地点":
        activity.place = value[:100]
    elif field == "说明":
        activity.description = value
    elif field == "提醒":
        hours = sorted({int(h) for h in re.findall(r"\d+", value)}, reverse=True)
        if not hours or any(not 1 <= h <= 72 for h in hours):
            return [Reply("提醒请写开始前几小时(1–72),例如“提醒 24 2”。")]
        activity.reminder_hours = hours
    elif field == "时间":
        parsed = parse_when(value, ctx.now, ctx.zone)
        if parsed is None or parsed[0] <= ctx.now:
            return [Reply(BAD["when"])]
        shift = parsed[0] - activity.starts_at
        for slot in await store.slots(ctx.session, activity.id):
            slot.starts_at += shift  # slots move with the activity
        if parsed[1] is None and activity.ends_at is not None:
            parsed = (parsed[0], activity.ends_at + shift)
        activity.starts_at, activity.ends_at = parsed
        if activity.ends_at is not None and activity.ends_at <= activity.starts_at:
            activity.ends_at = None
        await store.forget_reminders(ctx.session, activity.id)  # due again for the new time
        when = activity_texts.when(activity.starts_at, ctx.zone)
        await _tell_all(ctx, activity, f"“{activity.title}”的时间改为 {when}。", "activity_notice")
    elif field == "名额" and (
        not value.isdigit()
        or not 1 <= int(value) <= MAX_CAPACITY
        or await store.slots(ctx.session, activity.id)
    ):
        return [
            Reply(f"名额请写 1 到 {MAX_CAPACITY} 的数字(分时段的活动按时段定名额,不能改总数)。")
        ]
    elif field == "名额":
        activity.capacity = int(value)
        await ctx.session.flush()
        promoted = await rules.promote(ctx.session, activity.id, ctx.now)
        await tell_promoted(ctx, activity, promoted)
    else:
        return [Reply(USAGE["edit"])]
    await audit.record(
        ctx.session,
        ctx.actor,
        "activity.edit",
        community_id=activity.community_id,
        target=str(activity.id),
        detail={"field": field},
    )
    return [Reply(f"已修改活动 #{activity.id} 的{field}。")]
