"""How wide text draws in the charts' font, and its glyphs' outlines, without asking a font engine.

The charts are drawn in DejaVu Sans (app/render/svg_figure.py), and their layout (the width of an axis's
labels, where a subtitle wraps, whether a legend label needs an ellipsis, where a crossover label fits)
needs each text's width; a PNG draws its text from the glyphs' outlines. Both come from
app/render/fonts/dejavu-sans.json: the advance widths (font units, 2048 an em) and outlines of DejaVu Sans
2.37 and DejaVu Sans Bold 2.37 (Debian's fonts-dejavu-core) for the characters listed in
scripts/generate-chart-font, which wrote it. Laying text out through the font file is what made a cold chart
take 107-203 ms under Vega-Lite and vl-convert (issue 13, docs/performance.md).

With the font's kerning for Latin text (its `kern` feature's pairs: "AW" closer by 112 units), as a browser
and resvg apply it. A character outside the file (a name in another script, drawn by a fallback font) counts
as 1 em, as wide as a CJK glyph.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Literal

FontWeight = Literal["regular", "bold"]
UNITS_PER_EM = 2048
OTHER_CHARACTER_UNITS = UNITS_PER_EM  # outside the file: 1 em
# DejaVu Sans's vertical metrics (hhea ascender 1901, descender -483; cap height 1493), in em: where a
# text's top, middle and bottom sit relative to its baseline.
ASCENT_EM = 1901 / UNITS_PER_EM
DESCENT_EM = 483 / UNITS_PER_EM
CAP_HEIGHT_EM = 1493 / UNITS_PER_EM


@cache
def _font() -> dict[str, dict[str, tuple[int, str]]]:
    data = json.loads(files("app.render").joinpath("fonts/dejavu-sans.json").read_text(encoding="utf-8"))
    if data["units_per_em"] != UNITS_PER_EM:
        raise ValueError("app/render/fonts/dejavu-sans.json: expected 2048 units per em")
    return {
        weight: {char: (int(advance), str(outline)) for char, (advance, outline) in data[weight].items()}
        for weight in ("regular", "bold")
    }


@cache
def _widths(weight: FontWeight) -> dict[str, int]:
    return {char: advance for char, (advance, _) in _font()[weight].items()}


@cache
def _kerning(weight: FontWeight) -> dict[str, int]:
    data = json.loads(files("app.render").joinpath("fonts/dejavu-sans.json").read_text(encoding="utf-8"))
    return {pair: int(units) for pair, units in data[f"{weight}_kerning"].items()}


def load_chart_font() -> None:
    """Read the font file's widths, kerning and outlines now (the server's start-up calls this before it
    freezes what it loaded out of the garbage collector's sight: app/main.py)."""
    for weight in ("regular", "bold"):
        _widths(weight)
        _kerning(weight)


def advances(text: str, weight: FontWeight = "regular") -> list[int]:
    """How far each character of `text` moves the pen, in font units: its advance width plus the kerning
    between it and the next character."""
    widths, kerning = _widths(weight), _kerning(weight)
    moves = [widths.get(char, OTHER_CHARACTER_UNITS) for char in text]
    for i in range(len(text) - 1):
        moves[i] += kerning.get(text[i : i + 2], 0)
    return moves


def glyph(char: str, weight: FontWeight) -> tuple[int, str] | None:
    """`char`'s advance width (font units) and outline (an SVG path in font units, y up), or None if the file
    lacks it."""
    return _font()[weight].get(char)


def text_width(text: str, size: float, weight: FontWeight = "regular") -> float:
    """How wide `text` draws at `size` px in DejaVu Sans (`weight`), in px."""
    return sum(advances(text, weight)) * size / UNITS_PER_EM


def truncate(text: str, limit_px: float, size: float, weight: FontWeight = "regular") -> str:
    """`text`, or as much of it as fits in `limit_px` followed by "…" (the whole ellipsis within the limit)."""
    if text_width(text, size, weight) <= limit_px:
        return text
    moves = advances(text, weight)
    room = limit_px * UNITS_PER_EM / size - _widths(weight)["…"]
    kept, used = 0, 0
    while kept < len(text) and used + moves[kept] <= room:
        used += moves[kept]
        kept += 1
    while kept > 0 and text_width(text[:kept].rstrip() + "…", size, weight) > limit_px:  # kerning into the "…"
        kept -= 1
    return text[:kept].rstrip() + "…"


def wrap(text: str, limit_px: float, size: float, weight: FontWeight = "regular") -> list[str]:
    """`text` in lines no wider than `limit_px`, broken at spaces; a single word wider than that takes a line
    of its own, cut short with an ellipsis."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and text_width(candidate, size, weight) > limit_px:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line or not lines:
        lines.append(line)
    return [truncate(line, limit_px, size, weight) for line in lines]
