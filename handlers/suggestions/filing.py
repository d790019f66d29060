"""Residents' suggestions: submit, merge with a similar one, fix the topic, withdraw, rate."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from handlers.context import Context
from handlers.router import MEDIA_ONLY, Router
from handlers.suggestions import texts as suggestion_texts
from handlers.types import Button, Reply, buttons, record_number
from nlp import similarity
from nlp.numbers import NUMERAL_CHARS, choice_number
from nlp.rating import UNSOLVED, rating_of
from nlp.tokenizer import compact, normalize
from nlp.topics import TOPICS, TopicResult, classify
from storage import suggestions as store
from storage.models import ACTIVE_STATUSES, Suggestion, SuggestionStatus

router = Router("suggestions")

FOLLOW_UP = "suggestion.follow_up"
ATTACHMENTS = "suggestion.attachments"
RATE = "suggestion.rate"
VAGUE = "suggestion.vague"


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
    """Store a suggestion, answer with its number and topic, and offer what comes next.

    A message too short to say what the problem is (哈哈, 我来了, 电梯) is not filed at
    once: the resident is asked to say more, or to confirm that this is what to pass on.
    """
    assert ctx.resident is not None and ctx.community is not None
    found = classify(ctx.text)
    if _too_vague(ctx.text, found) and not _attachments(ctx):
        choices = buttons(("记下来", "sugkeep:yes"), ("不用了", "sugkeep:no"))
        return await ctx.ask(
            VAGUE,
            [Reply(suggestion_texts.SAY_MORE.format(text=ctx.text[:20]), choices)],
            {"text": ctx.text},
        )
    return await _file(ctx, ctx.text, found)


@router.button("sugkeep")
async def keep_vague(ctx: Context) -> list[Reply] | None:
    """File (or drop) a short message the resident was asked about."""
    if ctx.state is None or ctx.state.state != VAGUE or "text" not in ctx.state.data:
        return None
    text = str(ctx.state.data["text"])
    await ctx.done()
    if ctx.choice != "sugkeep:yes":
        return [Reply(suggestion_texts.NOT_FILED)]
    ctx.text = text
    return await _file(ctx, text, classify(text))


def _too_vague(text: str, found: TopicResult) -> bool:
    """Tell whether a message is too short to be a suggestion staff could act on."""
    chars = compact(normalize(text))
    if len(chars) <= 3:
        return True
    return len(chars) <= 8 and found.topic == "other" and not found.keywords


async def _file(ctx: Context, text: str, found: TopicResult) -> list[Reply]:
    """Store the suggestion and answer with its number, topic and what may come next."""
    assert ctx.resident is not None and ctx.community is not None
    media = _attachments(ctx)
    alert_now = ctx.settings.staff_alerts == "each"
    suggestion = await store.create(
        ctx.session,
        community_id=ctx.community.id,
        resident_id=ctx.resident.id,
        channel=ctx.incoming.channel,
        text=text,
        topic=found.topic,
        confidence=found.confidence,
        keywords=list(found.keywords),
        terms=" ".join(similarity.terms(text)),
        urgent=False,
        media=media,
        # "off" and digest mode leave it unalerted; the digest job picks it up.
        staff_alerted_at=ctx.now if alert_now else None,
    )
    if alert_now:
        await _alert_staff(ctx, suggestion)
    ack = suggestion_texts.ACK.format(id=suggestion.id, topic=found.label)
    if ctx.truncated:
        ack = suggestion_texts.TRUNCATED.format(limit=ctx.settings.max_text_chars) + "\n" + ack
    similar = await _most_similar(ctx, suggestion)
    if similar is not None:
        other = similar.id
        n = 1 + await store.supporter_count(ctx.session, other)
        text = (
            ack
            + "\n"
            + suggestion_texts.SIMILAR.format(
                n=n, snippet=suggestion_texts.snippet(similar.text), other=other
            )
        )
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
    return await ctx.ask(FOLLOW_UP, [Reply(text, choices)], {"id": suggestion.id})


async def _alert_staff(ctx: Context, suggestion: Suggestion) -> None:
    text = suggestion_texts.STAFF_NEW.format(
        id=suggestion.id,
        topic=TOPICS[suggestion.topic],
        who=ctx.speaker,
        snippet=suggestion_texts.snippet(suggestion.text, 80),
    )
    await ctx.alert_staff(suggestion.community_id, [Reply(text)], "staff_alert")


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


@router.intent(MEDIA_ONLY)
async def media_without_words(ctx: Context) -> list[Reply]:
    """Keep a photo, voice note or location, and ask for the words that go with it."""
    kept = _attachments(ctx)
    voice = any(m.kind in ("voice", "audio") for m in ctx.incoming.media)
    text = suggestion_texts.VOICE_KEPT if voice else suggestion_texts.MEDIA_KEPT
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
        return [Reply(suggestion_texts.ALREADY_DECIDED)]
    mine.status = SuggestionStatus.MERGED
    mine.merged_into_id = older.id
    await store.add_supporter(ctx.session, older.id, ctx.resident.id)
    await store.move_supporters(ctx.session, mine.id, older.id)
    await store.add_event(ctx.session, mine.id, "merged", ctx.actor, str(older.id))
    await store.add_event(ctx.session, older.id, "supported", ctx.actor, str(mine.id))
    await ctx.done()
    n = 1 + await store.supporter_count(ctx.session, older.id)
    return [Reply(suggestion_texts.MERGED.format(other=older.id, n=n))]


@router.button("keep")
async def keep(ctx: Context) -> list[Reply] | None:
    """Keep the new suggestion on its own."""
    assert ctx.choice is not None
    mine = await _own(ctx, ctx.choice.partition(":")[2])
    if mine is None:
        return None
    await ctx.done()
    return [Reply(suggestion_texts.KEPT.format(id=mine.id))]


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
    return await ctx.ask(FOLLOW_UP, [Reply(suggestion_texts.PICK_TOPIC, choices)], {"id": mine.id})


@router.button("retopic")
async def retopic(ctx: Context) -> list[Reply] | None:
    """Move the resident's suggestion to the topic they chose."""
    assert ctx.choice is not None
    _, number, topic = _parts(ctx.choice)
    mine = await _own(ctx, number)
    if mine is None or topic not in TOPICS:
        return None
    if mine.status not in ACTIVE_STATUSES:
        return [Reply(suggestion_texts.ALREADY_DECIDED)]
    await store.add_event(ctx.session, mine.id, "retopic", ctx.actor, f"{mine.topic}->{topic}")
    mine.topic = topic
    await ctx.done()
    return [Reply(suggestion_texts.RETOPICED.format(topic=TOPICS[topic]))]


