"""Residents' suggestions: submit, merge with a similar one, fix the topic, withdraw, rate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers import suggestion_texts as T
from handlers.context import Context
from handlers.router import Router
from handlers.types import Reply, buttons, record_number
from nlp import similarity, urgent
from nlp.topics import TOPICS, classify
from storage import suggestions as store
from storage.models import ACTIVE_STATUSES, Suggestion, SuggestionStatus

router = Router("suggestions")

FOLLOW_UP = "suggestion.follow_up"
ATTACHMENTS = "suggestion.attachments"
RATE = "suggestion.rate"


def _attachments(ctx: Context) -> list[dict[str, Any]]:
    """Return the media of this message plus any sent just before it without words."""
    kept: list[dict[str, Any]] = []
    if ctx.state is not None and ctx.state.state == ATTACHMENTS:
        kept = list(ctx.state.data.get("media", []))
    kept += [m.__dict__ for m in ctx.incoming.media]
    if ctx.incoming.location:
        latitude, longitude = ctx.incoming.location
        kept.append({"kind": "location", "ref": f"{latitude:f},{longitude:f}", "mime": None})
    return kept


def _parts(choice: str) -> tuple[str, str, str]:
    """Split a ``kind:a:b`` button payload into three parts (missing ones empty)."""
    head, _, rest = choice.partition(":")
    first, _, second = rest.partition(":")
    return head, first, second


@router.intent("suggestion")
async def submit(ctx: Context) -> list[Reply]:
    """Store a suggestion, answer with its number and topic, and offer what comes next."""
    assert ctx.resident is not None and ctx.community is not None
    found = classify(ctx.text)
    emergency = urgent.detect(ctx.text)
    media = _attachments(ctx)
    alert_now = emergency is not None or ctx.settings.staff_alerts == "each"
    suggestion = await store.create(
        ctx.session,
        community_id=ctx.community.id,
        resident_id=ctx.resident.id,
        channel=ctx.incoming.channel,
        text=ctx.text,
        topic=found.topic,
        confidence=found.confidence,
        keywords=list(found.keywords),
        terms=" ".join(similarity.terms(ctx.text)),
        urgent=emergency is not None,
        media=media,
        # "off" and digest mode leave it unalerted; the digest job picks it up.
        staff_alerted_at=ctx.now if alert_now else None,
    )
    replies: list[Reply] = []
    if emergency is not None:
        replies.append(Reply(_emergency_text(ctx, emergency.kind)))
    if alert_now:
        await _alert_staff(ctx, suggestion, urgent=emergency is not None)

    ack = T.ACK.format(id=suggestion.id, topic=found.label)
    if ctx.truncated:
        ack = T.TRUNCATED.format(limit=ctx.settings.max_text_chars) + "\n" + ack
    similar = None if emergency else await _most_similar(ctx, suggestion)
    if similar is not None:
        other = similar.id
        n = 1 + await store.supporter_count(ctx.session, other)
        text = ack + "\n" + T.SIMILAR.format(n=n, snippet=T.snippet(similar.text), other=other)
        choices = buttons(
            ("合并(+1)", f"merge:{suggestion.id}:{other}"),
            ("保持单独", f"keep:{suggestion.id}"),
            ("分类不对", f"topic:{suggestion.id}"),
            per_row=3,
        )
    else:
        text = ack
        choices = buttons(
            ("分类不对", f"topic:{suggestion.id}"), ("撤回", f"withdraw:{suggestion.id}")
        )
    replies.append(Reply(text, choices))
    return await ctx.ask(FOLLOW_UP, replies, {"id": suggestion.id})


def _emergency_text(ctx: Context, kind: str) -> str:
    phone = (ctx.community.duty_phone if ctx.community else None) or ctx.settings.default_duty_phone
    lines = [T.EMERGENCY_HEAD]
    if phone:
        lines.append(T.EMERGENCY_DUTY.format(phone=phone))
    lines += [T.EMERGENCY_ADVICE[kind], T.EMERGENCY_TAIL]
    return "\n".join(lines)


async def _alert_staff(ctx: Context, suggestion: Suggestion, *, urgent: bool) -> None:
    template = T.STAFF_URGENT if urgent else T.STAFF_NEW
    text = template.format(
        id=suggestion.id,
        topic=TOPICS[suggestion.topic],
        who=ctx.speaker,
        snippet=T.snippet(suggestion.text, 80),
    )
    await ctx.alert_staff(suggestion.community_id, [Reply(text)], "staff_alert", urgent=urgent)


async def _most_similar(ctx: Context, suggestion: Suggestion) -> Suggestion | None:
    """Return the most alike active suggestion of the same topic, if alike enough."""
    since = ctx.now - timedelta(days=ctx.settings.similar_days)
    candidates = await store.similar_candidates(
        ctx.session, suggestion.community_id, suggestion.topic, since, suggestion.id
    )
    mine = suggestion.terms.split()
    best, best_score = None, similarity.THRESHOLD
    for number, terms, author in candidates:
        if author == suggestion.resident_id:
            continue  # one's own earlier message is not "a neighbour" with the same problem
        score = similarity.similarity(mine, terms.split())
        if score >= best_score:
            best, best_score = number, score
    return await store.get(ctx.session, best) if best is not None else None


async def _own(ctx: Context, suggestion_id: str | int) -> Suggestion | None:
    """Return the speaker's own suggestion with that number, if it is theirs."""
    number = record_number(str(suggestion_id))
    if number is None:
        return None
    found = await store.get(ctx.session, number)
    if found is None or ctx.resident is None or found.resident_id != ctx.resident.id:
        return None
    return found


