"""What a results chart shows, as data: handlers describe it, bot.files.charts draws it.

Handlers stay free of drawing (and of matplotlib's start-up time); the picture is made where
the bot is wired, through ``Settings.draw_chart``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One bar: an option and its count (or a rating and how many gave it)."""

    label: str
    value: float
    # Written beside the bar, e.g. "12 人(40%)".
    note: str = ""


@dataclass(frozen=True)
class Panel:
    """One question's bars, under its text."""

    title: str
    bars: tuple[Bar, ...]
    # A line under the title, e.g. "平均 4.2 分,35 人评分" or "可多选,共 40 人作答".
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    """A whole picture: a title, a line under it, and one panel per question with bars."""

    title: str
    subtitle: str
    panels: tuple[Panel, ...]


# Draws a chart and returns the picture's path (None where no picture can be made).
DrawChart = Callable[[Chart], Awaitable[str | None]]
