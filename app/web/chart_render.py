"""Server-side rendering of chart specs to SVG and PNG (vl-convert: Vega-Lite → SVG/PNG, no browser),
an in-process LRU of renders bounded in bytes, and strong ETags.

A render is identified by its ETag: a hash of everything that determines the image (the canonical
scenario, or a saved scenario's id; the chart parameters; the data fingerprint for live figures;
the renderer version). The same ETag answers If-None-Match with 304 before anything is computed.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from typing import Any

import vl_convert

from app.catalog.api_prices import snapshot_as_of

RENDERER = f"breakeven-charts-1/vl-convert-{version('vl-convert-python')}"


class RenderCache:
    """LRU of rendered bytes, bounded by their total size. `on_lookup(hit)`, if given, hears every `get`
    (the app counts hits and misses in Prometheus)."""

    def __init__(self, max_bytes: int, on_lookup: Callable[[bool], None] | None = None) -> None:
        self.max_bytes = max_bytes
        self.on_lookup = on_lookup
        self.used = 0
        self.items: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
        if self.on_lookup is not None:
            self.on_lookup(value is not None)
        return value

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes:
            return
        with self.lock:
            if key in self.items:
                self.used -= len(self.items.pop(key))
            self.items[key] = value
            self.used += len(value)
            while self.used > self.max_bytes:
                _, evicted = self.items.popitem(last=False)
                self.used -= len(evicted)


@cache
def live_data_fingerprint() -> str:
    """Changes whenever a bundled figure could: catalog files, price snapshot, estimator fit."""
    digest = hashlib.sha256(RENDERER.encode())
    digest.update(version("genai-prices").encode())
    digest.update(snapshot_as_of().encode())  # a refreshed price snapshot (app.catalog.price_refresh)
    for name in sorted(p.name for p in files("app.catalog").iterdir() if p.name.endswith(".toml")):
        digest.update(files("app.catalog").joinpath(name).read_bytes())
    return digest.hexdigest()[:16]


def make_etag(*parts: Any) -> str:
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


_CLIP_ID = re.compile(r"\bclip(\d+)\b")


def _renumber_clip_ids(svg: str) -> str:
    """vl-convert numbers clip paths with a process-wide counter; renumber them from 1 so the same
    spec always renders to the same bytes (stable ETags, golden files)."""
    numbers: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        return "clip" + numbers.setdefault(match.group(1), str(len(numbers) + 1))

    return _CLIP_ID.sub(renumber, svg)


def render_svg(spec: dict[str, Any]) -> bytes:
    return _renumber_clip_ids(str(vl_convert.vegalite_to_svg(spec))).encode()


def render_png(spec: dict[str, Any], scale: float) -> bytes:
    return bytes(vl_convert.vegalite_to_png(spec, scale=scale))
