"""A typed yes or no, in the words residents use, for questions asked with two choices."""

from __future__ import annotations

import re

YES = {"确认", "是", "是的", "好", "好的", "对", "对的", "确定", "可以", "嗯", "行", "要", "没错"}
YES |= {"没问题", "ok", "好啊", "嗯嗯", "要的", "就这样", "好嘞", "中", "成", "当然", "同意"}
YES |= {"对对", "是是", "好好", "行行", "可以可以", "没毛病", "确认的", "那好", "那行", "好吧"}
YES |= {"嗯好", "嗯嗯好", "好的好的", "是的是的", "对对对", "要要", "订吧", "就要这个", "yes", "y"}
NO = {"取消", "不要", "不", "不用", "不用了", "算了", "不要了", "不对", "不是", "不行", "别"}
NO |= {"不了", "不必", "不必了", "不需要", "不想", "不订", "先不", "先不了", "先不用", "no", "n"}
NO |= {"不同意", "拉倒", "算啦", "还是算了", "不干", "不弄了", "不要不要", "不用不用"}

# Filler around a yes or no that changes nothing: 好的呀, 可以的, 嗯嗯, 行吧…
_AROUND = re.compile(r"^(?:那|那就|嗯|哦|噢|呃)?(.+?)(?:的|吧|啊|呀|哈|哦|喔|嘛|啦|呢|了)*$")
_PUNCT = re.compile(r"[\s。.!!,,~～、?？…]+")
# Labels of a yes-like and a no-like choice (确认, 确定取消, 报名 / 取消, 不删除, 算了).
_YES_LABEL = re.compile(
    r"^(?:确认|确定|是|好|要|可以|同意|对|立即|马上|开始|继续|保存|发布|报名|排队)"
)
_NO_LABEL = re.compile(r"^(?:不|取消|算了|否|放弃|先不|暂不|别|返回)")


def said(text: str) -> str:
    """Return a short answer without punctuation and filler, folded to lower case."""
    bare = _PUNCT.sub("", text).lower()
    match = _AROUND.match(bare)
    return match.group(1) if match else bare


def typed_answer(
    text: str, prefix: str, yes: frozenset[str] = frozenset(), no: frozenset[str] = frozenset()
) -> str | None:
    """Map a typed yes or no (好的, 确定, 可以的, 算了, 不用了) to ``prefix:yes`` / ``prefix:no``.

    ``yes`` and ``no`` add words that answer this one question (确认订餐, 不同意).
    """
    bare = _PUNCT.sub("", text).lower()
    for form in (bare, said(text)):
        if form in yes or (form in YES and form not in no):
            return f"{prefix}:yes"
        if form in no or form in NO:
            return f"{prefix}:no"
    return None


def polarity(label: str, data: str = "") -> bool | None:
    """Tell whether a choice is the yes-like (True) or the no-like (False) one, if either."""
    if data.endswith(":yes"):
        return True
    if data.endswith(":no"):
        return False
    if _NO_LABEL.match(label):
        return False
    if _YES_LABEL.match(label):
        return True
    return None
