"""The HTML report: self-contained, escaped, and rendered for real in headless Chromium.

The browser tests need Chromium: ``apt-get install -y chromium`` (Debian; /usr/bin/chromium).
Without it they are skipped with that hint, and fail under CI=true (conftest.chromium).
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import EXAMPLES, chromium, inference, offering, scenario, site, solve
from conftest import run_cli as run
from tierplan.cli import main
from tierplan.reports.document import plan_document
from tierplan.reports.html import to_html

HUB = str(EXAMPLES / "hub-and-spoke.yaml")
NASTY = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def hub_html(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("html") / "plan.html"
    with pytest.raises(SystemExit) as info:
        main(["plan", HUB, "--format", "html", "-o", str(target)])
    assert (info.value.code or 0) == 0
    return target


class _Tags(HTMLParser):
    """Counts start tags and checks every non-void element is closed in order."""

    VOID = frozenset({"meta", "br", "rect", "line", "circle", "path", "hr", "img", "input", "link"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.count: dict[str, int] = {}
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> _Tags:
    tags = _Tags()
    tags.feed(page)
    tags.close()
    assert tags.stack == []
    return tags


def test_report_is_one_self_contained_file(hub_html):
    page = hub_html.read_text()
    tags = parse(page)
    assert tags.count.get("script", 0) == 0 and tags.count.get("link", 0) == 0
    assert tags.count.get("img", 0) == 0 and tags.count.get("iframe", 0) == 0
    # nothing fetched: no URLs other than the SVG namespace, no @import or url(...)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "@import" not in page and "url(" not in page and "src=" not in page
    assert "<style>" in page


def test_report_shows_totals_charts_budgets_latency_and_bindings(hub_html):
    page = hub_html.read_text()
    text = " ".join(parse(page).text)
    # totals: $5,863.43 over 730 h = per month; per hour 5863.43 / 730 = 8.03
    assert "$5,863.43" in text and "$8.03 per hour" in text
    # cost by tier / provider / site / team / workload, budgets, latency, binding savings
    assert page.count("<svg") >= 8
    for title in ("By tier", "By provider", "By site", "By team", "By workload",
                  "Budgets: used against limit", "Latency per client against the SLO",
                  "What limits the plan", "Placements"):
        assert title in text
    assert "onprem (amortised)" in text and "amortised" in text
    assert "$1,060.10 of $2,000.00 per month" in text  # vision budget: 53 %
    assert "42.0 ms / SLO 80.0 ms" in text  # worst client latency against the SLO
    assert "$77.03/month ($0.11/h) per instance" in text  # one more Orin saves $77.03 a month
    assert "$4,803.33" in text and "$0.05" in text  # pretrain per month, fine-tune per hour


def test_user_names_are_escaped():
    sc = scenario([site("cloud/a & b", offerings=[offering("g<6>", 1.0)], provider="x&y")],
                  [inference(NASTY, team="a & b", budget_usd=1000)],
                  budgets=[{"name": "b <i>1</i>", "limit_usd": 500}])
    page = to_html(plan_document(solve(sc)))
    parse(page)
    assert "<script" not in page and "<i>" not in page and "g<6>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &amp; b" in page and "x&amp;y" in page and "a & b" not in page


def test_infeasible_report_carries_the_diagnosis(capsys, tmp_path):
    target = tmp_path / "infeasible.html"
    code, _, _ = run(capsys, "plan", str(EXAMPLES / "infeasible-slo.yaml"), "--format", "html", "-o",
                     str(target))
    assert code == 3
    text = " ".join(parse(target.read_text()).text)
    assert "Why no plan exists" in text and "infeasible" in text
    assert "no eligible offering is within 80 ms of client virginia" in text


def test_html_on_stdout(capsys):
    code, out, _ = run(capsys, "plan", HUB, "--format", "html")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and "$5,863.43" in out


# --------------------------------------------------------------------------- headless Chromium


def _browser(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(r[i] for i in range(len(r)) if i % bpp < 3) for r in rows]


def test_chromium_renders_totals_and_charts(hub_html, tmp_path):
    dom = _browser(tmp_path, "--dump-dom", hub_html.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "$5,863.43" in dom.stdout and "$8.03 per hour" in dom.stdout
    assert dom.stdout.count("<svg") >= 8 and dom.stdout.count("<rect") >= 20


def test_chromium_screenshot_has_the_charts(hub_html, tmp_path):
    shot = tmp_path / "plan.png"
    result = _browser(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", hub_html.as_uri())
    assert result.returncode == 0 and shot.exists(), result.stderr[-2000:]
    width, height, rows = decode_png(shot.read_bytes())
    assert (width, height) == (1280, 2000)
    colours: set[bytes] = set()
    bar_blue = 0  # the charts' first series colour, #0072B2
    for row in rows[::2]:
        for x in range(0, len(row), 6):
            px = row[x:x + 3]
            colours.add(px)
            if abs(px[0] - 0x00) < 8 and abs(px[1] - 0x72) < 8 and abs(px[2] - 0xB2) < 8:
                bar_blue += 1
    assert len(colours) > 200, "the page looks blank"
    assert bar_blue > 2000, f"only {bar_blue} sampled pixels of bar colour: the SVG charts did not render"
    # The top band (headline cards) differs from the chart band below it: a real layout.
    assert rows[120] != rows[500]


def test_many_names_are_summed_into_others_in_charts(capsys):
    code, out, _ = run(capsys, "plan", HUB, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    template = doc["placements"][2]
    doc["placements"] = [{**template, "site": f"aws/site-{i:02d}", "cost_usd": float(i + 1),
                          "compute_usd": float(i + 1), "transfer_usd": 0.0} for i in range(30)]
    doc["cost"]["by_site"] = {p["site"]: p["cost_usd"] for p in doc["placements"]}
    page = to_html(doc)
    # 12 dearest sites get a bar each, the other 18 one bar worth 1 + ... + 18 = $171
    assert ">18 others</text>" in page and "$171.00/mo" in page
    assert ">aws/site-29</text>" in page and ">aws/site-17</text>" not in page
    assert page.count("<td>aws/site-") == 30 + 30  # cost table and placements list them all
