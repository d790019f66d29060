"""Draw a results chart (handlers.charts.Chart) as a PNG picture with matplotlib.

matplotlib is imported inside ``draw`` only: it takes about half a second and most runs of linli
never draw. Each picture is its own ``Figure`` on an Agg canvas (no pyplot, no global rcParams),
so pictures can be drawn in several threads at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from handlers.charts import Chart

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

# Part of the file name: bump it when the layout changes, so old pictures are not reused.
LAYOUT = 1
WIDTH, DPI = 7.2, 150  # 1080 px: Telegram shows pictures about 1000 px wide
LEFT, RIGHT = 0.34, 0.03  # label column and right margin, as parts of the width
EMPTY = "暂无回答"
KEEP_DAYS = 7
INK = "#1a1a1a"
_FONT_FILE = "NotoSansCJKsc-Regular.otf"  # shipped by mplfonts (SIL OFL)


@functools.cache
def _font_family() -> str:
    """Register mplfonts' Noto Sans CJK SC with matplotlib (once); return its family name."""
    import mplfonts  # only for its font file: use_font/init would write into matplotlib's files
    from matplotlib import font_manager

    path = str(Path(mplfonts.__file__).parent / "fonts" / _FONT_FILE)
    font_manager.fontManager.addfont(path)  # in memory only; a second call on a race is harmless
    return font_manager.FontProperties(fname=path).get_name()


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Split text into lines of at most width units (a CJK character is 2), ending in "…"."""
    lines, line = [], ""
    # Latin words and numbers stay whole unless they are longer than a line.
    for token in re.findall(r"[A-Za-z0-9.,%'-]+|\s+|.", " ".join(text.split())):
        for piece in [token] if _width(token) <= width else list(token):
            if _width(line + piece) > width and line.strip():
                lines.append(line.rstrip())
                line = ""
            if line or not piece.isspace():
                line += piece
    lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1].rstrip() + "…"
    return lines


def _file_name(chart: Chart, family: str) -> str:
    content = json.dumps([LAYOUT, family, dataclasses.asdict(chart)], ensure_ascii=False)
    return f"chart-{hashlib.sha256(content.encode()).hexdigest()[:20]}.png"


def draw(chart: Chart, directory: Path) -> Path:
    """Draw the chart as a PNG in directory (reusing one of the same content); return its path."""
    family = _font_family()
    path = Path(directory) / _file_name(chart, family)
    if path.exists():
        return path
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = _figure(chart, family)
    FigureCanvasAgg(fig)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a concurrent reader never sees half a picture.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".chart-", suffix=".png.tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            fig.savefig(out, format="png", dpi=DPI)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _prune(path.parent)
    return path


def _prune(directory: Path) -> None:
    """Delete charts older than KEEP_DAYS: each new tally of a live poll draws a new one.

    Anything sent with one (an announcement's delivery rows) is sent long before that.
    """
    cutoff = time.time() - KEEP_DAYS * 86400
    for old in directory.glob("chart-*.png"):
        with contextlib.suppress(OSError):  # another process pruned it first
            if old.stat().st_mtime < cutoff:
                old.unlink()


def _figure(chart: Chart, family: str) -> Figure:
    from matplotlib import patheffects
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = functools.partial(FontProperties, family=family)
    texts: list[tuple[float, str, float, str, bool]] = []  # top (inches), text, size, colour, bold
    panels: list[tuple[float, list[str]]] = []  # top (inches) and wrapped bar labels
    y = 0.3

    def lines(text: str, width: int, size: float, colour: str, bold: bool = False) -> None:
        nonlocal y
        for line in _wrap(text, width, 3):
            texts.append((y, line, size, colour, bold))
            y += size * 1.45 / 72

    lines(chart.title, 46, 19, INK, bold=True)
    if chart.subtitle:
        lines(chart.subtitle, 66, 12, "#555555")
    for panel in chart.panels:
        y += 0.22
        lines(panel.title, 54, 14, INK, bold=True)
        if panel.caption:
            lines(panel.caption, 64, 11.5, "#666666")
        panels.append((y + 0.05, ["\n".join(_wrap(bar.label, 22, 2)) for bar in panel.bars]))
        y += 0.05 + _height(panels[-1][1]) + 0.15
    total = y + 0.05

    fig = Figure(figsize=(WIDTH, total), dpi=DPI, facecolor="white")
    for top, text, size, colour, bold in texts:
        # mplfonts ships the regular weight only: a thin outline of the same colour makes it bold.
        stroke = [patheffects.withStroke(linewidth=0.6, foreground=colour)] if bold else None
        fig.text(0.04, 1 - top / total, text, font=font(size=size), color=colour, va="top",
                 path_effects=stroke)  # fmt: skip
    for panel, (top, labels) in zip(chart.panels, panels, strict=True):
        height = _height(labels)
        rect = (LEFT, 1 - (top + height) / total, 1 - LEFT - RIGHT, height / total)
        ax = fig.add_axes(rect, frame_on=False, xticks=[], yticks=[])
        if not panel.bars:
            ax.text(0, 0.5, EMPTY, font=font(size=12), color="#888888", va="center")
            continue
        # Rows as tall as their labels' lines, so two-line labels do not touch each other.
        rows = [1 + 0.73 * label.count("\n") for label in labels]
        centres = [sum(rows[:i]) + row / 2 for i, row in enumerate(rows)]
        values = [max(bar.value, 0) for bar in panel.bars]
        ax.barh(centres, values, height=0.62, color="#4c78a8")
        ax.set_ylim(sum(rows) + 0.15, -0.15)  # first option at the top
        ax.set_yticks(centres, labels, font=font(size=12.5), color=INK)
        ax.tick_params(axis="y", length=0, pad=8)
        # Room right of the longest bar for the longest note (a unit is about 0.55 em).
        note_inches = (max(_width(bar.note) for bar in panel.bars) + 1) * 0.55 * 11.5 / 72
        note_share = min(note_inches / (WIDTH * (1 - LEFT - RIGHT)), 0.6)
        ax.set_xlim(0, (max(values) or 1) / (1 - note_share))
        for centre, value, bar in zip(centres, values, panel.bars, strict=True):
            ax.annotate(bar.note, (value, centre), xytext=(5, 0), textcoords="offset points",
                        va="center", font=font(size=11.5), color="#333333")  # fmt: skip
    return fig


def _height(labels: list[str]) -> float:
    """Return the inches a panel's bars take (room for one line when there are none)."""
    return sum(0.3 + 0.22 * label.count("\n") for label in labels) + 0.1 if labels else 0.35


async def draw_async(chart: Chart, directory: Path) -> str | None:
    """Draw the chart in a worker thread; return the picture's path, or None if it failed."""
    try:
        return str(await asyncio.to_thread(draw, chart, directory))
    except Exception:
        # The text answer goes out anyway; a missing picture must never break it.
        log.warning("could not draw chart %r", chart.title, exc_info=True)
        return None
