"""A cold chart does less work and draws the same (issue 13, docs/performance.md 2026-11-26, cold chart render).

vl-convert measures every label through the font file (~0.4 ms a call plus its glyphs), and the PNG
rasteriser renders each clip path as a full-image mask. So labels lose truncation limits they cannot
reach (`label_limit`: a limit costs one more measurement a label) and a clipped line layer is clipped
once rather than once per line (`clip_once`). Old path against new path, for every chart kind: the SVG is
byte-identical, except that the clipped lines sit in one clip group, which draws the same pixels.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import pytest
import vl_convert
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

import app.web.embeds as embeds
from app.render.chart_render import _render_here, _renumber_clip_ids, clip_once
from app.render.chart_spec import CHART_KINDS, LEGEND_FONT_SIZE, Y_AXIS_PX, label_limit
from app.web.presets import presets

RAG_QUERY = next(p for p in presets() if p.slug == "rag-assistant").query  # draws all five kinds
WIDTHS = (720, 360)


@pytest.mark.parametrize(
    ("texts", "limit", "font_size", "expected"),
    [
        # "Flat API": F .576 + l .278 + a .613 + t .393 + space .318 + A .71 + P .604 + I .295 = 3.787 em;
        # × 12 px × 1.1 = 49.99 px: it fits a 50 px limit (no limit needed), not a 49 px one.
        (["Flat API"], 50, 12, 0),
        (["Flat API"], 49, 12, 49),
        # One label that might not fit keeps the limit for all.
        (["a", "Flat API"], 49, 12, 49),
        # "·" is not ASCII: 2 em. "a·a": .613 + 2 + .613 = 3.226 em × 10 px × 1.1 = 35.49 px.
        (["a·a"], 36, 10, 0),
        (["a·a"], 35, 10, 35),
        ([], 10, 12, 0),
    ],
)
def test_label_limit(texts: list[str], limit: int, font_size: float, expected: int) -> None:
    assert label_limit(texts, limit, font_size) == expected


def _measured_width(text: str, font_size: float) -> int:
    """The width vl-convert gives `text` in our font: an image padded to fit just that label."""
    spec = {
        "autosize": {"type": "pad"},
        "padding": 0,
        "width": 0,
        "height": 0,
        "marks": [
            {
                "type": "text",
                "encode": {
                    "enter": {
                        "text": {"value": text},
                        "align": {"value": "left"},
                        "font": {"value": "DejaVu Sans, Helvetica, Arial, sans-serif"},
                        "fontSize": {"value": font_size},
                    }
                },
            }
        ],
    }
    match = re.search(r'width="(\d+)"', str(vl_convert.vega_to_svg(spec)))
    assert match is not None
    return int(match.group(1))


@settings(max_examples=25, deadline=None)
@given(
    text=st.text(
        st.characters(min_codepoint=32, max_codepoint=0x24F, blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
    )
)
def test_label_limit_is_an_upper_bound_on_the_measured_width(text: str) -> None:
    """Where `label_limit` drops a limit, the label is no wider than the limit as vl-convert measures it,
    so Vega would not have truncated it: the drawing is the same."""
    width = _measured_width(text, LEGEND_FONT_SIZE)  # the image's width: the label's, rounded up
    assert label_limit([text], width - 1, LEGEND_FONT_SIZE) == width - 1  # narrower than measured: kept


def _captured_specs(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, int], dict[str, Any]]:
    captured: list[dict[str, Any]] = []
    monkeypatch.setattr(embeds, "render_svg", lambda spec: captured.append(spec) or b"<svg/>")
    specs = {}
    for kind in CHART_KINDS:
        for width in WIDTHS:
            response = client.get(f"/chart.svg?{RAG_QUERY}&kind={kind}&width={width}")
            assert response.status_code == 200, response.text
            specs[(kind, width)] = captured.pop()
    return specs


def _with_old_limits(spec: Any, kind: str, width: int) -> Any:
    """The spec as the old path built it: every label limit in place (Vega-Lite's defaults, 180 px for
    axes and 160 px for legends, where none was given)."""
    legend_limit = {"cost": max(120, width - Y_AXIS_PX - 30), "cost_per_mtok": max(120, width - Y_AXIS_PX - 30)}
    old_limits = {"legend": legend_limit.get(kind, 500 if kind == "horizon" else 160), "axis": 260}

    def restore(node: Any, parent: str = "") -> Any:
        if isinstance(node, dict):
            out = {key: restore(value, key) for key, value in node.items()}
            if out.get("labelLimit") == 0 and parent in old_limits:
                out["labelLimit"] = old_limits[parent]
            return out
        if isinstance(node, list):
            return [restore(item, parent) for item in node]
        return node

    old = restore(spec)
    del old["config"]["axis"]["labelLimit"]
    return old


def _drawn(svg: str) -> list[str]:
    """What an SVG draws, in order: its elements, without the clip paths, the references to them and
    groups' invisible background and foreground paths (no fill, no stroke)."""
    body = re.sub(r"<defs>.*?</defs>", "", svg, flags=re.S)
    elements = re.findall(r"<(?:path|line|text|rect)\b[^>]*>(?:[^<]*</text>)?", body)
    invisible = re.compile(
        r'<path class="(?:background|foreground)" aria-hidden="true" d="[^"]*"(?: display="none")?/>'
    )
    return [re.sub(r' clip-path="url\(#clip\d+\)"', "", e) for e in elements if not invisible.fullmatch(e)]


