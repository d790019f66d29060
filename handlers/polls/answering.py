"""Residents answer polls and questionnaires in chat, one question at a time.

问卷 / /polls lists what is open for them; a choice (or the invitation's button) starts or
resumes it. Each answer is kept as soon as it is given, so 继续问卷 picks up where they
stopped, and 修改答案 changes any answer until closing. Buttons on Telegram; numbers or an
option's words elsewhere (multiple choice as ``1 3``).
"""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from handlers.polls import notices
from handlers.polls import texts as poll_texts
from handlers.polls.flow import Progress, load_progress, question_reply
from handlers.polls.rules import Answer, Problem, how_to_answer, labels, read_answer
from handlers.residents.profile import ADDRESS_PATTERN, address_of, keep_address
from handlers.router import Router
from handlers.types import Button, Reply, expired_button
from nlp.numbers import arabic
from storage import audience as audiences
from storage import polls as store
from storage.models import Poll, PollQuestion, QuestionKind, ResultsShown

router = Router("polls")

ANSWER = "poll.answer"
HOUSEHOLD = "poll.household"
MAX_LISTED = 9
# Answer one option or rating, tick a multiple choice, done ticking, skip (optional questions).
ANSWER_BUTTONS = ("pa", "pt", "pd", "ps")


@router.command("问卷", "/polls", "投票", "调查问卷", "问卷调查", "填问卷", "开始填写")
async def list_open(ctx: Context) -> list[Reply]:
    """List the open polls this resident may answer, with where they stand on each."""
    mine = await _open_for(ctx)
    if not mine:
        return [Reply(poll_texts.NONE_OPEN)]
    if len(mine) == 1:
        return await enter(ctx, mine[0])
    lines, choices = ["现在可以填写的问卷:"], []
    for i, poll in enumerate(mine[:MAX_LISTED], 1):
        state = await _standing(ctx, poll)
        lines.append(f"{i}. {poll.title}({state},{poll_texts.when(poll.closes_at, ctx.zone)} 截止)")
        choices.append((Button(poll.title[:20], f"poll:open:{poll.id}"),))
    lines.append("选一份开始或接着填。")
    return await ctx.ask("poll.pick", [Reply("\n".join(lines), tuple(choices))])


async def _open_for(ctx: Context) -> list[Poll]:
    assert ctx.resident is not None and ctx.community is not None
    found = await store.open_in(ctx.session, ctx.community.id, ctx.now)
    year = ctx.local_year()
    return [p for p in found if await store.in_audience(ctx.session, p, ctx.resident, year)]


async def _standing(ctx: Context, poll: Poll) -> str:
    progress = await load_progress(ctx.session, poll, ctx.resident, create=False)
    if progress is None or progress.response is None or not progress.kept:
        return "未填"
    if progress.response.resident_id != getattr(ctx.resident, "id", None):
        return "家人已填" if progress.complete else "家人在填"
    if progress.complete:
        return "已填,可修改"
    following = progress.next
    return f"填到第 {following.position} 题" if following else "未提交"


@router.button("poll")
async def poll_button(ctx: Context) -> list[Reply] | None:
    """Open a poll from a list or an invitation (poll:open:ID), or change one answer."""
    assert ctx.choice is not None
    parts = ctx.choice.split(":")
    numbers = [int(p) for p in parts[2:] if p.isdigit() and len(p) <= 9]
    if len(parts) < 3 or len(numbers) != len(parts) - 2:
        return [expired_button()]
    poll = await store.get(ctx.session, numbers[0])
    if poll is None or ctx.resident is None or poll.community_id != ctx.resident.community_id:
        return [Reply(poll_texts.GONE)]
    if parts[1] == "open":
        return await enter(ctx, poll)
    if parts[1] == "edit" and len(numbers) == 2:
        return await enter(ctx, poll, question_id=numbers[1])
    if parts[1] == "changeof":
        return await _change_menu(ctx, poll)
    return [expired_button()]


