"""Texts the dispatcher itself says (each feature keeps its own texts beside its code)."""

from __future__ import annotations

PRIVACY_NOTICE = (
    "【隐私说明】邻里会保存您的称呼和发来的消息,只用于社区处理和回复您。\n"
    "想删除您的信息,随时发“删除我的信息”。"
)
SORRY = "抱歉,系统出了点小问题,您的消息没有处理成功。请稍后再发一次,或发送“转人工”。"
LEFT = "好的,已返回。有事随时发消息给我。"
NOTHING_PENDING = "好的。您可以直接说您的建议,或发送“帮助”看看我能做什么。"
CHOOSE_IN_RANGE = "请回复 1 到 {n} 之间的数字,或发送 0 返回。"
NOTHING_TO_CHOOSE = "现在没有需要选择的问题。直接说您的建议,或发送“帮助”。"
BUTTON_EXPIRED = "这个选项已经过期了。请重新发送您的请求,或发送“帮助”。"
STAFF_ONLY = "这个命令只有社区工作人员可以用。发送“帮助”看看您可以做什么。"
UNKNOWN_COMMAND = "没有这个命令。发送 /help 或“帮助”看看可以做什么。"
EMPTY_MESSAGE = "请用文字告诉我您的建议或问题,例如:“楼道灯坏了”。"
NOT_UNDERSTOOD = "我没看懂这条消息😊 请用文字说说您的建议或问题,例如:“小区停车位不够”。"
NOT_AVAILABLE = (
    "{what}功能本社区还没有开通。\n您可以发送“转人工”联系工作人员,或直接告诉我您的建议。"
)
PICK_COMMUNITY = "您负责多个社区,请先用 /community 选择社区。"

# A pending question and an answer that does not fit it.
STILL_ASKING = "没看明白这个回答。{need};发 0 返回。"
REPLY_ONE_OF = "请回复 1 {a} 或 2 {b}"
REPLY_NUMBER = "请回复数字 1 到 {n}({listed})"
ANSWER_FIRST = "请先回答上面的问题"
QUESTION_SET_ASIDE = "(刚才的问题先放一放。)"


def snippet(text: str, limit: int = 40) -> str:
    """Return the first ``limit`` characters of a text on one line."""
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[:limit] + "…"


def yuan(cents: int) -> str:
    """Return an amount in yuan as residents write it (8 元, 7.5 元)."""
    return f"{cents / 100:g} 元"