def _clip_rects(svg: str) -> list[str]:
    return re.findall(r"<clipPath id=\"clip\d+\">(<rect [^>]*>)", svg)


def test_cold_chart_draws_what_the_old_path_drew(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A table of charts, every kind at two widths: old path (Vega-Lite → SVG, limits in place, one clip
    per line) against new (`_render_here`: limits dropped where unreachable, lines clipped once)."""
    for (kind, width), spec in _captured_specs(client, monkeypatch).items():
        old = _renumber_clip_ids(str(vl_convert.vegalite_to_svg(_with_old_limits(spec, kind, width))))
        assert _renumber_clip_ids(str(vl_convert.vegalite_to_svg(spec))) == old, (kind, width)  # limits: same bytes
        new = _render_here(("svg", spec, 1.0)).decode()
        assert _drawn(new) == _drawn(old), (kind, width)
        if kind in ("cost", "cost_per_mtok", "interactivity"):  # clipped lines: one clip path for all of them
            assert len(_clip_rects(old)) > 1 and len(set(_clip_rects(old))) == 1, (kind, width)
            assert set(_clip_rects(new)) == set(_clip_rects(old)), (kind, width)  # the same plot rectangle
            # The cost charts clip only their lines; the interactivity chart also clips its points, on their own.
            assert len(_clip_rects(new)) == (1 if kind != "interactivity" else 2), (kind, width)
        else:
            assert new == old, (kind, width)


def _pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGBA bytes of an 8-bit RGBA PNG (resvg's output), unfiltered (PNG spec, 9)."""
    chunks, pos = b"", 8
    width = height = 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", data[:10])
            assert (depth, color) == (8, 6)
        elif kind == b"IDAT":
            chunks += data
    raw, stride, out = zlib.decompress(chunks), width * 4, bytearray()
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind_of_filter, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            a = line[x - 4] if x >= 4 else 0
            b = previous[x]
            c = previous[x - 4] if x >= 4 else 0
            if kind_of_filter == 1:
                line[x] = (line[x] + a) & 255
            elif kind_of_filter == 2:
                line[x] = (line[x] + b) & 255
            elif kind_of_filter == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind_of_filter == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        previous = line
    return width, height, bytes(out)


def test_lines_clipped_once_draw_the_same_pixels(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost chart's PNG, old path against new: the same size and, pixel by pixel, within 2/255 in a
    channel (where lines overlap at their anti-aliased edges they are now blended before the clip mask
    rather than after it; resvg rounds each step to 8 bits)."""
    spec = _captured_specs(client, monkeypatch)[("cost", 360)]
    old_width, old_height, old = _pixels(bytes(vl_convert.vegalite_to_png(spec, scale=1)))
    new_width, new_height, new = _pixels(_render_here(("png", spec, 1.0)))
    assert (new_width, new_height) == (old_width, old_height) == (360, 400)
    assert max(abs(a - b) for a, b in zip(old, new, strict=True)) <= 2


def test_clip_once_leaves_unclipped_layers_alone() -> None:
    vega = {"marks": [{"type": "group", "from": {"facet": {"data": "d"}}, "marks": [{"type": "line"}]}]}
    assert clip_once(vega) == vega
    clipped = {
        "type": "group",
        "name": "g",
        "from": {"facet": {"data": "d"}},
        "marks": [{"type": "line", "clip": True}],
    }
    (wrapper,) = clip_once({"marks": [clipped]})["marks"]
    assert wrapper["encode"]["update"]["clip"] == {"value": True}
    assert wrapper["marks"] == [
        {"type": "group", "name": "g", "from": {"facet": {"data": "d"}}, "marks": [{"type": "line"}]}
    ]
