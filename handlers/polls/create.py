"""/newpoll: staff build a poll or questionnaire one answer at a time.

The answers fill the same definition a TOML file gives ``linli polls import`` (see
handlers.polls.specs), which is checked once more before anything is stored.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from handlers import texts
from handlers.broadcasts.staff import ASK_AUDIENCE, parse_audience
from handlers.context import Context
from handlers.polls import texts as poll_texts
from handlers.polls.rules import OTHER_LABEL, check_skip_rule
from handlers.polls.specs import (
    MAX_OPTIONS,
    QuestionSpec,
    SpecError,
    question_row,
    read_spec,
    to_rows,
)
from handlers.router import Router
from handlers.types import Reply, buttons
from handlers.yes_no import typed_answer
from nlp.dates import parse_when
from storage import audit
from storage import polls as store
from storage.polls import REMIND_BEFORE

router = Router("poll_create")

STEP = "poll.new"
ASK = {
    "title": "问卷的标题是什么?例如“服务中心二楼做什么”。发送 0 放弃。",
    "size": "是一道题的投票,还是几道题的问卷?",
    "text": "第 {n} 题的题目是什么?",
    "more": "第 {n} 题的题目是什么?(题目出完了就回复“完成”)",
    "kind": "这道题怎么答?",
    "options": (
        f"请发送选项,每行一个,或用“、”隔开(2–{MAX_OPTIONS} 个)。"
        "需要居民自己填写的“其他”,就加一个“其他”。"
    ),
    "max": "最多可以选几项?回复数字。",
    "required": "这道题必须回答吗?",
    "skip": "这道题要在前面某题选了某项时跳过吗?例如“第1题选2时跳过”。不需要就回复“不用”。",
    "audience": ASK_AUDIENCE.replace("\n· 活动 12(报名者)", "") + "\n请问发给谁填?",
    "household": "每人填一份,还是每户填一份?",
    "anonymous": "实名还是匿名?(实名时工作人员能看到谁填了什么)",
    "opens": "什么时候开始?回复“现在”,或写时间,例如“明天 9:00”。",
    "closes": "什么时候截止?例如“12月10日 18:00”“下周五 18点”。",
    "results": "结果怎么公布?",
}
SIZES = {"pnsize:one": "投票(一道题)", "pnsize:many": "问卷(几道题)"}
KINDS = {
    "pnkind:single": "单选",
    "pnkind:multi": "多选",
    "pnkind:rating": "评分",
    "pnkind:text": "填空",
}
REQUIRED = {"pnreq:yes": "必答", "pnreq:no": "可不答"}
HOUSEHOLD = {"pnhouse:person": "每人一份", "pnhouse:home": "每户一份"}
ANONYMOUS = {"pnanon:named": "实名", "pnanon:anon": "匿名"}
RESULTS = {
    "pnres:publish": "截止时发给大家",
    "pnres:after_close": "截止后可查看",
    "pnres:live": "随时可看(实时)",
    "pnres:staff_only": "只给工作人员看",
}
CONFIRM = {"pnok:yes": "发布", "pnok:no": "放弃"}
_SKIP_RULE = re.compile(
    r"第\s*(\d{1,2})\s*题\s*(?:选|=|是|答)\s*(?:第\s*)?(\d{1,2}|[^\s时的,,。]{1,40}?)\s*(?:项)?\s*(?:时|的话)?跳"
)
MAX_QUESTIONS = 30


def _pick(ctx: Context, table: dict[str, str]) -> str | None:
    """Return the key chosen by button, typed number, or typed label."""
    if ctx.choice in table:
        return ctx.choice
    return next((k for k, label in table.items() if ctx.text in (label, label[:2])), None)


async def _ask(
    ctx: Context, data: dict[str, Any], step: str, table: dict[str, str] | None = None
) -> list[Reply]:
    data["step"] = step
    n = len(data["spec"].get("question", [])) + 1
    text = ASK["more" if step == "text" and n > 1 else step].format(n=n)
    choices = buttons(*((label, key) for key, label in table.items())) if table else ()
    return await ctx.ask(STEP, [Reply(text, choices)], data)


@router.state(STEP)
@router.button("pnsize", "pnkind", "pnreq", "pnhouse", "pnanon", "pnres", "pnok")
async def step(ctx: Context) -> list[Reply] | None:
    """Take one answer of the guided creation and ask the next question."""
    if ctx.state is None or ctx.state.state != STEP:
        return None
    if ctx.working_community() is None:
        await ctx.done()
        return [Reply(texts.PICK_COMMUNITY)]
    data: dict[str, Any] = dict(ctx.state.data)
    data["spec"] = dict(data["spec"])
    return await STEPS[data["step"]](ctx, data)


async def _title(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    title = ctx.text.strip()
    if not 1 <= len(title) <= 100:
        return [Reply("标题要 1–100 个字。" + ASK["title"])] if ctx.text else None
    data["spec"] |= {"title": title, "question": []}
    return await _ask(ctx, data, "size", SIZES)


async def _size(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    chosen = _pick(ctx, SIZES)
    if chosen is None:
        return None
    data["single"] = chosen == "pnsize:one"
    return await _ask(ctx, data, "text")


async def _text(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    said = ctx.text.strip()
    asked = data["spec"]["question"]
    if said in ("完成", "好了", "没有了", "结束") and asked:
        return await _ask(ctx, data, "audience")
    if len(asked) >= MAX_QUESTIONS:
        return [Reply(f"一份问卷最多 {MAX_QUESTIONS} 题。请回复“完成”。")]
    if not 1 <= len(said) <= 300:
        return [Reply("题目要 1–300 个字。")] if ctx.text else None
    data["q"] = {"text": said}
    return await _ask(ctx, data, "kind", KINDS)


async def _kind(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    chosen = _pick(ctx, KINDS)
    if chosen is None:
        return None
    kind = chosen.split(":")[1]
    data["q"]["kind"] = {"single": "choice", "multi": "choice"}.get(kind, kind)
    if kind in ("single", "multi"):
        data["multi"] = kind == "multi"
        return await _ask(ctx, data, "options")
    return await _ask(ctx, data, "required", REQUIRED)


async def _options(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    options = [o.strip() for o in re.split(r"[\n、,,;;]+", ctx.text) if o.strip()]
    other = OTHER_LABEL in options or "其它" in options
    options = [o for o in options if o not in (OTHER_LABEL, "其它")]
    candidate = {**data["q"], "options": options, "other": other}
    try:
        QuestionSpec.model_validate(candidate)
    except ValidationError as exc:
        reason = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        return [Reply(f"{reason}。\n{ASK['options']}")]
    data["q"] = candidate
    if data.get("multi"):
        return await _ask(ctx, data, "max")
    return await _ask(ctx, data, "required", REQUIRED)


async def _max(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    count = len(data["q"]["options"]) + data["q"]["other"]
    said = ctx.text.strip().rstrip("项个")
    if not said.isdigit() or not 2 <= int(said) <= count:
        return [Reply(f"请回复 2 到 {count} 之间的数字。")]
    data["q"]["max"] = int(said)
    return await _ask(ctx, data, "required", REQUIRED)


async def _required(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    chosen = _pick(ctx, REQUIRED)
    if chosen is None:
        return None
    data["q"]["required"] = chosen == "pnreq:yes"
    asked = data["spec"]["question"]
    if any(q["kind"] == "choice" for q in asked):
        return await _ask(ctx, data, "skip")
    return await _next_question(ctx, data)


async def _skip(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    said = ctx.text.strip()
    if typed_answer(said, "x") != "x:no" and said not in ("不用", "无", "没有", "不要"):
        rule = _skip_rule(said, data["spec"]["question"])
        if rule is None:
            return [Reply("没看懂。" + ASK["skip"])]
        problem = _skip_problem(rule, data["spec"]["question"])
        if problem:
            return [Reply(f"{problem}。" + ASK["skip"])]
        data["q"]["skip_if"] = rule
    return await _next_question(ctx, data)


def _skip_rule(said: str, asked: list[dict[str, Any]]) -> dict[str, int] | None:
    """Read “第1题选2时跳过” or “第1题选否时跳过” (an option's number or its words)."""
    found = _SKIP_RULE.search(said)
    if not found:
        return None
    position, option = int(found[1]), found[2]
    if option.isdigit():
        return {"question": position, "option": int(option)}
    if not 1 <= position <= len(asked):
        return {"question": position, "option": 1}  # refused by the check, with the reason
    names = [*asked[position - 1].get("options", [])]
    if asked[position - 1].get("other"):
        names.append(OTHER_LABEL)
    return {"question": position, "option": names.index(option) + 1} if option in names else None


def _skip_problem(rule: dict[str, int], asked: list[dict[str, Any]]) -> str:
    """Return what is wrong with a skip rule for the next question ("" if nothing)."""
    earlier = [question_row(QuestionSpec.model_validate(q), n) for n, q in enumerate(asked, 1)]
    return check_skip_rule(rule, len(asked) + 1, earlier)


async def _next_question(ctx: Context, data: dict[str, Any]) -> list[Reply]:
    data["spec"]["question"] = [*data["spec"]["question"], data.pop("q")]
    if data.get("single"):
        return await _ask(ctx, data, "audience")
    return await _ask(ctx, data, "text")


async def _audience(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    audience = parse_audience(ctx.text)
    if audience is None or audience["kind"] == "activity":
        return [Reply(f"没看懂“{ctx.text[:20]}”。\n{ASK['audience']}")] if ctx.text else None
    data["spec"]["audience"] = ctx.text.strip()
    return await _ask(ctx, data, "household", HOUSEHOLD)


async def _household(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    chosen = _pick(ctx, HOUSEHOLD)
    if chosen is None:
        return None
    data["spec"]["per_household"] = chosen == "pnhouse:home"
    return await _ask(ctx, data, "anonymous", ANONYMOUS)


async def _anonymous(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    chosen = _pick(ctx, ANONYMOUS)
    if chosen is None:
        return None
    data["spec"]["anonymous"] = chosen == "pnanon:anon"
    return await _ask(ctx, data, "opens")


async def _opens(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    zone = ctx.zone
    if ctx.text.strip() in ("现在", "马上", "立即", "现在开始"):
        data["spec"].pop("opens", None)
        return await _ask(ctx, data, "closes")
    parsed = parse_when(ctx.text, ctx.now, zone)
    if parsed is None or parsed[0] <= ctx.now:
        return [Reply("没看懂这个时间,或者它已经过去了。" + ASK["opens"])]
    data["spec"]["opens"] = parsed[0].isoformat()
    return await _ask(ctx, data, "closes")


async def _closes(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    zone = ctx.zone
    parsed = parse_when(ctx.text, ctx.now, zone)
    written = data["spec"].get("opens")
    opens = datetime.fromisoformat(written) if written else ctx.now
    if parsed is None or parsed[0] <= opens:
        return [Reply("没看懂这个时间,或者它不在开始时间之后。" + ASK["closes"])]
    data["spec"]["closes"] = parsed[0].isoformat()
    return await _ask(ctx, data, "results", RESULTS)


async def _results(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    chosen = _pick(ctx, RESULTS)
    if chosen is None:
        return None
    data["spec"]["results"] = chosen.split(":")[1]
    data["step"] = "confirm"
    try:
        preview = await _preview(ctx, data)
    except SpecError as exc:  # e.g. the closing time passed while staff were writing
        return await _back_to_times(ctx, data, exc)
    return await ctx.ask(STEP, [preview], data)


async def _back_to_times(ctx: Context, data: dict[str, Any], exc: SpecError) -> list[Reply]:
    data["step"] = "opens"
    data["spec"].pop("opens", None)
    return await ctx.ask(STEP, [Reply(f"{exc}。请重新设时间。\n{ASK['opens']}")], data)


async def _preview(ctx: Context, data: dict[str, Any]) -> Reply:
    spec, zone = data["spec"], ctx.zone
    community_id = ctx.working_community()
    assert community_id is not None
    poll, _ = to_rows(read_spec(spec), community_id, zone, ctx.now, ctx.actor)  # checked
    year = ctx.now.astimezone(zone).year
    size = await store.audience_size(ctx.session, poll, year)
    unit = "户" if poll.per_household else "人"
    lines = [
        "【预览】",
        describe_spec(spec),
        "",
        f"对象:{spec['audience']}(现在共 {size} {unit}),{HOUSEHOLD_WORDS[poll.per_household]},"
        f"{'匿名' if poll.anonymous else '实名'}",
        f"时间:{poll_texts.when(poll.opens_at, zone)} 至 {poll_texts.when(poll.closes_at, zone)}",
        f"结果:{RESULTS['pnres:' + spec['results']]}",
        "开始时会给对象发邀请"
        + (",截止前提醒还没填的人。" if poll.closes_at - poll.opens_at >= REMIND_BEFORE else "。"),
    ]
    return Reply("\n".join(lines), buttons(*((label, key) for key, label in CONFIRM.items())))


HOUSEHOLD_WORDS = {True: "每户一份", False: "每人一份"}


def describe_spec(spec: dict[str, Any]) -> str:
    """Return a poll definition as staff read it back before publishing."""
    lines = [f"【{spec['title']}】"]
    for i, q in enumerate(spec.get("question", []), 1):
        kind = {"rating": "评分 1–5", "text": "填空"}.get(q["kind"]) or (
            f"多选(最多 {q['max']} 项)" if q.get("max", 1) > 1 else "单选"
        )
        tail = "" if q.get("required", True) else ",可不答"
        lines.append(f"{i}. {q['text']}({kind}{tail})")
        if q.get("options"):
            lines.append("   " + " / ".join(q["options"]) + (" / 其他" if q.get("other") else ""))
        if q.get("skip_if"):
            rule = q["skip_if"]
            lines.append(f"   第 {rule['question']} 题选第 {rule['option']} 项时跳过")
    return "\n".join(lines)


async def _confirm(ctx: Context, data: dict[str, Any]) -> list[Reply] | None:
    chosen = _pick(ctx, CONFIRM) or {"pnok:yes": "pnok:yes", "pnok:no": "pnok:no"}.get(
        typed_answer(ctx.text, "pnok") or ""
    )
    if chosen is None:
        return None
    await ctx.done()
    if chosen == "pnok:no":
        return [Reply("好的,这份问卷不发了。")]
    community_id = ctx.working_community()
    assert community_id is not None
    zone = ctx.zone
    try:
        poll, questions = to_rows(read_spec(data["spec"]), community_id, zone, ctx.now, ctx.actor)
    except SpecError as exc:  # e.g. the closing time passed while the preview waited
        return [Reply(f"没能发布:{exc}。请重新 /newpoll。")]
    await store.create(ctx.session, poll, questions)
    await audit.record(
        ctx.session, ctx.actor, "poll.create", community_id=community_id, target=str(poll.id)
    )
    start = (
        "现在开始" if poll.opens_at <= ctx.now else f"{poll_texts.when(poll.opens_at, zone)} 开始"
    )
    return [
        Reply(
            f"问卷 #{poll.id}“{poll.title}”已发布,{start},邀请随后发出。"
            f"\n查看结果:/pollresults {poll.id};提前结束:/pollclose {poll.id}"
        )
    ]


STEPS = {
    "title": _title,
    "size": _size,
    "text": _text,
    "kind": _kind,
    "options": _options,
    "max": _max,
    "required": _required,
    "skip": _skip,
    "audience": _audience,
    "household": _household,
    "anonymous": _anonymous,
    "opens": _opens,
    "closes": _closes,
    "results": _results,
    "confirm": _confirm,
}