@router.intent("media_only")
async def media_without_words(ctx: Context) -> list[Reply]:
    """Keep a photo, voice note or location, and ask for the words that go with it."""
    kept = _attachments(ctx)
    voice = any(m.kind in ("voice", "audio") for m in ctx.incoming.media)
    text = T.VOICE_KEPT if voice else T.MEDIA_KEPT
    return await ctx.ask(ATTACHMENTS, [Reply(text)], {"media": kept})


@router.button("merge")
async def merge(ctx: Context) -> list[Reply] | None:
    """Merge the resident's new suggestion into the older similar one (+1)."""
    assert ctx.choice is not None and ctx.resident is not None
    _, new_id, old_id = _parts(ctx.choice)
    mine = await _own(ctx, new_id)
    older_number = record_number(old_id)
    older = await store.get(ctx.session, older_number) if older_number else None
    if mine is None or older is None or older.community_id != mine.community_id:
        return None
    if mine.status != SuggestionStatus.OPEN or older.status not in ACTIVE_STATUSES:
        return [Reply(T.ALREADY_DECIDED)]
    mine.status = SuggestionStatus.MERGED
    mine.merged_into_id = older.id
    await store.add_supporter(ctx.session, older.id, ctx.resident.id)
    await store.move_supporters(ctx.session, mine.id, older.id)
    await store.add_event(ctx.session, mine.id, "merged", ctx.actor, str(older.id))
    await store.add_event(ctx.session, older.id, "supported", ctx.actor, str(mine.id))
    await ctx.done()
    n = 1 + await store.supporter_count(ctx.session, older.id)
    return [Reply(T.MERGED.format(other=older.id, n=n))]


@router.button("keep")
async def keep(ctx: Context) -> list[Reply] | None:
    """Keep the new suggestion on its own."""
    assert ctx.choice is not None
    mine = await _own(ctx, ctx.choice.partition(":")[2])
    if mine is None:
        return None
    await ctx.done()
    return [Reply(T.KEPT.format(id=mine.id))]


@router.button("topic")
async def pick_topic(ctx: Context) -> list[Reply] | None:
    """Show the topics so the resident can say which one is right."""
    assert ctx.choice is not None
    mine = await _own(ctx, ctx.choice.partition(":")[2])
    if mine is None:
        return None
    choices = buttons(
        *[(label, f"retopic:{mine.id}:{t}") for t, label in TOPICS.items()], per_row=3
    )
    return await ctx.ask(FOLLOW_UP, [Reply(T.PICK_TOPIC, choices)], {"id": mine.id})


@router.button("retopic")
async def retopic(ctx: Context) -> list[Reply] | None:
    """Move the resident's suggestion to the topic they chose."""
    assert ctx.choice is not None
    _, number, topic = _parts(ctx.choice)
    mine = await _own(ctx, number)
    if mine is None or topic not in TOPICS:
        return None
    if mine.status not in ACTIVE_STATUSES:
        return [Reply(T.ALREADY_DECIDED)]
    await store.add_event(ctx.session, mine.id, "retopic", ctx.actor, f"{mine.topic}->{topic}")
    mine.topic = topic
    await ctx.done()
    return [Reply(T.RETOPICED.format(topic=TOPICS[topic]))]


@router.button("withdraw")
async def withdraw_button(ctx: Context) -> list[Reply] | None:
    """Withdraw by button."""
    assert ctx.choice is not None
    return await _withdraw(ctx, ctx.choice.partition(":")[2])


@router.command("撤回", "/withdraw", args=True)
async def withdraw_command(ctx: Context) -> list[Reply]:
    """Withdraw by command: ``撤回 12``."""
    return await _withdraw(ctx, ctx.args.split()[0] if ctx.args else "") or [
        Reply(T.NOT_YOURS.format(id=ctx.args or "?"))
    ]


