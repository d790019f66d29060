"""A resident's phone number: asked for only with their consent, kept only for their staff.

Nothing is stored before the resident agrees to a prompt that says who sees the number and
what for. Then they share it (Telegram's contact button) or type it. A contact shared without
that prompt is not kept: the prompt comes first.
"""

from __future__ import annotations

import re

from handlers.context import Context
from handlers.router import CONTACT_SHARED, Router
from handlers.types import Button, Reply, buttons
from handlers.yes_no import typed_answer
from nlp.numbers import NUMERAL_CHARS, phone_digits
from storage import audit

router = Router("phone")

CONSENT = "phone.consent"
WAITING = "phone.waiting"

ASK = (
    "留个电话,社区工作人员处理您的建议或求助时可以直接打给您。\n"
    "电话只给社区工作人员看,不会公开,也不会用于别的用途;"
    "随时发送“删除电话”就能删掉。\n同意留下电话吗?"
)
SHARE = "请输入您的手机号(11位);有“分享我的电话”按钮的话,点它也行。发送 0 返回。"
SAVED = "已保存您的电话 {masked},只有社区工作人员能看到。发送“删除电话”可随时删掉。"
DECLINED = "好的,不留电话也没关系,我们会在这里回复您。"
NOT_A_NUMBER = "这个号码好像不对。请输入 11 位手机号(例如 13812345678),或发送 0 返回。"
NOT_YOURS = "请分享您自己的电话(这张名片不是您本人的)。"
CURRENT = "您留的电话是 {masked}。"
DELETED = "已删除您的电话。"
NONE_KEPT = "您没有留过电话。"
SHARE_BUTTON = "📱 分享我的电话"

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")


def normalise(raw: str) -> str | None:
    """Return a Chinese mobile or landline number as digits, or None if it is not one."""
    digits = re.sub(r"[\s\-()()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    return None


def masked(phone: str) -> str:
    """Return a number with its middle hidden, for showing back in a chat."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else phone


async def _ask_consent(ctx: Context, lead: str = "") -> list[Reply]:
    prompt = Reply(lead + ASK, buttons(("同意", "phone:yes"), ("不用了", "phone:no")))
    return await ctx.ask(CONSENT, [prompt])


@router.command("/phone", "留电话", "留个电话", "我的电话", "更换电话")
async def phone(ctx: Context) -> list[Reply]:
    """Show the phone kept, or ask for consent to keep one."""
    assert ctx.resident is not None
    if ctx.resident.phone and ctx.text != "更换电话":
        kept = Reply(
            CURRENT.format(masked=masked(ctx.resident.phone)),
            buttons(("更换电话", "phone:yes"), ("删除电话", "phone:delete")),
        )
        return await ctx.ask(CONSENT, [kept])
    return await _ask_consent(ctx)


@router.intent(CONTACT_SHARED)
async def contact_unasked(ctx: Context) -> list[Reply]:
    """Ask for consent first when a contact comes unasked (nothing is kept yet)."""
    return await _ask_consent(ctx, "收到您的名片。为保护您的隐私,先问一句:\n")


CONSENT_YES, CONSENT_NO = frozenset({"同意", "愿意"}), frozenset({"不同意", "不愿意"})


@router.state(CONSENT, hint="请回复 1 同意 或 2 不用了")
async def consent(ctx: Context) -> list[Reply] | None:
    """Take the resident's yes or no (pressed, numbered or typed)."""
    choice = ctx.choice or typed_answer(ctx.text, "phone", CONSENT_YES, CONSENT_NO)
    if choice == "phone:yes":
        share = Reply(SHARE, ((Button(SHARE_BUTTON, kind="request_contact"),),))
        return await ctx.ask(WAITING, [share])
    if choice == "phone:no":
        await ctx.done()
        return [Reply(DECLINED)]
    if choice == "phone:delete":
        await ctx.done()
        return await delete(ctx)
    return None


@router.state(WAITING, hint="请输入 11 位手机号,例如 13812345678")
async def waiting(ctx: Context) -> list[Reply] | None:
    """Keep the number the resident shares or types, once it reads as a phone number."""
    assert ctx.resident is not None
    incoming = ctx.incoming
    if incoming.contact_phone is not None:
        if not incoming.contact_is_own:
            return [Reply(NOT_YOURS)]
        number = normalise(incoming.contact_phone)
    elif re.fullmatch(rf"[\d\s\-+()(){NUMERAL_CHARS}]{{7,}}", ctx.text):
        # 一三八一二三四五六七八 as typed or heard counts as much as the digits.
        number = normalise(phone_digits(ctx.text) if not ctx.text.startswith("+") else ctx.text)
    else:
        return None  # something else: asked again, or routed if it is a new request
    if number is None:
        return [Reply(NOT_A_NUMBER)]
    await ctx.done()
    ctx.resident.phone = number
    ctx.resident.consents = {**ctx.resident.consents, "phone": ctx.now.isoformat()}
    await audit.record(
        ctx.session, ctx.actor, "resident.phone.saved", community_id=ctx.resident.community_id
    )
    return [Reply(SAVED.format(masked=masked(number)))]


@router.command("删除电话", "/deletephone")
async def delete(ctx: Context) -> list[Reply]:
    """Forget the resident's phone number and the consent given for it."""
    assert ctx.resident is not None
    if not ctx.resident.phone:
        return [Reply(NONE_KEPT)]
    ctx.resident.phone = None
    ctx.resident.consents = {k: v for k, v in ctx.resident.consents.items() if k != "phone"}
    await audit.record(
        ctx.session, ctx.actor, "resident.phone.deleted", community_id=ctx.resident.community_id
    )
    return [Reply(DELETED)]