@router.button("withdraw")
async def withdraw_button(ctx: Context) -> list[Reply] | None:
    """Withdraw by button."""
    assert ctx.choice is not None
    return await _withdraw(ctx, ctx.choice.partition(":")[2])


@router.command("撤回", "撤销", "/withdraw", args=True)
async def withdraw_command(ctx: Context) -> list[Reply]:
    """Withdraw by command: ``撤回 12``, ``撤回十一``, ``撤回第11条``, ``撤销第9号``."""
    said = ctx.args.split()[0] if ctx.args.split() else ""
    number = choice_number(said)
    if number is None and not said.isdigit():
        return [Reply(suggestion_texts.WHICH_TO_WITHDRAW)]
    shown = number if number is not None else said[:12]
    return await _withdraw(ctx, str(shown)) or [Reply(suggestion_texts.NOT_YOURS.format(id=shown))]


# "不要了 撤回 11", "帮我撤回第11条吧", "把11号撤销了": a withdrawal said with other words.
WITHDRAW_PHRASE = (
    rf".{{0,8}}(?:撤回|撤销)\s*(?:第|编号)?\s*([0-9{NUMERAL_CHARS}]{{1,6}})\s*(?:条|号|个)?.{{0,6}}"
)


@router.phrase(WITHDRAW_PHRASE)
async def withdraw_in_words(ctx: Context) -> list[Reply] | None:
    """Withdraw a suggestion named by number inside other words."""
    match = re.fullmatch(WITHDRAW_PHRASE, ctx.text)
    number = choice_number(match.group(1)) if match else None
    if number is None:
        return None
    return await _withdraw(ctx, str(number)) or [
        Reply(suggestion_texts.NOT_YOURS.format(id=number))
    ]


