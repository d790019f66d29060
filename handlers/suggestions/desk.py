"""Staff at their desk: the suggestions waiting (filtered, page by page), and one in full.

``/open 3栋 超期 停车 第2页`` narrows the list by building, by waiting too long, by topic and by
status; ``详情 12`` (``/show 12``) shows everything a resident sent — the whole text, who
supports it, what happened to it, and the photos (as pictures) and the place (a map link).
"""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.context import Context
from handlers.router import Router
from handlers.suggestions import texts as suggestion_texts
from handlers.types import Reply, record_number
from nlp.numbers import arabic
from nlp.topics import TOPICS, topic_of_label
from storage import communities
from storage import staff as staff_store
from storage import suggestions as store
from storage.models import ACTIVE_STATUSES, Resident, Suggestion, SuggestionStatus

router = Router("suggestion_desk")

PAGE = 20
OVERDUE = timedelta(days=3)  # waiting this long with nobody touching it
MAX_PICTURES = 9
NOTHING_OPEN = "没有待处理的建议{where}。"
OPEN_USAGE = (
    "没看懂“{word}”。可以这样筛选:/open 3栋 超期 停车 已回复 第2页"
    "(楼栋、超期=3天没人处理、分类、状态 待处理/已回复/重新处理、页码)。"
)
SHOW_USAGE = "用法:详情 编号(或 /show 编号),例如 详情 12。"
NOT_FOUND = "没有找到编号 {id} 的建议(或它不在您负责的社区)。"
_BUILDING = re.compile(r"(\d{1,3})(?:栋|号楼|幢|楼)")
_PAGE = re.compile(r"第?(\d{1,4})页")
_STATUS_WORDS = {
    "待处理": (SuggestionStatus.OPEN,),
    "未回复": (SuggestionStatus.OPEN, SuggestionStatus.REOPENED),
    "已回复": (SuggestionStatus.REPLIED,),
    "重新处理": (SuggestionStatus.REOPENED,),
    "重开": (SuggestionStatus.REOPENED,),
}
_OVERDUE_WORDS = ("超期", "超时", "逾期", "太久")
_EVENT_NAMES = {
    "reply": "工作人员回复",
    "resolved": "标记解决",
    "closed": "完结",
    "reopened": "居民说没解决,重新处理",
    "retopic": "改分类",
    "merged": "合并",
    "supported": "有邻居支持",
    "withdrawn": "居民撤回",
    "follow_up": "居民补充",
    "rating_note": "评价留言",
    "emergency": "紧急求助",
}


def read_filters(ctx: Context, said: str) -> tuple[store.Waiting, int] | str:
    """Read /open's words into filters and a page; the word not understood, if any."""
    topic = building = None
    statuses: tuple[str, ...] = tuple(ACTIVE_STATUSES)
    untouched_since, page = None, 1
    for word in re.split(r"[\s,,、]+", arabic(said).strip()):
        if not word:
            continue
        if found := _PAGE.fullmatch(word):
            page = max(1, int(found[1]))
        elif found := _BUILDING.fullmatch(word):
            building = found[1]
        elif word in _STATUS_WORDS:
            statuses = tuple(_STATUS_WORDS[word])
        elif word in _OVERDUE_WORDS:
            untouched_since = ctx.now - OVERDUE
        elif (label := topic_of_label(word)) is not None:
            topic = label
        else:
            return word
    return store.Waiting(topic, building, statuses, untouched_since), page


def _described(wanted: store.Waiting) -> str:
    parts = [f"{wanted.building}栋"] if wanted.building else []
    if wanted.topic:
        parts.append(TOPICS[wanted.topic])
    if tuple(wanted.statuses) != tuple(ACTIVE_STATUSES):
        labels = suggestion_texts.STATUS_LABELS
        parts.append("/".join(labels[SuggestionStatus(s)] for s in wanted.statuses))
    if wanted.untouched_since is not None:
        parts.append(f"超过{OVERDUE.days}天没人处理")
    return f"({','.join(parts)})" if parts else ""


