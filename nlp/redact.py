"""Take a person's identifying details out of text: phone numbers, door numbers, names.

Used when a resident deletes their data: what they wrote stays (a suggestion still counts),
but not who they are or where they live. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PHONE_MARK = "[电话已删除]"
DOOR_MARK = "[门牌已删除]"
NAME_MARK = "居民"
ID_MARK = "[账号已删除]"

# Mobile (with +86, spaces, dashes) and landline numbers; Chinese digits said aloud.
_PHONE = re.compile(
    r"(?<![0-9])(?:\+?86[-\s]?)?1[3-9][0-9](?:[-\s]?[0-9]){8}(?![0-9])"
    r"|(?<![0-9])0[0-9]{2,3}[-\s]?[0-9]{7,8}(?![0-9])"
    r"|[零〇一二三四五六七八九幺]{7,}"
)
# 3栋2单元502, 3号楼502, 5幢1单元301室, 3-2-502, 五栋一单元三零二.
_N = r"[0-9零〇一二三四五六七八九十两]"
_DOOR = re.compile(
    rf"{_N}{{1,3}}\s*(?:栋|号楼|幢|座)\s*(?:{_N}{{1,2}}\s*单元)?\s*(?:{_N}{{1,5}}\s*(?:室|号|户)?)?"
    r"|(?<![0-9-])[0-9]{1,3}-[0-9]{1,2}-[0-9]{2,5}(?![0-9-])"
)


def redact(text: str, names: Iterable[str] = (), ids: Iterable[str] = ()) -> str:
    """Return ``text`` without phone and door numbers, the given names and account ids."""
    text = _PHONE.sub(PHONE_MARK, text)
    text = _DOOR.sub(DOOR_MARK, text)
    for name in sorted(set(filter(None, names)), key=len, reverse=True):
        if len(name) >= 2:  # a one-character name would take out that character everywhere
            text = text.replace(name, NAME_MARK)
    for account in sorted(set(filter(None, ids)), key=len, reverse=True):
        text = text.replace(account, ID_MARK)
    return text
