"""A typed yes or no, in the words residents use, for questions asked with two buttons."""

from __future__ import annotations

import re

YES = {"确认", "是", "是的", "好", "好的", "对", "对的", "确定", "可以", "嗯", "行", "要", "没错"}
YES |= {"没问题", "ok", "好啊", "嗯嗯", "要的", "就这样"}
NO = {"取消", "不要", "不", "不用", "不用了", "算了", "不要了", "不对", "不是"}


def typed_answer(
    text: str, prefix: str, yes: frozenset[str] = frozenset(), no: frozenset[str] = frozenset()
) -> str | None:
    """Map a typed yes or no (好的, 确定, 算了…) to ``prefix:yes`` / ``prefix:no``.

    ``yes`` and ``no`` add words that answer this one question (确认订餐, 不同意).
    """
    said = re.sub(r"[\s。.!!,,~～]+", "", text).lower()
    if said in YES or said in yes:
        return f"{prefix}:yes"
    return f"{prefix}:no" if said in NO or said in no else None
