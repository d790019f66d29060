"""Greetings, thanks, acknowledgements and goodbyes: words to answer kindly, never to file.

``谢谢``, ``好的知道了``, ``辛苦了``, ``你好``, ``在吗`` and their combinations (``好的 谢谢你们``)
are chit-chat when nothing else is said. Thanks that tell what was done (``谢谢你们把路灯修好
了``) are thanks too, unless they also ask for something (``谢谢 但是灯又坏了``). Pure.
"""

from __future__ import annotations

import re

from nlp.tokenizer import normalize

# Kind → phrases. Longest phrases are tried first.
PHRASES: dict[str, tuple[str, ...]] = {
    "thanks": (
        "谢谢", "多谢", "感谢", "谢啦", "谢了", "谢谢啦", "太感谢了", "非常感谢", "十分感谢",
        "辛苦了", "辛苦", "辛苦啦", "麻烦了", "麻烦你了", "麻烦您了", "费心了", "有劳了", "感恩",
        "谢谢你", "谢谢您", "谢谢你们", "谢谢大家", "多谢多谢", "谢谢谢谢", "3q", "thanks",
        "thank you", "你们真好", "你真好", "太好了", "真棒", "太棒了", "点赞", "好样的", "给力",
    ),
    "bye": ("再见", "拜拜", "回头见", "晚安", "明天见", "下次聊", "先这样", "不聊了", "bye"),
    "greeting": (
        "你好", "您好", "你们好", "大家好", "在吗", "在不在", "在么", "有人吗", "早", "早上好",
        "早安", "上午好", "中午好", "下午好", "晚上好", "喂", "哈喽", "嗨", "hello", "hi", "小助手",
        "邻里", "新年好", "过年好", "节日快乐", "新年快乐",
    ),
    "ack": (
        "好的", "好", "好吧", "好嘞", "好滴", "好哒", "行", "行吧", "可以", "嗯", "嗯嗯", "哦",
        "噢", "哦哦", "喔", "知道了", "晓得了", "明白", "明白了", "了解", "了解了", "收到",
        "收到了",
        "ok", "okay", "懂了", "没事", "没事了", "没问题", "是的", "对", "对的", "哈哈", "呵呵",
        "嘿嘿", "👍", "👌", "🙏", "😊", "🌹", "💐", "👏", "❤️", "❤", "👍🏻",
    ),
}  # fmt: skip
# Words around chit-chat that change nothing: 谢谢你啊, 好的呀, 辛苦你们了.
FILLER = (
    "啊",
    "呀",
    "啦",
    "哈",
    "的",
    "了",
    "呢",
    "哦",
    "吧",
    "嘛",
    "哟",
    "你",
    "您",
    "你们",
    "大家",
)
# Kinds in the order a mixed message is answered by (好的 谢谢 → thanks).
PRIORITY = ("thanks", "bye", "greeting", "ack")
_SEPARATORS = re.compile(r"[\s,，。.!！?？~～、…]+")
# Thanks that go on to ask or complain are not only thanks.
_BUT = re.compile(
    r"但是|可是|不过|就是|能不能|可不可以|希望|建议|怎么|为什么|还是|又|再|坏|没修|没人|问一下|请问|"
    r"麻烦.{0,4}(?:看|来|修|处理)|帮我|帮忙"
)
_THANKS_START = re.compile(r"^(?:谢谢|感谢|多谢|非常感谢|太感谢)")

_ORDERED = sorted(
    ((phrase, kind) for kind, phrases in PHRASES.items() for phrase in phrases),
    key=lambda item: len(item[0]),
    reverse=True,
)


def kind_of(text: str) -> str | None:
    """Return thanks, bye, greeting or ack when the message is only chit-chat, else None."""
    said = normalize(text)
    if not said:
        return None
    kinds = _cover(_SEPARATORS.sub("", said))
    if kinds:
        return next(k for k in PRIORITY if k in kinds)
    if _THANKS_START.match(said) and not _BUT.search(said) and len(said) <= 40:
        return "thanks"
    return None


def _cover(said: str) -> set[str] | None:
    """Return the kinds of chit-chat that cover the whole text, or None if something is left."""
    kinds: set[str] = set()
    i = 0
    while i < len(said):
        for phrase, kind in _ORDERED:
            if said.startswith(phrase, i):
                kinds.add(kind)
                i += len(phrase)
                break
        else:
            filler = next((f for f in FILLER if said.startswith(f, i)), None)
            if filler is None or not kinds:
                return None
            i += len(filler)
    return kinds or None
