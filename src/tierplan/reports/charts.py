"""Small, dependency-free SVG charts and a self-contained HTML page shell.

Every function returns a string of markup that can be pasted into an HTML body; nothing
loads anything from the network (no scripts, no fonts, no stylesheets). Every label and
series name passes through :func:`html.escape`, so user-provided names are safe.

Public API (stable; the simulation report uses it too)::

    bar_chart(items, *, title="", value_format=money, markers=None, marker_label="limit",
              notes=None, width=720, full_labels=False) -> str
        Horizontal bars, one per ``(label, value)`` in ``items`` (drawn in the given order).
        ``markers`` maps a label to a reference value drawn as a dark tick across its bar
        (a budget limit, an SLO); a bar past its marker is drawn in the warning colour.
        ``notes`` maps a label to the text shown after its bar instead of the value.
        ``full_labels`` lets labels take up to 60 % of the width before they are cut.

    stacked_bar_chart(categories, series, *, title="", value_format=money, width=720) -> str
        One horizontal bar per category, split into segments: ``series`` maps a series
        name to one value per category (same order as ``categories``). Legend included.

    line_chart(series, *, title="", x_label="", y_label="", x_format=number,
               y_format=number, y_min=0.0, y_max=None, step=False, hlines=(),
               bands=(), width=720, height=300) -> str
        Several series against a common x axis, with axes, ticks, grid and a legend.
        ``series`` maps a name to a sequence of ``(x, y)`` points (x ascending); a point
        whose y is None or NaN breaks the line. ``step=True`` draws a staircase (values
        that hold until the next point: instance counts). ``hlines`` are dashed reference
        lines ``(label, y)`` such as an SLO target. ``bands`` are shaded spans of x
        ``(label, x0, x1)`` such as an outage (a line where x0 == x1). ``y_min=None``
        fits the lower end to the data instead of starting at 0.

    html_page(title, body_html) -> str
        A complete HTML5 document with inline CSS (print friendly). ``body_html`` is
        inserted as is: escape what you put into it (``html.escape``).

    money(v) -> "$1,234.56";  number(v) -> "1.2k" style short numbers;  PALETTE.

Geometry: charts are ``width`` user units wide and scale down with the page
(``viewBox`` + ``width: 100%``). Text width is estimated at 0.6 em per character since
SVG has no layout engine here; long labels are cut with an ellipsis and kept whole in a
``<title>`` tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

__all__ = [
    "PALETTE",
    "bar_chart",
    "html_page",
    "line_chart",
    "money",
    "nice_ticks",
    "number",
    "stacked_bar_chart",
]

#: Colour-blind safe categorical palette (Okabe-Ito, reordered for contrast on white).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000", "#7F7F7F", "#8C564B")
_WARN = "#D55E00"
_INK = "#1f2933"
_MUTED = "#616e7c"
_GRID = "#e4e7eb"
_FONT = 12  # px; character width estimated at 0.6 em
_CHAR = _FONT * 0.6

Format = Callable[[float], str]


def money(v: float) -> str:
    """``$1,234.56`` (negative: ``-$1,234.56``)."""
    return f"-${-v:,.2f}" if v < 0 else f"${v:,.2f}"


def number(v: float) -> str:
    """Short axis numbers: 950, 1.2k, 3.4M; up to 3 significant digits below 1000."""
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e3:
        return f"{v / 1e3:.3g}k"
    return f"{v:.3g}"


def _color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _fit(label: str, max_chars: int) -> str:
    return label if len(label) <= max_chars else label[: max(1, max_chars - 1)] + "…"


def _text(x: float, y: float, s: str, *, anchor: str = "start", fill: str = _INK,
          size: int = _FONT, weight: str = "normal", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}"{extra}>{escape(s)}</text>')


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
            f'style="max-width:100%;height:auto" font-family="system-ui, -apple-system, '
            f'Segoe UI, Roboto, Helvetica, Arial, sans-serif">')
    label = f"<title>{escape(title)}</title>" if title else ""
    return head + label + "".join(body) + "</svg>"


def _title(title: str, body: list[str]) -> float:
    """Draw the chart title; return the y where the plot may start."""
    if not title:
        return 8.0
    body.append(_text(0, 16, title, size=14, weight="600"))
    return 30.0


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (steps of 1, 2, 2.5 or 5 times a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0]
    # A range below float resolution at this magnitude (100 % up to rounding) cannot be
    # stepped through: widen it as if it were a single value.
    if hi - lo <= max(1e-9 * max(abs(lo), abs(hi)), 1e-300):
        hi = lo + (abs(lo) if abs(lo) > 1e-300 else 1.0)
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t < hi + step * 0.5:
        ticks.append(round(t, 12))
        if t >= hi:
            break
        t += step
    return ticks or [lo, hi]


def _label_width(labels: Sequence[str], lo: int = 60, hi: int = 220) -> tuple[float, int]:
    longest = max((len(s) for s in labels), default=0)
    px = min(hi, max(lo, longest * _CHAR + 12))
    return px, max(longest if longest * _CHAR + 12 <= px else int((px - 12) / _CHAR), 1)


def bar_chart(items: Sequence[tuple[str, float]], *, title: str = "", value_format: Format = money,
              markers: Mapping[str, float] | None = None, marker_label: str = "limit",
              notes: Mapping[str, str] | None = None, width: int = 720, full_labels: bool = False) -> str:
    """Horizontal bar chart; see the module docstring. Negative values are drawn as 0."""
    markers = markers or {}
    notes = notes or {}
    body: list[str] = []
    top = _title(title, body)
    row, bar_h = 26.0, 16.0
    label_w, max_chars = _label_width([s for s, _ in items], hi=max(220, int(width * (0.6 if full_labels
                                                                                   else 0.3))))
    value_w = max((len(notes.get(s) or value_format(v)) for s, v in items), default=4) * _CHAR + 10
    if markers and not notes:
        widest = max(len(value_format(m)) for m in markers.values())
        value_w += (len(marker_label) + 4 + widest) * _CHAR
    plot_w = max(120.0, width - label_w - value_w)
    scale_max = max([v for _, v in items] + list(markers.values()) + [0.0])
    scale = plot_w / scale_max if scale_max > 0 else 0.0
    for i, (label, value) in enumerate(items):
        y = top + i * row
        shown = max(0.0, value)
        limit = markers.get(label)
        over = limit is not None and value > limit
        fill = _WARN if over else _color(0)
        body.append(f'<g class="bar"><title>{escape(label)}: {escape(value_format(value))}'
                    + (f" ({escape(marker_label)} {escape(value_format(limit))})" if limit is not None
                       else "") + "</title>")
        body.append(_text(label_w - 8, y + bar_h - 3, _fit(label, max_chars), anchor="end"))
        if limit is not None:  # the track up to the limit, so "share used" reads at a glance
            body.append(f'<rect x="{label_w:.1f}" y="{y:.1f}" width="{limit * scale:.1f}" '
                        f'height="{bar_h}" fill="{_GRID}" rx="2"/>')
        body.append(f'<rect x="{label_w:.1f}" y="{y:.1f}" width="{max(shown * scale, 1.0):.1f}" '
                    f'height="{bar_h}" fill="{fill}" rx="2"/>')
        end = label_w + max(shown, limit or 0.0) * scale
        note = value_format(value)
        if limit is not None:
            body.append(f'<line x1="{label_w + limit * scale:.1f}" x2="{label_w + limit * scale:.1f}" '
                        f'y1="{y - 3:.1f}" y2="{y + bar_h + 3:.1f}" stroke="{_INK}" stroke-width="2"/>')
            note += f" / {marker_label} {value_format(limit)}"
        note = notes.get(label, note)
        body.append(_text(end + 6, y + bar_h - 3, note, fill=_WARN if over else _MUTED))
        body.append("</g>")
    height = top + max(1, len(items)) * row + 4
    if not items:
        body.append(_text(0, top + 14, "(nothing to show)", fill=_MUTED))
    return _svg(width, height, title, body)


def _legend(names: Sequence[str], y: float, width: float, body: list[str],
            dashed: Sequence[str] = ()) -> float:
    """Legend entries left to right, wrapping; return the y below the legend."""
    x = 0.0
    for i, name in enumerate(names):
        shown = _fit(name, 40)
        w = 22 + len(shown) * _CHAR + 16
        if x > 0 and x + w > width:
            x, y = 0.0, y + 18
        if name in dashed:
            body.append(f'<line x1="{x:.1f}" x2="{x + 14:.1f}" y1="{y - 4:.1f}" y2="{y - 4:.1f}" '
                        f'stroke="{_INK}" stroke-width="1.5" stroke-dasharray="4 3"/>')
        else:
            body.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="14" height="10" rx="2" '
                        f'fill="{_color(i)}"/>')
        body.append(_text(x + 20, y, shown, extra=f' data-series="{escape(name)}"'))
        x += w
    return y + 16


def stacked_bar_chart(categories: Sequence[str], series: Mapping[str, Sequence[float]], *,
                      title: str = "", value_format: Format = money, width: int = 720) -> str:
    """Horizontal stacked bars; see the module docstring. Negative parts count as 0."""
    names = list(series)
    for name, values in series.items():
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
    body: list[str] = []
    top = _title(title, body)
    top = _legend(names, top + 10, width, body) + 4
    row, bar_h = 26.0, 16.0
    totals = [sum(max(0.0, series[n][i]) for n in names) for i in range(len(categories))]
    label_w, max_chars = _label_width(categories)
    value_w = max((len(value_format(t)) for t in totals), default=4) * _CHAR + 10
    plot_w = max(120.0, width - label_w - value_w)
    scale = plot_w / max(totals) if totals and max(totals) > 0 else 0.0
    for i, cat in enumerate(categories):
        y = top + i * row
        body.append(_text(label_w - 8, y + bar_h - 3, _fit(cat, max_chars), anchor="end",
                          extra=""))
        x = label_w
        for j, name in enumerate(names):
            v = max(0.0, series[name][i])
            if v <= 0:
                continue
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{v * scale:.1f}" height="{bar_h}" '
                        f'fill="{_color(j)}"><title>{escape(cat)} · {escape(name)}: '
                        f'{escape(value_format(v))}</title></rect>')
            x += v * scale
        body.append(_text(x + 6, y + bar_h - 3, value_format(totals[i]), fill=_MUTED))
    height = top + max(1, len(categories)) * row + 4
    return _svg(width, height, title, body)


def line_chart(series: Mapping[str, Sequence[tuple[float, float | None]]], *, title: str = "",
               x_label: str = "", y_label: str = "", x_format: Format = number,
               y_format: Format = number, y_min: float | None = 0.0, y_max: float | None = None,
               step: bool = False, hlines: Sequence[tuple[str, float]] = (),
               bands: Sequence[tuple[str, float, float]] = (), width: int = 720, height: int = 300) -> str:
    """Multi-series line chart with axes and a legend; see the module docstring."""
    body: list[str] = []
    top = _title(title, body)
    names = list(series)
    top = _legend(names + [label for label, _ in hlines], top + 10, width, body,
                  dashed=[label for label, _ in hlines]) + 6
    xs = [x for pts in series.values() for x, _ in pts]
    ys = [y for pts in series.values() for _, y in pts if y is not None and math.isfinite(y)]
    ys += [y for _, y in hlines]
    if not xs or not ys:
        body.append(_text(0, top + 14, "(no data)", fill=_MUTED))
        return _svg(width, top + 24, title, body)
    x_lo, x_hi = min(xs), max(xs)
    lo = min(ys) if y_min is None else min(y_min, min(ys))
    hi = max(ys) if y_max is None else y_max
    y_ticks = nice_ticks(lo, hi)
    y_lo, y_hi = (min(y_ticks[0], lo), max(y_ticks[-1], hi)) if y_max is None else (y_ticks[0], y_max)
    x_ticks = [t for t in nice_ticks(x_lo, x_hi, 6) if x_lo - 1e-9 <= t <= x_hi + 1e-9] or [x_lo]
    left = max(len(y_format(t)) for t in y_ticks) * _CHAR + 14 + (16 if y_label else 0)
    bottom = height - 24 - (16 if x_label else 0)
    right = width - 12
    plot_top = top + 4
    if x_hi == x_lo:
        x_hi = x_lo + 1.0

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * (right - left)

    def py(y: float) -> float:
        return bottom - (y - y_lo) / ((y_hi - y_lo) or 1.0) * (bottom - plot_top)

    for t in y_ticks:
        if y_lo - 1e-9 <= t <= y_hi + 1e-9:
            body.append(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{py(t):.1f}" y2="{py(t):.1f}" '
                        f'stroke="{_GRID}"/>')
            body.append(_text(left - 6, py(t) + 4, y_format(t), anchor="end", fill=_MUTED, size=11))
    for t in x_ticks:
        body.append(f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{bottom:.1f}" y2="{bottom + 4:.1f}" '
                    f'stroke="{_MUTED}"/>')
        body.append(_text(px(t), bottom + 16, x_format(t), anchor="middle", fill=_MUTED, size=11))
    body.append(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{bottom:.1f}" y2="{bottom:.1f}" '
                f'stroke="{_MUTED}"/>')
    body.append(f'<line x1="{left:.1f}" x2="{left:.1f}" y1="{plot_top:.1f}" y2="{bottom:.1f}" '
                f'stroke="{_MUTED}"/>')
    if x_label:
        body.append(_text((left + right) / 2, height - 6, x_label, anchor="middle", fill=_MUTED))
    if y_label:
        cy = (plot_top + bottom) / 2
        body.append(_text(12, cy, y_label, anchor="middle", fill=_MUTED,
                          extra=f' transform="rotate(-90 12 {cy:.1f})"'))
    for label, x0, x1 in bands:
        a, b = px(max(x_lo, min(x_hi, x0))), px(max(x_lo, min(x_hi, x1)))
        tip = f"<title>{escape(label)}: {escape(x_format(x0))}" + (
            f" to {escape(x_format(x1))}" if x1 > x0 else "") + "</title>"
        if b - a >= 1:
            body.append(f'<rect class="band" x="{a:.1f}" y="{plot_top:.1f}" width="{b - a:.1f}" '
                        f'height="{bottom - plot_top:.1f}" fill="{_WARN}" fill-opacity="0.12">{tip}</rect>')
        else:
            body.append(f'<line class="band" x1="{a:.1f}" x2="{a:.1f}" y1="{plot_top:.1f}" y2="{bottom:.1f}" '
                        f'stroke="{_WARN}" stroke-width="1.5" stroke-dasharray="2 2">{tip}</line>')
        body.append(_text(a + 3, plot_top + 11, _fit(label, max(4, int((right - a) / _CHAR) - 1)),
                          fill=_WARN, size=11))
    for label, y in hlines:
        body.append(f'<line x1="{left:.1f}" x2="{right:.1f}" y1="{py(y):.1f}" y2="{py(y):.1f}" '
                    f'stroke="{_INK}" stroke-width="1.5" stroke-dasharray="4 3">'
                    f'<title>{escape(label)}: {escape(y_format(y))}</title></line>')
    for i, (name, pts) in enumerate(series.items()):
        for path in _segments(pts, px, py, step):
            body.append(f'<path d="{path}" fill="none" stroke="{_color(i)}" stroke-width="2" '
                        f'stroke-linejoin="round"><title>{escape(name)}</title></path>')
        if len(pts) <= 40:  # dots only when they stay readable
            for x, yv in pts:
                if yv is not None and math.isfinite(yv):
                    body.append(f'<circle cx="{px(x):.1f}" cy="{py(yv):.1f}" r="2.5" fill="{_color(i)}">'
                                f'<title>{escape(name)}: {escape(x_format(x))}, '
                                f'{escape(y_format(yv))}</title></circle>')
    return _svg(width, height, title, body)


def _segments(pts: Sequence[tuple[float, float | None]], px: Callable[[float], float],
              py: Callable[[float], float], step: bool) -> list[str]:
    """SVG path data, one string per unbroken run of finite points."""
    paths: list[str] = []
    cur: list[str] = []
    last_y: float | None = None
    for x, y in pts:
        if y is None or not math.isfinite(y):
            if cur:
                paths.append(" ".join(cur))
            cur, last_y = [], None
            continue
        if not cur:
            cur.append(f"M{px(x):.1f},{py(y):.1f}")
        elif step and last_y is not None:
            cur.append(f"H{px(x):.1f} V{py(y):.1f}")
        else:
            cur.append(f"L{px(x):.1f},{py(y):.1f}")
        last_y = y
    if cur:
        paths.append(" ".join(cur))
    return paths


_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f7fa; color: #1f2933;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 16px 0 8px; }
.sub { color: #616e7c; margin: 0 0 20px; }
section { background: #fff; border: 1px solid #e4e7eb; border-radius: 8px; padding: 18px 20px;
  margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(180px, 1fr)); gap: 12px;
  margin: 0 0 18px; }
.card { background: #fff; border: 1px solid #e4e7eb; border-radius: 8px; padding: 14px 16px; }
.card .k { color: #616e7c; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 22px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; }
.card .s { color: #616e7c; font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 10px; white-space: nowrap; border-bottom: 1px solid #e4e7eb;
  vertical-align: top; }
th { font-size: 12px; color: #616e7c; font-weight: 600; background: #f8fafc; }
td.n, th.n { text-align: right; }
td.wrap { white-space: normal; min-width: 12em; }
.scroll { overflow-x: auto; }
table.fit th { white-space: normal; }
table.fit th, table.fit td { padding: 6px 6px; }
tr.total td { font-weight: 650; border-top: 2px solid #cbd2d9; }
.tag { display: inline-block; font-size: 11px; padding: 1px 6px; border-radius: 9px;
  background: #e4e7eb; color: #1f2933; }
.tag.onprem { background: #fde8c8; } .tag.edge { background: #d5f0e5; } .tag.cloud { background: #d6e6f5; }
.ok { color: #0b7a4b; } .bad { color: #b42318; font-weight: 600; }
.status { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; font-size: 12px; }
.status.optimal { background: #d5f0e5; color: #0b5d3b; }
.status.time_limit { background: #fdf0c8; color: #7a5200; }
.status.infeasible { background: #fbd5d0; color: #8a1c11; }
.diag { border-left: 4px solid #b42318; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 8px 24px; }
.note { color: #616e7c; font-size: 12px; }
svg.chart { display: block; margin: 4px 0 8px; }
@media print { body { background: #fff; } section, .card { break-inside: avoid; } }
"""


def html_page(title: str, body_html: str) -> str:
    """A self-contained HTML5 document: inline CSS, no scripts, no external resources."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
            f"{body_html}\n</main>\n</body>\n</html>\n")