async def _withdraw(ctx: Context, number: str) -> list[Reply] | None:
    mine = await _own(ctx, number)
    if mine is None:
        return None
    if mine.status not in (SuggestionStatus.OPEN, SuggestionStatus.REOPENED):
        return [Reply(T.CANNOT_WITHDRAW.format(id=mine.id, status=T.status_label(mine)))]
    supporters = await store.supporter_count(ctx.session, mine.id)
    if supporters:
        # Neighbours joined it: withdrawing would drop their problem too.
        return [Reply(T.CANNOT_WITHDRAW_SUPPORTED.format(id=mine.id, n=supporters))]
    mine.status = SuggestionStatus.WITHDRAWN
    await store.add_event(ctx.session, mine.id, "withdrawn", ctx.actor)
    await ctx.done()
    return [Reply(T.WITHDRAWN.format(id=mine.id))]


@router.command("我的建议", "/mine")
async def mine(ctx: Context) -> list[Reply]:
    """List the resident's own suggestions with their status."""
    assert ctx.resident is not None
    found = await store.list_by_resident(ctx.session, ctx.resident.id)
    if not found:
        return [Reply(T.NONE_YET)]
    lines = [T.MINE_HEADER.format(n=len(found))]
    for s in found:
        lines.append(
            f"编号 {s.id}|{TOPICS[s.topic]}|{T.status_label(s)}\n  {T.snippet(s.text, 30)}"
        )
    lines.append(T.MINE_FOOTER.format(id=found[0].id))
    return [Reply("\n".join(lines))]


@router.intent("status")
async def status(ctx: Context) -> list[Reply]:
    """Answer "how are my things going" (suggestions are what this part knows about)."""
    if ctx.args == "orders":
        from handlers.canteen_orders import my_orders

        return await my_orders(ctx)
    if ctx.args == "signups":
        from handlers.activities import my_signups

        return await my_signups(ctx)
    return await mine(ctx)


def rating_buttons(suggestion_id: int) -> tuple:
    """Return the 1–5 and 没解决 choices for rating a resolution."""
    scores = [(str(n), f"rate:{suggestion_id}:{n}") for n in range(1, 6)]
    return buttons(*scores, ("没解决", f"rate:{suggestion_id}:0"), per_row=3)


@router.state(RATE)
async def rate_typed(ctx: Context) -> list[Reply] | None:
    """Take "没解决" typed as an answer to a rating question."""
    if (
        ctx.choice is None
        and ctx.state is not None
        and ctx.text in ("没解决", "没有解决", "不满意")
    ):
        ctx.choice = f"rate:{ctx.state.data.get('id')}:0"
    if ctx.choice is None or not ctx.choice.startswith("rate:"):
        return None
    return await rate(ctx)


@router.button("rate")
async def rate(ctx: Context) -> list[Reply] | None:
    """Store a rating; a low score or 没解决 reopens the suggestion for staff."""
    assert ctx.choice is not None and ctx.resident is not None
    _, number, score_text = _parts(ctx.choice)
    suggestion_id = record_number(number)
    if suggestion_id is None or score_text not in {"0", "1", "2", "3", "4", "5"}:
        return None
    suggestion = await store.get(ctx.session, suggestion_id)
    if suggestion is None:
        return None
    involved = suggestion.resident_id == ctx.resident.id or ctx.resident.id in (
        await store.supporter_ids(ctx.session, suggestion.id)
    )
    if not involved:
        return None
    if suggestion.status not in (SuggestionStatus.RESOLVED, SuggestionStatus.CLOSED):
        return [Reply(T.NOT_RATEABLE.format(id=suggestion.id))]
    score = int(score_text)
    stored = await store.add_rating(
        ctx.session,
        suggestion.id,
        ctx.resident.id,
        score or None,
        unresolved=score == 0,
        round=max(1, suggestion.times_resolved),
    )
    await ctx.done()
    if not stored:
        return [Reply(T.ALREADY_RATED.format(id=suggestion.id))]
    if score <= 2:
        suggestion.status = SuggestionStatus.REOPENED
        await store.add_event(ctx.session, suggestion.id, "reopened", ctx.actor, score_text)
        shown = "没解决" if score == 0 else f"{score} 分"
        note = T.STAFF_REOPENED.format(id=suggestion.id, score=shown)
        await ctx.alert_staff(suggestion.community_id, [Reply(note)], "staff_alert")
        return [Reply(T.RATE_REOPENED.format(id=suggestion.id))]
    if suggestion.resident_id == ctx.resident.id:
        suggestion.status = SuggestionStatus.CLOSED
        await store.add_event(ctx.session, suggestion.id, "closed", ctx.actor, score_text)
    return [Reply(T.RATE_THANKS.format(score=score))]
