r"""Text shown in a terminal: residents' words must not drive it.

A message holding ``\x1b]0;…\x07`` or ``\x1b[2J`` would retitle or clear the staff member's
terminal if printed as it is. Control characters (and the bidirectional overrides that reorder
what is read) are shown as visible escapes instead; line breaks and tabs stay.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    r"""Return ``text`` with control characters written as escapes (\x1b, \u202e)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def write(data: str, out: TextIO | None = None) -> None:
    """Write data to a stream, made visible if the stream is a terminal (files keep bytes)."""
    out = out or sys.stdout
    out.write(visible(data) if out.isatty() else data)