@router.command("/open", "待办", staff=True, args=True)
async def list_open(ctx: Context) -> list[Reply]:
    """List suggestions waiting for staff: filtered by building, topic, status, age; by page."""
    read = read_filters(ctx, ctx.args)
    if isinstance(read, str):
        return [Reply(OPEN_USAGE.format(word=read[:20]))]
    wanted, page = read
    scope = ctx.working_scope()
    total = await store.count_active(ctx.session, scope, wanted)
    where = _described(wanted)
    if not total:
        return [Reply(NOTHING_OPEN.format(where=where))]
    pages = -(-total // PAGE)
    page = min(page, pages)
    found = await store.list_active(ctx.session, scope, wanted, PAGE, (page - 1) * PAGE)
    slugs = {}
    if scope.community_ids is None or len(scope.community_ids) > 1:
        slugs = {c.id: c.slug for c in await staff_store.communities_in(ctx.session, scope)}
    shown = f"第 {page}/{pages} 页" if pages > 1 else "最早的在前"
    lines = [f"待处理建议{where}共 {total} 条({shown}):"]
    for s in found:
        n = await store.supporter_count(ctx.session, s.id)
        flag = "【紧急】" if s.urgent else ""
        place = f"{slugs[s.community_id]} " if slugs else ""
        local = s.created_at.astimezone(ctx.zone).strftime("%m-%d %H:%M")
        status, words = suggestion_texts.status_label(s), suggestion_texts.snippet(s.text, 50)
        extra = " 📷" if any(m.get("kind") == "photo" for m in s.media) else ""
        lines.append(
            f"#{s.id} {flag}{place}[{TOPICS[s.topic]}] {status} · {1 + n}人 · {local}{extra}"
            f"\n  {words}"
        )
    if page < pages:
        lines.append(f"下一页:/open {ctx.args.strip()} 第{page + 1}页".replace("  ", " "))
    lines.append("看全文和照片:详情 编号;回复:/reply 编号 内容;解决:/resolve 编号")
    return [Reply("\n".join(lines))]


@router.command("/show", "详情", staff=True, args=True)
async def show(ctx: Context) -> list[Reply]:
    """Show one suggestion in full: text, resident, supporters, history, photos, place."""
    said = ctx.args.split()
    number = record_number(arabic(said[0]).lstrip("#")) if said else None
    if number is None:
        return [Reply(SHOW_USAGE)]
    suggestion = await ctx.session.get(Suggestion, number)
    if suggestion is None or not ctx.working_scope().allows(suggestion.community_id):
        if suggestion is not None:
            await ctx.refuse_elsewhere("suggestion", number, suggestion.community_id)
        return [Reply(NOT_FOUND.format(id=number))]
    lines = await _details(ctx, suggestion)
    replies = [Reply("\n".join(lines))]
    for photo in [m for m in suggestion.media if m.get("kind") == "photo"][:MAX_PICTURES]:
        picture = ctx.settings.picture(suggestion.channel, photo["ref"])
        if picture:
            replies.append(Reply("", image=picture))
    await ctx.audit("suggestion.show", target=str(number), community_id=suggestion.community_id)
    return replies


async def _details(ctx: Context, suggestion: Suggestion) -> list[str]:
    zone = ctx.zone
    community = await communities.get(ctx.session, suggestion.community_id)
    flag = "【紧急】" if suggestion.urgent else ""
    status = suggestion_texts.status_label(suggestion)
    lines = [
        f"#{suggestion.id}{flag} [{TOPICS[suggestion.topic]}] {status}"
        + (f" · {community.name}" if community else ""),
    ]
    resident = (
        await ctx.session.get(Resident, suggestion.resident_id) if suggestion.resident_id else None
    )
    lines.append(f"居民:{_who(resident)}")
    when = suggestion.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    lines.append(f"提交:{when}")
    lines += ["全文:", suggestion.text]
    supporters = await store.supporter_count(ctx.session, suggestion.id)
    if supporters:
        lines.append(f"支持的邻居:{supporters} 人")
    steps = await store.history(ctx.session, suggestion.id)
    if steps:
        lines.append("经过:")
        for step in steps:
            at = step.created_at.astimezone(zone).strftime("%m-%d %H:%M")
            name = _EVENT_NAMES.get(step.kind, step.kind)
            said = f":{suggestion_texts.snippet(step.text, 80)}" if step.text else ""
            if step.kind in ("supported", "merged") and step.text:
                said = f"(编号 {step.text})"
            lines.append(f"  {at} {name}{said}")
    lines += _attachments(suggestion)
    return lines


def _who(resident: Resident | None) -> str:
    if resident is None:
        return "(已删除个人信息)"
    parts = [resident.display_name or "(未留称呼)"]
    if resident.building:
        unit = f"{resident.unit}单元" if resident.unit else ""
        parts.append(f"{resident.building}栋{unit}{resident.room or ''}")
    if resident.phone:
        parts.append(f"电话 {resident.phone}")
    return ",".join(parts)


def _attachments(suggestion: Suggestion) -> list[str]:
    media = suggestion.media or []
    photos = sum(1 for m in media if m.get("kind") == "photo")
    voices = sum(1 for m in media if m.get("kind") in ("voice", "audio"))
    lines = []
    if photos:
        lines.append(f"照片 {photos} 张(见下)")
    if voices:
        lines.append(f"语音 {voices} 段(文字已在上面)")
    for place in (m for m in media if m.get("kind") == "location"):
        latitude, _, longitude = str(place.get("ref", "")).partition(",")
        # 高德地图: opens in WeChat and every phone browser in China.
        lines.append(f"位置:https://uri.amap.com/marker?position={longitude},{latitude}")
    return lines