async def _withdraw(ctx: Context, number: str) -> list[Reply] | None:
    mine = await _own(ctx, number)
    if mine is None:
        return None
    if mine.status not in (SuggestionStatus.OPEN, SuggestionStatus.REOPENED):
        return [
            Reply(
                suggestion_texts.CANNOT_WITHDRAW.format(
                    id=mine.id, status=suggestion_texts.status_label(mine)
                )
            )
        ]
    supporters = await store.supporter_count(ctx.session, mine.id)
    if supporters:
        # Neighbours joined it: withdrawing would drop their problem too.
        return [Reply(suggestion_texts.CANNOT_WITHDRAW_SUPPORTED.format(id=mine.id, n=supporters))]
    mine.status = SuggestionStatus.WITHDRAWN
    await store.add_event(ctx.session, mine.id, "withdrawn", ctx.actor)
    await ctx.done()
    return [Reply(suggestion_texts.WITHDRAWN.format(id=mine.id))]


@router.command("我的建议", "/mine")
async def mine(ctx: Context) -> list[Reply]:
    """List the resident's own suggestions with their status."""
    assert ctx.resident is not None
    found = await store.list_by_resident(ctx.session, ctx.resident.id)
    if not found:
        return [Reply(suggestion_texts.NONE_YET)]
    lines = [suggestion_texts.MINE_HEADER.format(n=len(found))]
    for s in found:
        status, words = suggestion_texts.status_label(s), suggestion_texts.snippet(s.text, 30)
        lines.append(f"编号 {s.id}|{TOPICS[s.topic]}|{status}\n  {words}")
    lines.append(suggestion_texts.MINE_FOOTER.format(id=found[0].id))
    return [Reply("\n".join(lines))]


@router.intent("status")
async def status(ctx: Context) -> list[Reply] | None:
    """Answer "how are my things going" (suggestions are what this part knows about)."""
    about = ctx.slots.get("about")
    if about == "orders":
        from handlers.canteen.orders import my_orders

        return await my_orders(ctx)
    if about == "signups":
        from handlers.activities.signup import my_signups

        return await my_signups(ctx)
    return await mine(ctx)


RATING_CHOICES = (("5 很满意", 5), ("4 满意", 4), ("3 一般", 3), ("2 不满意", 2), ("1 很不满意", 1))


def rating_buttons(suggestion_id: int) -> tuple[tuple[Button, ...], ...]:
    """Return the rating choices, best first, and 没解决 (typed numbers are scores: 6 没解决)."""
    scores = [(label, f"rate:{suggestion_id}:{n}") for label, n in RATING_CHOICES]
    return buttons(*scores, ("6 没解决", f"rate:{suggestion_id}:0"), per_row=3)


def rating_prompt(suggestion: Suggestion, note: str = "") -> Reply:
    """Return the question asking to rate one suggestion's resolution, naming it."""
    text = suggestion_texts.RATE_PROMPT.format(
        id=suggestion.id, snippet=suggestion_texts.snippet(suggestion.text, 20), note=note
    )
    return Reply(text, rating_buttons(suggestion.id))


def _asked_just_now(ctx: Context) -> bool:
    """Tell whether the rating question was asked within the conversation's time.

    A rating asked days ago (it waits a week for an answer) must not hold a new complaint:
    that goes its way, and the rating can still be given with 评价 N.
    """
    asked = ctx.state.data.get("asked") if ctx.state else None
    if not asked:
        return False
    age = ctx.now - datetime.fromisoformat(str(asked))
    return age <= timedelta(minutes=ctx.settings.conversation_minutes)


@router.state(RATE, hint=suggestion_texts.RATE_HINT, holds=_asked_just_now)
async def rate_typed(ctx: Context) -> list[Reply] | None:
    """Take a rating typed in words or numbers (5, 五星, 满意, 给四分吧, 没解决, 6)."""
    assert ctx.state is not None
    if ctx.incoming.button:
        return await rate(ctx) if (ctx.choice or "").startswith("rate:") else None
    score = rating_of(ctx.text)
    if score is None:
        return None
    ctx.choice = f"rate:{ctx.state.data.get('id')}:{score}"
    return await rate(ctx)


