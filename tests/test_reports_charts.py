"""The SVG chart module: well-formed markup, escaped labels, geometry that follows the data."""

import itertools
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tierplan.reports.charts import (
    bar_chart,
    html_page,
    line_chart,
    money,
    nice_ticks,
    number,
    stacked_bar_chart,
)

NASTY = "<script>alert(1)</script>"
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on malformed markup or an unescaped '<' / '&'


def bar_widths(root: ET.Element) -> list[float]:
    return [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]


def test_bar_chart_escapes_and_scales():
    svg = bar_chart([("a & b", 100.0), (NASTY, 50.0)], title="Cost <by> site")
    root = parse(svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a &amp; b" in svg
    widths = bar_widths(root)
    assert widths[0] == pytest.approx(2 * widths[1], rel=1e-3)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "$100.00" in texts and "$50.00" in texts


def test_bar_chart_markers_flag_overruns():
    svg = bar_chart([("vision", 120.0), ("edge", 50.0)], markers={"vision": 100.0, "edge": 200.0})
    root = parse(svg)
    assert svg.count("<line") == 2
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert "#D55E00" in fills  # over its limit: warning colour
    assert "$120.00 / limit $100.00" in svg


def test_stacked_bar_chart_segments_add_up():
    svg = stacked_bar_chart(["cloud", "edge"], {"compute": [300.0, 10.0], "transfer": [100.0, 0.0]})
    root = parse(svg)
    bars = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(bars) == 3  # the zero segment is not drawn
    assert bars[0] == pytest.approx(3 * bars[1], rel=1e-3)
    assert "$400.00" in svg and "$10.00" in svg
    with pytest.raises(ValueError):
        stacked_bar_chart(["a"], {"x": [1.0, 2.0]})


def test_line_chart_series_legend_gaps_and_reference_lines():
    series = {"demand": [(0, 1.0), (1, 3.0), (2, None), (3, 2.0)], "cap & <cap>": [(0, 2.0), (3, 4.0)]}
    svg = line_chart(series, title="Demand", x_label="hour", y_label="rps", hlines=[("SLO", 3.5)])
    root = parse(svg)
    paths = [p.get("d", "") for p in root.iter(f"{SVG}path")]
    assert len(paths) == 3  # the None breaks "demand" into two runs
    legend = [t.get("data-series") for t in root.iter(f"{SVG}text") if t.get("data-series")]
    assert legend == ["demand", "cap & <cap>", "SLO"]
    assert any(line.get("stroke-dasharray") for line in root.iter(f"{SVG}line"))
    # y grows upwards: the point with the larger value is drawn higher (smaller y)
    first = [float(v) for v in re.findall(r"[-\d.]+", paths[0])]
    assert first[3] < first[1]


def test_step_line_chart_and_empty_input():
    svg = line_chart({"instances": [(0, 1.0), (5, 3.0)]}, step=True)
    assert re.search(r"H[\d.]+ V[\d.]+", svg)
    parse(line_chart({}, title="nothing"))
    parse(bar_chart([]))


def test_nice_ticks_cover_the_range():
    ticks = nice_ticks(0, 5863.43)
    assert ticks[0] == 0 and ticks[-1] >= 5863.43 and len(ticks) <= 8
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    assert nice_ticks(2, 2) and math.isfinite(nice_ticks(-3, 7)[0])


def test_formats():
    assert money(1234.5) == "$1,234.50" and money(-3) == "-$3.00"
    assert number(950) == "950" and number(1200) == "1.2k" and number(3.4e6) == "3.4M"


def test_html_page_is_self_contained():
    page = html_page("Plan <x>", "<p>hi</p>")
    assert page.startswith("<!DOCTYPE html>") and "<title>Plan &lt;x&gt;</title>" in page
    assert not re.search(r"<script|<link|@import|src=|https?://(?!www\.w3\.org/2000/svg)", page)


@pytest.mark.parametrize(("lo", "hi"), [
    (99.99999999999999, 100.0), (100.0, 100.0), (1e300, 1e300 * (1 + 1e-15)), (-1e-320, 0.0), (0.0, 0.0)])
def test_nice_ticks_of_a_range_below_float_resolution(lo: float, hi: float) -> None:
    # issue 26 item 7: SLO attainment of 100 % up to rounding gave [] and an IndexError
    ticks = nice_ticks(lo, hi)
    assert ticks and ticks[0] <= lo and ticks[-1] >= hi
    svg = line_chart({"slo": [(0.0, lo), (1.0, hi)]}, y_min=None, y_max=hi)
    parse(svg)


def test_simulate_writes_a_report_when_every_step_is_in_the_slo(tmp_path: Path) -> None:

    import yaml

    from tierplan.simulations import load_simulation, run_simulation
    from tierplan.simulations.output import write_results

    example = Path(__file__).resolve().parent.parent / "examples" / "simulations" / "region-outage.yaml"
    data = yaml.safe_load(example.read_text())
    data.update(duration="2h", step="5m", policies=[{"kind": "static"}],
                scenario=str((example.parent / data["scenario"]).resolve()))
    path = tmp_path / "sim.yaml"
    path.write_text(yaml.safe_dump(data))
    result = run_simulation(load_simulation(path))
    written = write_results(result, tmp_path / "out")
    assert (tmp_path / "out" / "report.html").is_file() and any("report.html" in w for w in written)
