"""Staff and suggestions: list, reply to, resolve, close and re-topic them; counts."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from handlers.context import Context
from handlers.router import Router
from handlers.suggestions import texts as suggestion_texts
from handlers.suggestions.filing import FOLLOW_UP, RATE, rating_prompt
from handlers.types import Reply, record_number
from nlp.topics import TOPICS, topic_of_label
from storage import audit, conversations, residents
from storage import suggestions as store
from storage.models import ACTIVE_STATUSES, Suggestion, SuggestionStatus

router = Router("suggestion_staff")

REPLY_TEXT = "staff.reply_text"

USAGE = {
    "reply": "用法:/reply 编号 回复内容,例如 /reply 12 已安排师傅明天上午来修。",
    "resolve": "用法:/resolve 编号 [处理说明],例如 /resolve 12 路灯已修好。",
    "close": "用法:/close 编号 [说明],例如 /close 12 已纳入明年改造计划。",
    "topic": "用法:/topic 编号 分类,例如 /topic 12 绿化。分类:" + "、".join(TOPICS.values()),
}
NOT_FOUND = "没有找到编号 {id} 的建议(或它不在您负责的社区)。"
ASK_REPLY = "请输入要回复给居民的内容(编号 {id});发送 0 取消。"
REPLIED = "已回复编号 {id},{n} 位居民会收到。"
RESOLVED = "编号 {id} 已标记为解决,已请 {n} 位居民评价。"
CLOSED = "编号 {id} 已完结,已告知关注它的居民。"
RETOPICED = "编号 {id} 的分类已改为:{topic}。"
WRONG_STATE = "编号 {id} 现在是“{status}”,不能这样操作。"
STATS_EMPTY = "还没有任何建议。"


def _number(ctx: Context) -> tuple[int | None, str]:
    """Split "12 内容" into (12, "内容")."""
    head, _, rest = ctx.args.partition(" ")
    number = record_number(head)
    return (number, rest.strip()) if number is not None else (None, ctx.args)


async def _find(ctx: Context, number: int) -> Suggestion | None:
    assert ctx.staff_scope is not None
    found = await store.get_scoped(ctx.session, ctx.staff_scope, number)
    if found is None and (elsewhere := await store.get(ctx.session, number)) is not None:
        await ctx.refuse_elsewhere("suggestion", number, elsewhere.community_id)
    return found


async def _record(
    ctx: Context, suggestion: Suggestion, kind: str, text: str | None = None, **detail: str
) -> None:
    """Add a step to the suggestion's history and to the staff audit log."""
    await store.add_event(ctx.session, suggestion.id, kind, ctx.actor, text)
    await audit.record(
        ctx.session,
        ctx.actor,
        f"suggestion.{kind}",
        community_id=suggestion.community_id,
        target=str(suggestion.id),
        detail=detail,
    )


async def _target(ctx: Context, usage: str) -> tuple[Suggestion | None, str, list[Reply]]:
    """Find the suggestion a staff command names: (suggestion, rest of the line, or an answer)."""
    number, rest = _number(ctx)
    if number is None:
        return None, rest, [Reply(USAGE[usage])]
    suggestion = await _find(ctx, number)
    if suggestion is None:
        return None, rest, [Reply(NOT_FOUND.format(id=number))]
    return suggestion, rest, []


async def _notify_involved(
    ctx: Context, suggestion: Suggestion, reply: Reply, kind: str, ask_state: str | None = None
) -> int:
    """Tell the author and every supporter; return how many residents were told."""
    targets = await _involved(ctx, suggestion)
    for resident_id in targets:
        await ctx.push_to_resident(
            resident_id,
            [reply],
            kind,
            ask_state=ask_state,
            ask_data={"id": suggestion.id},
            ask_ttl=timedelta(days=ctx.settings.rating_days),
            # Offers about a just-sent suggestion may give way to the rating question.
            ask_over=(FOLLOW_UP,),
        )
    return len(targets)


@router.command("/reply", "回复", staff=True, args=True)
async def reply(ctx: Context) -> list[Reply]:
    """Send a staff reply to the suggestion's author and supporters."""
    suggestion, text, answer = await _target(ctx, "reply")
    if suggestion is None:
        return answer
    if not text:
        ask = [Reply(ASK_REPLY.format(id=suggestion.id))]
        return await ctx.ask(REPLY_TEXT, ask, {"id": suggestion.id})
    return await _send_reply(ctx, suggestion, text)


@router.state(REPLY_TEXT)
async def reply_text(ctx: Context) -> list[Reply] | None:
    """Take the next message as the reply text asked for."""
    # A command typed here ("/open") is a command, not the reply to send to residents.
    if ctx.incoming.button or not ctx.text or ctx.text.startswith("/") or ctx.state is None:
        return None
    suggestion = await _find(ctx, int(ctx.state.data["id"]))
    await ctx.done()
    if suggestion is None:
        return [Reply(NOT_FOUND.format(id=ctx.state.data["id"]))]
    return await _send_reply(ctx, suggestion, ctx.text)


async def _send_reply(ctx: Context, suggestion: Suggestion, text: str) -> list[Reply]:
    if suggestion.status in (SuggestionStatus.OPEN, SuggestionStatus.REOPENED):
        suggestion.status = SuggestionStatus.REPLIED
    await _record(ctx, suggestion, "reply", text)
    message = Reply(suggestion_texts.STAFF_REPLY_TO_RESIDENT.format(id=suggestion.id, text=text))
    n = await _notify_involved(ctx, suggestion, message, "staff_reply")
    return [Reply(REPLIED.format(id=suggestion.id, n=n))]