@router.command("评价", "打分", "/rate", args=True)
async def rate_later(ctx: Context) -> list[Reply]:
    """Rate a resolved suggestion later: ``评价 9`` (or the next one waiting, without a number)."""
    assert ctx.resident is not None
    number = choice_number(ctx.args.split()[0]) if ctx.args.split() else None
    if number is None:
        waiting = await _next_to_rate(ctx)
        if waiting is None:
            return [Reply(suggestion_texts.NOTHING_TO_RATE)]
        return await ctx.ask(RATE, [rating_prompt(waiting)], _rating_data(ctx, waiting.id))
    suggestion = await store.get(ctx.session, number)
    if suggestion is None or not await _involved(ctx, suggestion):
        return [Reply(suggestion_texts.NOT_YOURS.format(id=number))]
    if suggestion.status not in (SuggestionStatus.RESOLVED, SuggestionStatus.CLOSED):
        return [Reply(suggestion_texts.NOT_RATEABLE.format(id=suggestion.id))]
    if await store.has_rated(
        ctx.session, suggestion.id, ctx.resident.id, suggestion.times_resolved
    ):
        return [Reply(suggestion_texts.ALREADY_RATED.format(id=suggestion.id))]
    return await ctx.ask(RATE, [rating_prompt(suggestion)], _rating_data(ctx, suggestion.id))


def _rating_data(ctx: Context, suggestion_id: int) -> dict[str, Any]:
    """Return what a pending rating question keeps: which suggestion, and when it was asked."""
    return {"id": suggestion_id, "asked": ctx.now.isoformat()}


async def _involved(ctx: Context, suggestion: Suggestion) -> bool:
    assert ctx.resident is not None
    return suggestion.resident_id == ctx.resident.id or ctx.resident.id in (
        await store.supporter_ids(ctx.session, suggestion.id)
    )


async def _next_to_rate(ctx: Context) -> Suggestion | None:
    """Return the next resolution this resident has not rated yet, if any."""
    assert ctx.resident is not None
    since = ctx.now - timedelta(days=ctx.settings.rating_days)
    waiting = await store.awaiting_rating(ctx.session, ctx.resident.id, since)
    return waiting[0] if waiting else None


@router.button("rate")
async def rate(ctx: Context) -> list[Reply] | None:
    """Store a rating; a low score or 没解决 reopens the suggestion for staff.

    Then the next resolution waiting for this resident's rating is asked about, one at a time.
    """
    assert ctx.choice is not None and ctx.resident is not None
    _, number, score_text = _parts(ctx.choice)
    suggestion_id = record_number(number)
    if suggestion_id is None or score_text not in {"0", "1", "2", "3", "4", "5"}:
        return None
    suggestion = await store.get(ctx.session, suggestion_id)
    if suggestion is None or not await _involved(ctx, suggestion):
        return None
    if suggestion.status not in (SuggestionStatus.RESOLVED, SuggestionStatus.CLOSED):
        return [Reply(suggestion_texts.NOT_RATEABLE.format(id=suggestion.id))]
    score = int(score_text)
    stored = await store.add_rating(
        ctx.session,
        suggestion.id,
        ctx.resident.id,
        score or None,
        unresolved=score == UNSOLVED,
        round=max(1, suggestion.times_resolved),
    )
    await ctx.done()
    if not stored:
        return [Reply(suggestion_texts.ALREADY_RATED.format(id=suggestion.id))]
    said = ctx.text.strip()
    if said and not said.isdigit() and not ctx.incoming.button:
        # The resident's own words say why: staff read them with the rating.
        await store.add_event(ctx.session, suggestion.id, "rating_note", ctx.actor, said[:500])
    if score <= 2:
        suggestion.status = SuggestionStatus.REOPENED
        await store.add_event(ctx.session, suggestion.id, "reopened", ctx.actor, score_text)
        shown = "没解决" if score == UNSOLVED else f"{score} 分"
        words = f":“{suggestion_texts.snippet(said, 60)}”" if said and not said.isdigit() else ""
        note = suggestion_texts.STAFF_REOPENED.format(id=suggestion.id, score=shown) + words
        await ctx.alert_staff(suggestion.community_id, [Reply(note)], "staff_alert")
        replies = [Reply(suggestion_texts.RATE_REOPENED.format(id=suggestion.id))]
    else:
        if suggestion.resident_id == ctx.resident.id:
            suggestion.status = SuggestionStatus.CLOSED
            await store.add_event(ctx.session, suggestion.id, "closed", ctx.actor, score_text)
        replies = [Reply(suggestion_texts.RATE_THANKS.format(score=score))]
    following = await _next_to_rate(ctx)
    if following is not None:
        replies.append(rating_prompt(following, suggestion_texts.ONE_MORE))
        return await ctx.ask(
            RATE, replies, {"id": following.id}, ttl=timedelta(days=ctx.settings.rating_days)
        )
    return replies