async def _refusal(ctx: Context, poll: Poll) -> list[Reply] | None:
    """Say why this resident cannot answer this poll now (None: they can)."""
    assert ctx.resident is not None
    if poll.closes_at <= ctx.now:
        replies = [Reply(poll_texts.closed(poll.title, poll_texts.when(poll.closes_at, ctx.zone)))]
        return replies + await results_for_resident(ctx, poll)
    if poll.opens_at > ctx.now:
        return [Reply(poll_texts.not_yet(poll.title, poll_texts.when(poll.opens_at, ctx.zone)))]
    if not await store.in_audience(ctx.session, poll, ctx.resident, ctx.local_year()):
        return [Reply(poll_texts.not_for_you(poll.title, audiences.describe(poll.audience)))]
    return None


async def enter(ctx: Context, poll: Poll, question_id: int | None = None) -> list[Reply]:
    """Start or resume a poll (at ``question_id`` to change that answer)."""
    assert ctx.resident is not None
    if refused := await _refusal(ctx, poll):
        await ctx.done()
        return refused
    if poll.per_household and store.household_of(ctx.resident) is None:
        return await ctx.ask(HOUSEHOLD, [Reply(poll_texts.ASK_HOUSEHOLD)], {"poll": poll.id})
    progress = await load_progress(ctx.session, poll, ctx.resident, create=True, now=ctx.now)
    assert progress is not None and progress.response is not None
    if family := _family_has_it(ctx, poll, progress):
        await ctx.done()
        return family
    if question_id is not None and not progress.may_change(question_id):
        return [expired_button()]  # a stale or forged button: nothing to change
    if progress.complete and question_id is None:
        await ctx.done()
        summary = "\n".join(progress.summary())
        done = Reply(f"您已经填过“{poll.title}”了:\n{summary}\n要改答案,发送“修改答案”。")
        live = poll.results_shown == ResultsShown.LIVE
        return [done, *(await results_for_resident(ctx, poll) if live else [])]
    lead = []
    if not progress.kept and question_id is None:
        lead = [f"“{poll.title}”"] + ([poll.intro] if poll.intro else [])
        lead.append(f"共 {len(progress.questions)} 题。{poll_texts.PAUSE_HINT}")
    question = progress.question(question_id) if question_id else progress.next
    if question is None:
        return await _complete(ctx, poll, progress)
    return await _ask(ctx, poll, progress, question, lead=lead, editing=question_id is not None)


def _family_has_it(ctx: Context, poll: Poll, progress: Progress) -> list[Reply] | None:
    """Refuse a member of a household whose response another member started (one each)."""
    response = progress.response
    assert ctx.resident is not None
    if response is None or response.resident_id in (None, ctx.resident.id):
        return None
    address = address_of(ctx.resident) or ""
    if progress.complete:
        return [Reply(poll_texts.household_done(poll.title, address))]
    return [Reply(poll_texts.household_busy(poll.title, address))]


@router.state(HOUSEHOLD, hint="请写楼号、单元和门牌,例如“3栋2单元502”")
async def household_given(ctx: Context) -> list[Reply] | None:
    """Keep the door number a household poll needs, then start it."""
    assert ctx.state is not None
    found = ADDRESS_PATTERN.search(arabic(ctx.text))
    if not found or not found.group(3):
        return None  # asked again (or a new request goes its way)
    keep_address(ctx, found)
    poll = await store.get(ctx.session, int(ctx.state.data["poll"]))
    await ctx.done()
    return await enter(ctx, poll) if poll is not None else [Reply(poll_texts.GONE)]


async def _ask(
    ctx: Context,
    poll: Poll,
    progress: Progress,
    question: PollQuestion,
    *,
    lead: list[str] | None = None,
    editing: bool = False,
    picked: list[int] | None = None,
) -> list[Reply]:
    reply = question_reply(poll, progress, question, ctx.incoming.channel, picked or [], lead)
    data: dict[str, Any] = {"poll": poll.id, "question": question.id, "editing": editing}
    if picked:
        data["picked"] = picked
    return await ctx.ask(ANSWER, [reply], data)


@router.on_leave(ANSWER, HOUSEHOLD)
async def paused(ctx: Context) -> list[Reply]:
    """Leave the questionnaire for now; everything answered stays."""
    return [Reply(poll_texts.PAUSED)]


