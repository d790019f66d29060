"""bot.files.charts: results charts drawn as PNG pictures, with Chinese text in a real CJK font."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from bot.files import charts
from handlers.charts import Bar, Chart, Panel
from tests.support import ROOT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _bars(*counts: tuple[str, int]) -> tuple[Bar, ...]:
    total = sum(n for _, n in counts) or 1
    return tuple(Bar(label, n, f"{n} 人({n * 100 // total}%)") for label, n in counts)


CHART = Chart(
    title="二楼空间使用意见征集",
    subtitle="3月1日—3月15日,共 40 人作答",
    panels=(
        Panel(
            "二楼做什么?",
            _bars(("老年食堂", 18), ("儿童托管", 12), ("健身房", 7), ("其他", 3)),
            "单选,共 40 人作答",
        ),
        Panel(
            "您对社区食堂满意吗?",
            _bars(("1分", 2), ("2分", 0), ("3分", 6), ("4分", 15), ("5分", 12)),
            "平均 4.0 分,35 人评分",
        ),
        Panel("还有什么建议?", ()),
    ),
)


def draw_strictly(chart: Chart, directory: Path) -> Path:
    """Draw with every warning (e.g. matplotlib's "Glyph … missing from font") an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return charts.draw(chart, directory)


def test_draws_a_png_with_chinese_text(tmp_path: Path) -> None:
    path = draw_strictly(CHART, tmp_path / "charts")  # the directory does not exist yet
    assert path.parent == tmp_path / "charts"
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        width, height = image.size
    assert width == 1080
    assert 600 < height < 3000
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_the_picture_grows_with_panels_and_bars(tmp_path: Path) -> None:
    one = Chart("标题", "", CHART.panels[:1])
    sizes = []
    for chart in (one, CHART):
        with Image.open(draw_strictly(chart, tmp_path)) as image:
            sizes.append(image.size)
    assert sizes[0][0] == sizes[1][0] == 1080
    assert sizes[1][1] > sizes[0][1] + 300


def test_the_same_chart_reuses_its_file(tmp_path: Path) -> None:
    first = draw_strictly(CHART, tmp_path)
    written = first.stat().st_mtime_ns
    assert draw_strictly(CHART, tmp_path) == first
    assert first.stat().st_mtime_ns == written  # not drawn again
    changed = Chart(CHART.title, "3月1日—3月16日,共 41 人作答", CHART.panels)
    assert draw_strictly(changed, tmp_path) != first


def test_a_latin_only_font_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Proves draw_strictly would fail on tofu: DejaVu Sans has no Chinese glyphs.
    monkeypatch.setattr(charts, "_font_family", lambda: "DejaVu Sans")
    with pytest.raises(UserWarning, match=r"Glyph \d+ .* missing from font"):
        draw_strictly(CHART, tmp_path)


def test_the_cjk_font_comes_from_mplfonts() -> None:
    assert charts._font_family() == "Noto Sans CJK SC"


def test_long_text_is_wrapped_and_shortened() -> None:
    assert charts._wrap("健身房", 22, 2) == ["健身房"]
    lines = charts._wrap("上门送餐(行动不便的老人优先,需要提前一天预约)", 22, 2)
    assert len(lines) == 2
    assert lines[-1].endswith("…")
    assert all(charts._width(line) <= 22 for line in lines)
    # Latin words are not cut in the middle when they fit on a line.
    assert charts._wrap("Wi-Fi and a reading corner", 12, 3) == ["Wi-Fi and a", "reading", "corner"]


def test_charts_can_be_drawn_in_several_threads(tmp_path: Path) -> None:
    variants = [Chart(f"问卷 {i}", "并发", CHART.panels) for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        paths = list(pool.map(lambda chart: charts.draw(chart, tmp_path), variants))
    assert len(set(paths)) == 4
    assert all(path.read_bytes()[:8] == PNG_SIGNATURE for path in paths)


def test_importing_charts_does_not_import_matplotlib() -> None:
    code = "import sys, bot.files.charts; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


async def test_draw_async_returns_the_path(tmp_path: Path) -> None:
    path = await charts.draw_async(CHART, tmp_path)
    assert path is not None
    assert (await asyncio.to_thread(Path(path).read_bytes))[:8] == PNG_SIGNATURE


async def test_draw_async_gives_none_when_it_cannot_write(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    with caplog.at_level(logging.WARNING, logger="bot.files.charts"):
        assert await charts.draw_async(CHART, not_a_directory / "charts") is None
    assert "could not draw chart" in caplog.text


def test_old_charts_are_pruned_when_a_new_one_is_drawn(tmp_path: Path) -> None:
    import os
    import time

    from bot.files.charts import KEEP_DAYS, draw

    old = tmp_path / "chart-old.png"
    old.write_bytes(b"\x89PNG")
    week_ago = time.time() - (KEEP_DAYS + 1) * 86400
    os.utime(old, (week_ago, week_ago))
    recent = tmp_path / "chart-recent.png"
    recent.write_bytes(b"\x89PNG")
    draw(Chart("标题", "", (Panel("问题", (Bar("甲", 1, "1 人"),)),)), tmp_path)
    assert not old.exists() and recent.exists()
