"""What linli says about activities, and how an activity is shown in a chat."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from storage.models import Activity, ActivitySlot

WEEKDAYS = "一二三四五六日"

NONE_OPEN = "最近没有可以报名的活动。有新活动时,工作人员会在这里通知大家。"
LIST_HEAD = "最近的活动(回复编号看详情、报名):"
NO_MATCH = "没有找到您说的活动。"
WHICH = "您说的是哪一个活动?"
CLOSED = {
    "cancelled": "“{title}”已取消,不能报名了。",
    "started": "“{title}”已经开始或结束了,不能再报名。",
    "deadline": "“{title}”的报名已经截止了({deadline})。",
    "gone": "这个活动找不到了,请发送“活动”看看最近的活动。",
}
TWICE = "您已经报名了“{title}”({status})。发送“我的报名”查看,或“取消报名”。"
SLOT_TAKEN = "这个时段刚刚被约满了,请换一个时段。"
ALL_SLOTS_TAKEN = "“{title}”的时段都约满了。要排队吗?有人取消时会自动为您补上。"
NOT_ENOUGH_SLOTS = "“{title}”剩下的空位不够 {party} 位一起排。要排队吗?有人取消时会一起为您补上。"
TOO_MANY = "“{title}”一次最多能报 {most} 人,请改一下人数再报。"
ASK_BIRTH = "“{title}”是给{audience}的。请问您是哪一年出生的?(例如 1952)只问这一次。"
ASK_BUILDING = "“{title}”只限{audience}。请问您住几号楼?(例如 3号楼)只问这一次。"
BAD_BIRTH = "请告诉我出生年份,例如 1952;发送 0 返回。"
BAD_BUILDING = "请告诉我楼号,例如 3号楼;发送 0 返回。"
NOT_FOR_YOU = "“{title}”是给{audience}的,这次您不能报名。看看其他活动:发送“活动”。"
PICK_SLOT = "“{title}”分时段进行,请选一个时段(或选“最早的空位”):"
PICK_SLOT_PARTY = "\n{party} 位每人一个时段,从您选的时间起连着排。"
ALSO_AT = "(同行的在 {times})"
MAX_SLOTS_SHOWN = 40
CONFIRMED = (
    "已为您报名:{title}\n时间:{when}\n地点:{place}\n人数:{party} 人\n签到码:{code}\n"
    "到场时出示签到码即可。要取消请发“取消报名”。"
)
WAITLISTED = "“{title}”名额已满,已为您排队:第 {position} 位。\n有人取消时会自动为您补上,并通知您。"
PROMOTED = "好消息:“{title}”有空位了,已为您报上名!\n时间:{when}\n地点:{place}\n签到码:{code}"
NO_SIGNUPS = "您现在没有报名任何活动。发送“活动”看看最近有什么。"
MINE_HEAD = "您的报名:"
ASK_CANCEL = "确定取消“{title}”({when})的报名吗?"
WHICH_CANCEL = "您要取消哪一个活动的报名?"
CANCELLED = "已取消“{title}”的报名。"
KEPT = "好的,报名保留。"
REMINDER = (
    "提醒:您报名的“{title}”将于 {when} 开始。\n地点:{place}\n签到码:{code}\n"
    "来不了的话,请发“取消报名”,把名额让给排队的邻居。"
)
NO_PLACE = "很抱歉,“{title}”这次没有空出名额,您的排队已结束。下次活动再见!"
STATUS = {"confirmed": "已报名", "waitlisted": "排队中"}


def when(moment: datetime, zone: ZoneInfo) -> str:
    """Return a time as residents read it: 11月28日(周六)09:00; 2027年1月2日… in another year."""
    local = moment.astimezone(zone)
    year = f"{local.year}年" if local.year != datetime.now(zone).year else ""
    return f"{year}{local.month}月{local.day}日(周{WEEKDAYS[local.weekday()]}){local:%H:%M}"


def slot_label(slot: ActivitySlot, zone: ZoneInfo) -> str:
    """Return a slot's start as a short label (09:15)."""
    return f"{slot.starts_at.astimezone(zone):%H:%M}"


def slot_label_at(moment: datetime, zone: ZoneInfo) -> str:
    """Return a time as a short label (09:15)."""
    return f"{moment.astimezone(zone):%H:%M}"


def places(left: int | None) -> str:
    """Return the places left in words."""
    if left is None:
        return "名额不限"
    return "已满,可排队" if left <= 0 else f"还剩 {left} 个名额"


def summary(activity: Activity, left: int | None, zone: ZoneInfo) -> str:
    """Return one line about an activity, for lists."""
    where = f" · {activity.place}" if activity.place else ""
    return (
        f"{activity.title}\n  {when(activity.starts_at, zone)}{where} · {places(left)}"
        f" · {activity.audience}"
    )


def details(activity: Activity, left: int | None, zone: ZoneInfo) -> str:
    """Return everything a resident needs to decide."""
    lines = [f"【{activity.title}】", f"时间:{when(activity.starts_at, zone)}"]
    if activity.ends_at:
        lines[-1] += f" 至 {activity.ends_at.astimezone(zone):%H:%M}"
    if activity.place:
        lines.append(f"地点:{activity.place}")
    lines.append(f"对象:{activity.audience}")
    lines.append(f"名额:{places(left)}")
    if activity.signup_deadline:
        lines.append(f"报名截止:{when(activity.signup_deadline, zone)}")
    if activity.description:
        lines.append(activity.description)
    return "\n".join(lines)