@router.command("/resolve", "解决", staff=True, args=True)
async def resolve(ctx: Context) -> list[Reply]:
    """Mark a suggestion resolved and ask those involved to rate it."""
    suggestion, note, answer = await _target(ctx, "resolve")
    if suggestion is None:
        return answer
    if suggestion.status not in ACTIVE_STATUSES:
        return [
            Reply(
                WRONG_STATE.format(
                    id=suggestion.id, status=suggestion_texts.status_label(suggestion)
                )
            )
        ]
    suggestion.status = SuggestionStatus.RESOLVED
    suggestion.times_resolved += 1
    await _record(ctx, suggestion, "resolved", note or None)
    text = suggestion_texts.RESOLVED_TO_RESIDENT.format(
        id=suggestion.id, note=f":{note}" if note else ""
    )
    n = 0
    for resident_id in await _involved(ctx, suggestion):
        n += 1
        waiting = await _rating_waiting(ctx, resident_id, suggestion.id)
        if waiting is not None:
            # One rating question at a time: this one is asked once that one is answered.
            later = suggestion_texts.RATE_LATER.format(other=waiting, id=suggestion.id)
            await ctx.push_to_resident(resident_id, [Reply(f"{text}\n{later}")], "resolved")
            continue
        prompt = rating_prompt(suggestion)
        await ctx.push_to_resident(
            resident_id,
            [Reply(text), prompt],
            "resolved",
            ask_state=RATE,
            ask_data={"id": suggestion.id, "asked": ctx.now.isoformat()},
            ask_ttl=timedelta(days=ctx.settings.rating_days),
            ask_over=(FOLLOW_UP,),
        )
    return [Reply(RESOLVED.format(id=suggestion.id, n=n))]


async def _involved(ctx: Context, suggestion: Suggestion) -> list[int]:
    """Return the residents a suggestion concerns: its author and every supporter."""
    people = [suggestion.resident_id, *await store.supporter_ids(ctx.session, suggestion.id)]
    return list(dict.fromkeys(p for p in people if p is not None))


async def _rating_waiting(ctx: Context, resident_id: int, suggestion_id: int) -> int | None:
    """Return the suggestion a resident is being asked to rate now, if another one."""
    for account in await residents.accounts(ctx.session, resident_id):
        state = await conversations.pending(
            ctx.session, account.channel, account.external_id, ctx.now
        )
        if state is not None and state.state == RATE and state.data.get("id") != suggestion_id:
            return int(state.data["id"])
    return None


@router.command("/close", "完结", staff=True, args=True)
async def close(ctx: Context) -> list[Reply]:
    """Close a suggestion for good."""
    suggestion, note, answer = await _target(ctx, "close")
    if suggestion is None:
        return answer
    if suggestion.status in (
        SuggestionStatus.MERGED,
        SuggestionStatus.WITHDRAWN,
        SuggestionStatus.CLOSED,
    ):
        return [
            Reply(
                WRONG_STATE.format(
                    id=suggestion.id, status=suggestion_texts.status_label(suggestion)
                )
            )
        ]
    suggestion.status = SuggestionStatus.CLOSED
    await _record(ctx, suggestion, "closed", note or None)
    text = suggestion_texts.CLOSED_TO_RESIDENT.format(
        id=suggestion.id, note=f":{note}" if note else ""
    )
    await _notify_involved(ctx, suggestion, Reply(text), "closed")
    return [Reply(CLOSED.format(id=suggestion.id))]


@router.command("/topic", "改分类", staff=True, args=True)
async def retopic(ctx: Context) -> list[Reply]:
    """Move a suggestion to another topic."""
    suggestion, label, answer = await _target(ctx, "topic")
    topic = topic_of_label(label) if label else None
    if topic is None:
        return answer or [Reply(USAGE["topic"])]
    if suggestion is None:
        return answer
    change = f"{suggestion.topic}->{topic}"
    await _record(ctx, suggestion, "retopic", change, previous=suggestion.topic, topic=topic)
    suggestion.topic = topic
    return [Reply(RETOPICED.format(id=suggestion.id, topic=TOPICS[topic]))]


@router.command("/stats", "统计", staff=True)
async def stats(ctx: Context) -> list[Reply]:
    """Count suggestions by topic and by status."""
    rows = await store.counts(ctx.session, ctx.working_scope())
    if not rows:
        return [Reply(STATS_EMPTY)]
    by_topic: Counter[str] = Counter()
    by_status: Counter[str] = Counter()
    active: Counter[str] = Counter()
    for topic, status, n in rows:
        by_topic[topic] += n
        by_status[status] += n
        if status in ACTIVE_STATUSES:
            active[topic] += n
    lines = [f"建议共 {sum(by_topic.values())} 条。按分类(待处理/全部):"]
    for topic, n in by_topic.most_common():
        lines.append(f"  {TOPICS[topic]}:{active[topic]}/{n}")
    lines.append("按状态:")
    for status, n in by_status.most_common():
        lines.append(f"  {suggestion_texts.STATUS_LABELS[SuggestionStatus(status)]}:{n}")
    return [Reply("\n".join(lines))]
