"""Charts as a reader sees them, in headless Chromium: the showcase view's four hard cases.

Read from the drawn Chart.js objects and the screenshot's pixels: a log axis
with data spanning less than a decade still has tick labels; 22 clusters get
19 distinct colours plus one merged entry that names the rest; a bar chart
with declared categories names its bars; the selected model of a one-model
Pareto front is drawn on top of the front's point, larger, on the plot border.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.service.test_dashboard_browser import artifacts, browser  # noqa: F401
from tests.service.test_dashboard_layout import Site, context, site  # noqa: F401

pytestmark = pytest.mark.browser


def _chart(page, chart_id: str, expression: str):
    """Evaluate ``expression`` with ``chart`` bound to the Chart.js object of ``#chart-ID``."""
    page.wait_for_selector(f"#chart-{chart_id} canvas[data-drawn='1']")
    return page.evaluate(f"""() => {{
        const chart = Chart.getChart(document.querySelector('#chart-{chart_id} canvas'));
        return {expression};
    }}""")


def _rgb(png: bytes, x: int, y: int) -> tuple[int, int, int]:
    from PIL import Image

    return Image.open(io.BytesIO(png)).convert("RGB").getpixel((x, y))


def _near(colour: tuple[int, int, int], hex_colour: str, tolerance: int = 40) -> bool:
    target = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return all(abs(a - b) <= tolerance for a, b in zip(colour, target, strict=True))


def _showcase(site: Site, context):  # noqa: F811
    page = context(1400)
    page.goto(f"{site.url}/jobs/{site.showcase}")
    return page


def test_a_log_axis_spanning_less_than_a_decade_has_tick_labels(site: Site, context) -> None:  # noqa: F811
    page = _showcase(site, context)
    labels = _chart(page, "narrow-log", "chart.scales.y.ticks.map(t => t.label).filter(l => l)")
    assert len(labels) >= 3 and all(float(label) for label in labels), labels
    assert _chart(page, "narrow-log", "chart.scales.y.type") == "logarithmic"
    assert page.js_errors == []


def test_up_to_20_distinct_colours_then_a_merged_entry(site: Site, context) -> None:  # noqa: F811
    page = _showcase(site, context)
    sets = _chart(page, "many-clusters",
                  "chart.data.datasets.map(d => [d.label, d.backgroundColor, d.data.length])")
    coloured = [s for s in sets if s[0].startswith("cluster ")]
    assert len(coloured) == 19 and len({s[1] for s in coloured}) == 19
    merged = [s for s in sets if "more series in one colour" in s[0]]
    assert len(merged) == 1 and merged[0][0].startswith("3 more") and merged[0][2] == 15
    assert "cluster 20, cluster 21, cluster 22" in merged[0][0]
    assert merged[0][1] not in {s[1] for s in coloured}
    note = page.locator("#chart-many-clusters .chart-merged").inner_text()
    assert "cluster 20, cluster 21, cluster 22" in note
    legend = _chart(page, "many-clusters",
                    "chart.legend.legendItems.map(i => i.text)")
    assert legend[0] == "cluster 1" and legend[-1] == "other clusters and noise"  # as declared
    assert page.js_errors == []


def test_bars_are_named_by_the_declared_categories(site: Site, context) -> None:  # noqa: F811
    page = _showcase(site, context)
    ticks = _chart(page, "named-bars", "chart.scales.x.ticks.map(t => t.label)")
    assert ticks == ["pi", "e", "zeta(3)", "log(2)", "catalan", "sqrt(2)", "euler_gamma", "pi**2",
                     "exp(2)"]
    assert page.js_errors == []


def test_the_selected_model_is_drawn_on_top(site: Site, context, artifacts: Path) -> None:  # noqa: F811
    """On top of the front's point at the same place, larger, not clipped at the border."""
    page = _showcase(site, context)
    page.locator("#chart-pareto").scroll_into_view_if_needed()
    where = _chart(page, "pareto", """(() => {
        const box = chart.canvas.getBoundingClientRect();
        const front = chart.getDatasetMeta(0).data[0], chosen = chart.getDatasetMeta(1).data[0];
        return {x: box.left + chosen.x, y: box.top + chosen.y, left: chart.chartArea.left + box.left,
                same: Math.abs(front.x - chosen.x) < 0.5 && Math.abs(front.y - chosen.y) < 0.5,
                radii: [front.options.radius, chosen.options.radius],
                colour: chart.data.datasets[1].backgroundColor};
    })()""")
    assert where["same"] and where["radii"][1] > where["radii"][0]
    shot = page.screenshot()
    x, y = round(where["x"]), round(where["y"])
    assert _near(_rgb(shot, x, y), where["colour"]), "the selected marker is hidden"
    left = [_rgb(shot, x - dx, y) for dx in range(2, 7)]
    assert x - 6 < where["left"] and any(not _near(c, "#ffffff", 30) for c in left), \
        "the marker is clipped at the plot border"
    page.screenshot(path=str(artifacts / "charts-1400.png"), full_page=True)
    assert page.js_errors == []