@router.state(ANSWER)
@router.button(*ANSWER_BUTTONS)
async def answer(ctx: Context) -> list[Reply] | None:
    """Take the answer to the question asked (typed, or a button of any question of it)."""
    typed_command = not ctx.choice and ctx.is_command(ctx.text)
    target = _target(ctx)
    if target is None:
        return None
    poll_id, question_id = target
    poll = await store.get(ctx.session, poll_id)
    if poll is None or ctx.resident is None or poll.community_id != ctx.resident.community_id:
        await ctx.done()
        return [Reply(poll_texts.GONE)]
    if refused := await _refusal(ctx, poll):
        await ctx.done()
        return refused
    progress = await load_progress(ctx.session, poll, ctx.resident, create=True, now=ctx.now)
    assert progress is not None
    if family := _family_has_it(ctx, poll, progress):
        await ctx.done()
        return family
    question = progress.question(question_id)
    if question is None or not progress.may_change(question_id):
        return [expired_button()]
    if typed_command and question.kind == QuestionKind.TEXT:
        return None  # 帮助, 转人工, 删除我的信息…: a command, not the answer to write
    data = dict(ctx.state.data) if ctx.state and ctx.state.state == ANSWER else {}
    editing = bool(data.get("editing"))
    read = _read(ctx, question, data)
    if isinstance(read, Problem) and typed_command:
        return None  # no option of this question, but a command: let it run
    if isinstance(read, Problem):
        return [Reply(read.message + ("" if ctx.incoming.button else "\n" + poll_texts.PAUSE_HINT))]
    if isinstance(read, list):  # a multiple-choice button: toggled, still choosing
        return await _ask(ctx, poll, progress, question, editing=editing, picked=read)
    if read.needs_other_text:
        data |= {"poll": poll.id, "question": question.id, "other": list(read.choices)}
        return await ctx.ask(ANSWER, [Reply(poll_texts.OTHER_ASK)], data)
    await progress.keep(ctx.session, question, read, ctx.now)
    if editing and progress.next is None:
        return await _complete(ctx, poll, progress, changed=True)
    following = progress.next
    if following is None:
        return await _complete(ctx, poll, progress)
    return await _ask(ctx, poll, progress, following, editing=editing)


def _target(ctx: Context) -> tuple[int, int] | None:
    """Return the (poll, question) this message answers: its button's, or the one asked.

    None for another feature's button pressed while a question waits, or a forged one.
    """
    if ctx.choice:
        parts = ctx.choice.split(":")
        answers = parts[0] in ANSWER_BUTTONS and len(parts) >= 3
        if answers and all(p.isdigit() and len(p) <= 9 for p in parts[1:]):
            return int(parts[1]), int(parts[2])
        return None
    if ctx.state is None or ctx.state.state != ANSWER:
        return None
    return int(ctx.state.data["poll"]), int(ctx.state.data["question"])


def _read(
    ctx: Context, question: PollQuestion, data: dict[str, Any]
) -> Answer | Problem | list[int]:
    """Read this message as an answer (a list: the choices so far of a multiple choice)."""
    choice = ctx.choice or ""
    kind, _, rest = choice.partition(":")
    parts = rest.split(":")
    if kind == "ps":
        return Answer(skipped=True) if not question.required else Problem("这道题需要回答。")
    if kind == "pa" and len(parts) == 3:
        return read_answer(question, parts[2])
    if kind in ("pt", "pd"):
        picked = [int(n) for n in data.get("picked", []) if data.get("question") == question.id]
        if kind == "pt" and len(parts) == 3:
            n = int(parts[2])
            if not 1 <= n <= len(labels(question)):
                return Problem(f"没有第 {n} 项。{how_to_answer(question)}")
            if n not in picked and len(picked) >= question.max_choices:
                return Problem(f"最多选 {question.max_choices} 项;先点已选的取消一项,再选这项。")
            picked = [p for p in picked if p != n] if n in picked else [*picked, n]
            return picked
        return read_answer(question, " ".join(map(str, picked)))
    if "other" in data and data.get("question") == question.id:
        words = ctx.text.strip()
        if not words:
            return Problem(poll_texts.OTHER_EMPTY)
        checked = read_answer(question, " ".join(map(str, data["other"])))
        if isinstance(checked, Problem):
            return checked
        return Answer(choices=checked.choices, text=words[:500])
    return read_answer(question, ctx.text)


