"""The charts' own drawing (app/render/svg_figure.py, issue 13's cold chart): every kind of every preset at a
phone's, the default and a wide width, in both themes, fits its image (no text off an edge, axis labels
that do not collide); the PNG's glyph outlines land where a font engine puts the same text; the arithmetic
under it (clipping, ticks, text placement, text widths) by table and property."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.render.chart_figures import CHART_KINDS, THEMES, TORNADO_NARROW_BELOW
from app.render.figure import Axis, Figure, Line, Text, Tick, linear_step, linear_ticks, log_ticks, nice_upper
from app.render.format import money_compact, volume
from app.render.svg_figure import Box, _clip_segment, _clipped_path, _within, layout, render_svg
from app.render.text_metrics import ASCENT_EM, DESCENT_EM, glyph, text_width, truncate, wrap
from app.web.presets import presets
from tests.helpers import png_pixels

SVG = "{http://www.w3.org/2000/svg}"
WIDTHS = (360, 720, 1280)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def drawn_texts(svg: str) -> Iterator[tuple[str, float, float, float, str, bool, bool]]:
    """(text, x, y, size, anchor, bold, rotated) of each <text> of an SVG the charts draw."""
    for element in ET.fromstring(svg).iter(f"{SVG}text"):
        transform = element.get("transform")
        if transform:  # "translate(x,y) rotate(-90)"
            x, y = map(float, transform.split("(")[1].split(")")[0].split(","))
        else:
            x, y = float(element.get("x", "0")), float(element.get("y", "0"))
        yield (
            element.text or "",
            x,
            y,
            float(element.get("font-size", "0")),
            element.get("text-anchor", "start"),
            element.get("font-weight") == "bold",
            bool(transform),
        )


def extent(text: str, x: float, y: float, size: float, anchor: str, bold: bool) -> tuple[float, float, float, float]:
    width = text_width(text, size, "bold" if bold else "regular")
    left = x - (0 if anchor == "start" else width / 2 if anchor == "middle" else width)
    return left, y - ASCENT_EM * size, left + width, y + DESCENT_EM * size


@pytest.fixture(scope="module")
def charts(client_module: TestClient) -> dict[tuple[str, str, int, str], str]:
    drawn = {}
    for preset in presets():
        for kind in CHART_KINDS:
            for width in WIDTHS:
                for theme in ("light", "dark"):
                    response = client_module.get(f"/chart.svg?{preset.query}&kind={kind}&width={width}&theme={theme}")
                    if response.status_code == 422:  # a kind the preset cannot draw (no estimated option)
                        continue
                    assert response.status_code == 200, (preset.slug, kind, width, response.text[:300])
                    drawn[(preset.slug, kind, width, theme)] = response.text
    return drawn


@pytest.fixture(scope="module")
def client_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from app.main import create_app
    from app.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("data"), rate_limit_per_minute=1_000_000)
    with TestClient(create_app(settings)) as client:
        yield client


def test_every_preset_draws_every_kind_at_every_width(charts: dict[tuple[str, str, int, str], str]) -> None:
    kinds = {kind for _, kind, _, _ in charts}
    assert kinds == set(CHART_KINDS)
    assert len(charts) >= len(presets()) * 4 * len(WIDTHS) * 2  # interactivity needs an estimated option


def test_every_text_is_inside_its_image(charts: dict[tuple[str, str, int, str], str]) -> None:
    for key, svg in charts.items():
        root = ET.fromstring(svg)
        width, height = int(root.get("width", "0")), int(root.get("height", "0"))
        assert (width, height) == (key[2], 400) and root.get("role") == "img"
        for text, x, y, size, anchor, bold, rotated in drawn_texts(svg):
            left, top, right, bottom = extent(text, x, y, size, anchor, bold)
            if rotated:  # turned 90° anticlockwise about (x, y): the run goes up the image
                left, top, right, bottom = x - ASCENT_EM * size, y - (right - x), x + DESCENT_EM * size, y - (left - x)
            assert left >= -0.5 and right <= width + 0.5, (key, text, left, right)
            assert top >= -0.5 and bottom <= height + 0.5, (key, text, top, bottom)


def test_no_two_texts_overlap(charts: dict[tuple[str, str, int, str], str]) -> None:
    """Titles, subtitles, axis labels, legend labels and marks' labels each keep their own room (a halo is the
    same text drawn twice in one place: counted once)."""
    for key, svg in charts.items():
        boxes = {
            (text, *extent(text, x, y, size, anchor, bold))
            for text, x, y, size, anchor, bold, rotated in drawn_texts(svg)
            if not rotated
        }
        ordered = sorted(boxes, key=lambda box: box[1])
        for i, (text_a, _, top_a, right_a, bottom_a) in enumerate(ordered):
            for text_b, left_b, top_b, right_b, bottom_b in ordered[i + 1 :]:
                if left_b >= right_a:
                    break
                # 1 px of tolerance: DejaVu's ascent and descent (1.16 em) are taller than its glyphs.
                overlap = min(bottom_a, bottom_b) - max(top_a, top_b)
                assert overlap <= 1.5 or min(right_a, right_b) - left_b <= 0.5, (key, text_a, text_b)


def test_the_themes_colour_the_image(charts: dict[tuple[str, str, int, str], str]) -> None:
    for (slug, kind, width, theme), svg in charts.items():
        assert f'fill="{THEMES[theme].background}"' in svg, (slug, kind, width, theme)


def test_the_narrow_tornado_says_less(charts: dict[tuple[str, str, int, str], str]) -> None:
    assert 360 < TORNADO_NARROW_BELOW <= 720
    for (slug, kind, width, _), svg in charts.items():
        if kind == "tornado":
            texts = [text for text, *_ in drawn_texts(svg)]
            title = "Break-even (requests/month)" if width < TORNADO_NARROW_BELOW else "Volume above which"
            assert any(text.startswith(title) for text in texts), (slug, width)


@pytest.mark.skipif(not DEJAVU.exists(), reason="compares with the system's DejaVu Sans (Debian fonts-dejavu-core)")
@pytest.mark.parametrize("kind", CHART_KINDS)
def test_outlined_text_lands_where_the_font_engine_puts_it(client_module: TestClient, kind: str) -> None:
    """The PNG draws text from app/render/fonts/dejavu-sans.json's outlines, placed by its widths; resvg
    drawing the same SVG's <text> through the installed DejaVu Sans must give (nearly) the same pixels: a
    wrong advance width would shift every end-anchored label (the y axis) and every following glyph."""
    import vl_convert

    rag = next(p for p in presets() if p.slug == "rag-assistant").query
    svg = client_module.get(f"/chart.svg?{rag}&kind={kind}&width=720").text
    outlined = client_module.get(f"/chart.png?{rag}&kind={kind}&width=720&scale=1")
    assert outlined.status_code == 200 and outlined.headers["content-type"] == "image/png"
    width, height, by_font = png_pixels(bytes(vl_convert.svg_to_png(svg, scale=1)))
    assert png_pixels(outlined.content)[:2] == (width, height) == (720, 400)
    pixels = png_pixels(outlined.content)[2]
    mean = sum(abs(a - b) for a, b in zip(pixels, by_font, strict=True)) / len(pixels)
    # Where the two differ at all, by the antialiasing of glyph edges: a fraction of a level on average. A glyph
    # a pixel off would differ along its whole outline (several levels on average over a chart's ~30 texts).
    assert mean < 0.5, (kind, mean)


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ((1e5, 1e9), ["100k", "1M", "10M", "100M", "1B"]),
        ((2e6, 1.2e7), ["2M", "3M", "4M", "5M", "6M", "7M", "8M", "9M", "10M"]),
        ((3.0, 7.0), ["3", "4", "5", "6", "7"]),
        ((0, 10), []),
    ],
)
def test_log_ticks(domain: tuple[float, float], expected: list[str]) -> None:
    assert [tick.label for tick in log_ticks(domain, volume)] == expected


@pytest.mark.parametrize(
    ("domain", "count", "min_step", "expected"),
    [
        ((0, 36), 15, 1, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36]),
        ((0, 36), 6, 1, [0, 5, 10, 15, 20, 25, 30, 35]),
        ((0, 3), 15, 1, [0, 1, 2, 3]),
        ((0, 1.2e6), 6, 0, [0, 2e5, 4e5, 6e5, 8e5, 1e6, 1.2e6]),
    ],
)
def test_linear_ticks(domain: tuple[float, float], count: int, min_step: float, expected: list[float]) -> None:
    values = [tick.value for tick in linear_ticks(domain, str, count, min_step)]
    assert values == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "expected"), [(1.04e6, 1.2e6), (1e6, 1e6), (33_000, 35_000), (0, 1.0), (math.inf, 1.0)]
)
def test_nice_upper(value: float, expected: float) -> None:
    assert nice_upper(value) == pytest.approx(expected)


@given(st.floats(1e-6, 1e12), st.integers(1, 30))
def test_a_linear_step_is_one_two_or_five_times_a_power_of_ten(span: float, count: int) -> None:
    step = linear_step(span, count)
    mantissa = step / 10 ** math.floor(math.log10(step) + 1e-12)
    assert round(mantissa, 9) in (1, 2, 5, 10)
    assert span / count / 10 < step < span / count * 10


coordinate = st.floats(-500, 1500, allow_nan=False)
BOX = Box(50, 40, 600, 300)


def inside(point: tuple[float, float], box: Box = BOX) -> bool:
    return box.left - 1e-6 <= point[0] <= box.right + 1e-6 and box.top - 1e-6 <= point[1] <= box.bottom + 1e-6


@given(coordinate, coordinate, coordinate, coordinate)
def test_a_clipped_segment_is_the_part_inside_the_plot(x0: float, y0: float, x1: float, y1: float) -> None:
    piece = _clip_segment((x0, y0), (x1, y1), BOX)
    samples = [(x0 + (x1 - x0) * t / 20, y0 + (y1 - y0) * t / 20) for t in range(21)]
    if piece is None:  # nothing of it inside, but for a touch at a corner or along an edge
        assert not any(
            BOX.left + 1e-3 < x < BOX.right - 1e-3 and BOX.top + 1e-3 < y < BOX.bottom - 1e-3 for x, y in samples
        )
        return
    start, end = piece
    assert inside(start) and inside(end)
    for point in (start, end):  # on the original segment
        cross = (x1 - x0) * (point[1] - y0) - (y1 - y0) * (point[0] - x0)
        assert abs(cross) <= 1e-6 * max(1.0, math.hypot(x1 - x0, y1 - y0)) ** 2
    if inside((x0, y0)) and inside((x1, y1)):
        assert start == pytest.approx((x0, y0)) and end == pytest.approx((x1, y1))


def test_a_clipped_path_breaks_where_a_point_cannot_be_drawn() -> None:
    assert _clipped_path([(60, 50), (100, 100), None, (200, 200), (300, 100)], BOX) == "M60,50L100,100M200,200L300,100"
    assert _clipped_path([(0, 100), (100, 100)], BOX) == "M50,100L100,100"  # enters through the left edge
    assert _clipped_path([(0, 10), (10, 0)], BOX) == ""


@given(
    st.text(st.sampled_from("abcdefgh XYZ:0123$."), min_size=1, max_size=140),
    st.floats(0, 720),
    st.sampled_from(["left", "right", "center"]),
    st.floats(-10, 10),
)
def test_a_text_stays_between_the_plot_and_the_image_edge(content: str, x: float, align: str, dx: float) -> None:
    text = Text(x, content, "#000", y=1.0, align=align, dx=dx)  # type: ignore[arg-type]
    at, anchor, drawn = _within(text, x, 60.0, 715.0)
    width = text_width(drawn, text.size)
    left = at - (0 if anchor == "start" else width / 2 if anchor == "middle" else width)
    assert left >= 60 - 1e-6 and left + width <= 715 + 1e-6
    assert drawn == content or (drawn.endswith("…") and text_width(content, text.size) > 715 - 60)


@pytest.mark.parametrize(
    ("text", "size", "weight", "expected_px"),
    [
        # hmtx advances of DejaVu Sans 2.37 (2048 units an em): "M" 1767, "$" 1303, " " 651; bold "M" 2038
        ("M", 2048, "regular", 1767),
        ("$1 M", 2048, "regular", 1303 + 1303 + 651 + 1767),
        ("M", 2048, "bold", 2038),
        ("漢", 10, "regular", 10),  # outside the file: 1 em
    ],
)
def test_text_width(text: str, size: float, weight: str, expected_px: float) -> None:
    assert text_width(text, size, weight) == pytest.approx(expected_px)  # type: ignore[arg-type]


def test_every_character_the_app_writes_has_an_outline() -> None:
    for char in "$0123456789kMBT–—−×·…≥≤≈€→µ%/().,:;'\"’“”abcxyzABCXYZ éüñ":
        for weight in ("regular", "bold"):
            assert glyph(char, weight) is not None, (char, weight)  # type: ignore[arg-type]


@given(st.text(st.sampled_from("abc defgh ijkWWW"), max_size=80), st.floats(30, 400))
def test_wrap_and_truncate_keep_to_the_width(text: str, limit: float) -> None:
    lines = wrap(text, limit, 12)
    assert all(text_width(line, 12) <= limit + 1e-9 for line in lines)
    if all(text_width(word, 12) <= limit for word in text.split()):  # nothing cut: every word kept, in order
        assert " ".join(lines).split() == text.split()
    cut = truncate(text, limit, 12)
    assert cut == text or (text_width(cut, 12) <= limit + 1e-9 and cut.endswith("…"))


def test_the_layout_is_exact_and_leaves_the_plot_room() -> None:
    axis = Axis("x", "log", (1.0, 1e3), (Tick(1.0, "1"), Tick(1e3, "1k")))
    figure = Figure("T", ("a subtitle",), 720, 400, THEMES["light"], axis, axis)
    plot = layout(figure).plot
    assert 0 < plot.left < plot.right <= 720 and 0 < plot.top < plot.bottom <= 400
    svg = render_svg(figure)
    assert ET.fromstring(svg).get("viewBox") == "0 0 720 400"
    assert "<use" not in svg and "<use" in render_svg(figure, outlined_text=True)
    assert money_compact(1e6) == "$1M"


@pytest.mark.parametrize("width", [360, 720])
@pytest.mark.parametrize("kind", ["cost", "horizon", "tornado", "interactivity"])
def test_long_names_stay_inside_the_image(client_module: TestClient, kind: str, width: int) -> None:
    """A name is the user's: one long word (no space to wrap at) and one long sentence, in the legend, the
    subtitle and the labels, still end inside the image (cut with an ellipsis where they must)."""
    import copy

    from tests.test_embeds import SCENARIO, query

    scenario = copy.deepcopy(SCENARIO)
    scenario["options"][0]["name"] = "W" * 90
    scenario["options"][2]["name"] = ("a self-hosted option " * 4).strip()  # 83 of the 100 characters allowed
    del scenario["options"][2]["output_tokens_per_second"]  # estimated: drawn on the interactivity chart
    response = client_module.get(f"/chart.svg?{query(scenario, kind=kind, width=width)}")
    assert response.status_code == 200, response.text[:300]
    for text, x, y, size, anchor, bold, rotated in drawn_texts(response.text):
        if not rotated:
            left, top, right, bottom = extent(text, x, y, size, anchor, bold)
            assert left >= -0.5 and right <= width + 0.5 and top >= -0.5 and bottom <= 400.5, (text, left, right)


@pytest.mark.parametrize(("width", "height"), [(200, 150), (200, 1600), (2400, 150), (2400, 1600)])
def test_every_kind_draws_at_the_extreme_sizes(client_module: TestClient, width: int, height: int) -> None:
    """The chart parameters' limits (width 200-2400, height 150-1600): a well-formed image of that size, its
    texts inside it."""
    rag = next(p for p in presets() if p.slug == "rag-assistant").query
    for kind in CHART_KINDS:
        response = client_module.get(f"/chart.svg?{rag}&kind={kind}&width={width}&height={height}")
        assert response.status_code == 200, (kind, response.text[:300])
        root = ET.fromstring(response.text)
        assert (root.get("width"), root.get("height")) == (str(width), str(height))
        for text, x, y, size, anchor, bold, rotated in drawn_texts(response.text):
            if not rotated:  # a short image leaves its subtitle, then its legend out rather than overflow
                left, top, right, bottom = extent(text, x, y, size, anchor, bold)
                assert left >= -0.5 and right <= width + 0.5 and top >= -0.5 and bottom <= height + 0.5, (kind, text)


def test_a_broken_domain_draws_nothing_rather_than_failing() -> None:
    axis = Axis("x", "log", (0.0, 0.0), ())
    figure = Figure(
        "T", (), 400, 300, THEMES["light"], axis, axis, lines=(Line("a", ((1.0, 1.0), (0.0, -1.0)), "#000"),)
    )
    assert ET.fromstring(render_svg(figure)).get("width") == "400"


def test_the_description_reads_the_chart_in_sentences(charts: dict[tuple[str, str, int, str], str]) -> None:
    """What a screen reader gets from an <img> of the chart: its title, then the subtitle and what the chart
    marks, as sentences (the cost chart: the user's volume and each crossover)."""
    svg = ET.fromstring(charts[("rag-assistant", "cost", 720, "light")])
    assert svg.get("aria-labelledby") == "chart-title chart-desc"
    assert svg.findtext(f"{SVG}title") == "Monthly cost vs volume"
    description = svg.findtext(f"{SVG}desc") or ""
    assert description.startswith("API prices as of ") and "Your volume: 3M requests/month." in description
    assert "becomes cheaper than" in description and ".." not in description
    tornado = ET.fromstring(charts[("rag-assistant", "tornado", 720, "light")]).findtext(f"{SVG}desc") or ""
    assert "Break-even with the entered values: " in tornado and "requests/month." in tornado