async def _complete(
    ctx: Context, poll: Poll, progress: Progress, changed: bool = False
) -> list[Reply]:
    await progress.finish(ctx.now)
    await ctx.done()
    closes = poll_texts.when(poll.closes_at, ctx.zone)
    live = poll.results_shown == ResultsShown.LIVE
    head = "已修改,谢谢!" if changed else poll_texts.finished(closes, live)
    summary = "\n".join(progress.summary())
    replies = [Reply(f"{head}\n\n您的回答:\n{summary}")]
    if live:  # in words: a chart drawn here would hold every answer's transaction up
        text, _ = await notices.results(ctx.session, poll, ctx.local_year())
        replies.append(Reply(text))
    return replies


async def results_for_resident(ctx: Context, poll: Poll) -> list[Reply]:
    """Return a poll's results as residents may see them (nothing yet, if not yet)."""
    closed = poll.closes_at <= ctx.now
    if poll.results_shown == ResultsShown.STAFF_ONLY:
        return [Reply(poll_texts.STAFF_ONLY_RESULTS)] if closed else []
    if poll.results_shown != ResultsShown.LIVE and not closed:
        return [Reply(poll_texts.NO_RESULTS_YET)]
    return await results_replies(ctx, poll)


async def results_replies(ctx: Context, poll: Poll) -> list[Reply]:
    """Return the results as text and, where a picture can be drawn, as a bar chart."""
    return await notices.results_replies(
        ctx.session, poll, ctx.local_year(), ctx.settings.draw_chart
    )


@router.command("继续问卷", "继续填写", "接着填问卷")
async def resume(ctx: Context) -> list[Reply]:
    """Go back to a questionnaire left half-way."""
    for poll in await _open_for(ctx):
        progress = await load_progress(ctx.session, poll, ctx.resident, create=False)
        if progress and progress.response and progress.response.completed_at is None:
            return await enter(ctx, poll)
    return [Reply(poll_texts.NOTHING_TO_RESUME)]


@router.command("修改答案", "改答案", "修改问卷")
async def change(ctx: Context) -> list[Reply]:
    """Offer the answers that can still be changed."""
    answered = []
    for poll in await _open_for(ctx):
        progress = await load_progress(ctx.session, poll, ctx.resident, create=False)
        if progress and progress.kept:
            answered.append(poll)
    if not answered:
        return [Reply(poll_texts.NOTHING_TO_CHANGE)]
    if len(answered) == 1:
        return await _change_menu(ctx, answered[0])
    choices = tuple((Button(p.title[:20], f"poll:changeof:{p.id}"),) for p in answered)
    return await ctx.ask("poll.pick", [Reply("要修改哪份问卷的答案?", choices)])


async def _change_menu(ctx: Context, poll: Poll) -> list[Reply]:
    if refused := await _refusal(ctx, poll):
        return refused
    progress = await load_progress(ctx.session, poll, ctx.resident, create=False)
    if progress is None or not progress.kept:
        return [Reply(poll_texts.NOTHING_TO_CHANGE)]
    if family := _family_has_it(ctx, poll, progress):
        return family
    lines = [f"“{poll.title}”您的回答:", *progress.summary(), "要改哪一题?"]
    choices = tuple(
        (Button(f"第 {q.position} 题", f"poll:edit:{poll.id}:{q.id}"),)
        for q in progress.questions
        if q.position in progress.kept
    )
    return await ctx.ask("poll.pick", [Reply("\n".join(lines), choices)])


@router.command("问卷结果", "投票结果")
async def results(ctx: Context) -> list[Reply]:
    """Show the results residents may see: open polls shown live, and recently closed ones."""
    assert ctx.community is not None and ctx.resident is not None
    shown = []
    for poll in await store.recent_for_results(ctx.session, ctx.community.id, ctx.now):
        if await store.in_audience(ctx.session, poll, ctx.resident, ctx.local_year()):
            shown += await results_for_resident(ctx, poll)
    return shown or [Reply("还没有可以查看的问卷结果。")]
