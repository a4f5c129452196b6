"""Server-side rendering of chart specs to SVG and PNG (vl-convert: Vega-Lite → SVG/PNG, no browser)
in a small pool of render processes, an in-process LRU of renders bounded in bytes, and strong ETags.

A render is identified by its ETag: a hash of everything that determines the image (the canonical
scenario, or a saved scenario's id; the chart parameters; the data fingerprint for live figures;
the renderer version). The same ETag answers If-None-Match with 304 before anything is computed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from importlib.resources import files
from multiprocessing.connection import Connection
from typing import Any, Literal

logger = logging.getLogger("breakeven.charts")  # under the app logger: JSON lines (app/web/observability.py)

# Part of every chart's cache key and ETag: bump the number whenever the drawing changes, so caches and
# browsers holding an image as immutable fetch the new one (2: issue 16's line styles, keyed labels, legend;
# 3: clipped lines in one clip group, label limits dropped where unreachable: the same drawing, other bytes;
# 4: the horizon and tornado subtitles wrapped to the image's width, the horizon legend within it).
RENDERER = f"breakeven-charts-4/vl-convert-{version('vl-convert-python')}"


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
    from app.catalog.api_prices import snapshot_as_of  # here: render processes import this module, not the catalog

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


# --- renderer isolation ---------------------------------------------------------------------------
#
# vl-convert is native code (Rust + V8). On some inputs it does not raise but panics, and the Rust
# runtime aborts the whole process: a name holding U+0001 made it fail to parse its own SVG text
# (`ParsingFailed(NonXmlChar(..))`) and took the server down with no 500 and no log line (issue 12).
# So renders run in separate processes: a crash or a hang costs one request a 503, never the server.

# The complement of XML 1.0's Char production (https://www.w3.org/TR/xml/#charsets): C0 controls
# other than tab/LF/CR, lone surrogates, U+FFFE and U+FFFF. vl-convert aborts on the first group and
# the last two (tried one by one), and cannot encode a lone surrogate at all.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(value: Any) -> Any:
    """`value` (a chart spec) with every character XML 1.0 forbids, in every string, keys included,
    replaced by U+FFFD. Names are validated at the boundary (app/scenario/inputs.py `DisplayText`), but
    scenarios saved before that may still hold such characters and must keep rendering."""
    if isinstance(value, str):
        return _NOT_XML_CHAR.sub("\ufffd", value)
    if isinstance(value, dict):
        return {xml_safe(key): xml_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [xml_safe(item) for item in value]
    return value


class RendererUnavailable(RuntimeError):
    """The render process died or hung on this request, or none was free in time. Answer 503 with
    Retry-After and cache nothing: the pool has already dropped that process, so a retry gets a fresh one."""


class RenderFailed(RuntimeError):
    """vl-convert raised an ordinary error on a spec (a bug in a spec builder, not in the request)."""


RenderRequest = tuple[Literal["svg", "png"], dict[str, Any], float]
# The warm-up is shaped like the charts we draw (app/render/chart_spec.py: layered log-log lines with a
# legend, a rule, points and text, a title with a subtitle, `autosize: fit`, our font), not a one-bar
# chart: V8 compiles the code paths a render takes on first use. Warmed up on a one-bar chart, a process
# spent ~30 ms more on its first real chart than on the next ones; warmed up on this, ~10-15 ms less than that.
_WARM_UP_SPEC: dict[str, Any] = {
    "title": {"text": "Warm-up", "subtitle": ["line one", "line two"], "anchor": "start"},
    "width": 480,
    "height": 300,
    "autosize": {"type": "fit", "contains": "padding"},
    "background": "#ffffff",
    "layer": [
        {
            "data": {
                "values": [
                    {"x": x, "y": y, "option": option, "kind": option}
                    for option, slope in (("API", 1.0), ("self-hosted", 0.25))
                    for x, y in ((1e3, 10 * slope), (1e5, 1e3 * slope), (1e7, 1e5 * slope**2))
                ]
            },
            "mark": {"type": "line", "strokeWidth": 2.5, "clip": True},
            "encoding": {
                "x": {"field": "x", "type": "quantitative", "scale": {"type": "log"}, "axis": {"format": "~s"}},
                "y": {"field": "y", "type": "quantitative", "scale": {"type": "log"}, "axis": {"format": "$~s"}},
                "color": {
                    "field": "option",
                    "type": "nominal",
                    "legend": {"orient": "bottom", "direction": "vertical"},
                },
                "strokeDash": {"field": "kind", "type": "nominal", "legend": None},
            },
        },
        {
            "data": {"values": [{"x": 1e5, "y": 1e3, "label": "a marker"}]},
            "layer": [
                {
                    "mark": {"type": "rule", "strokeDash": [2, 3]},
                    "encoding": {"x": {"field": "x", "type": "quantitative"}},
                },
                {
                    "mark": {"type": "point", "filled": True},
                    "encoding": {
                        "x": {"field": "x", "type": "quantitative"},
                        "y": {"field": "y", "type": "quantitative"},
                    },
                },
                {
                    "mark": {"type": "text", "align": "left", "dx": 6, "fontWeight": "bold"},
                    "encoding": {
                        "x": {"field": "x", "type": "quantitative"},
                        "y": {"field": "y", "type": "quantitative"},
                        "text": {"field": "label"},
                    },
                },
            ],
        },
    ],
    "config": {"font": "DejaVu Sans, Helvetica, Arial, sans-serif", "view": {"stroke": None}},
}


def clip_once(vega: dict[str, Any]) -> dict[str, Any]:
    """`vega` (a compiled Vega spec) with each clipped line layer clipped once rather than once per line.

    Vega-Lite draws a line layer coloured by a field as one group per line and clips each line to the plot
    on its own: one SVG clip path per line (eight with eight options). The PNG rasteriser (resvg) renders
    every clip path as a mask the size of the whole image, ~35 ms each at scale 2 on the 2-core machine,
    about a third of a cold PNG of the cost chart (docs/performance.md, 2026-11-26, cold chart render).
    Here such a group (a facet whose marks all clip) is wrapped in one group of the plot's size that clips
    its content, and its marks no longer clip themselves: the same region clips the same lines, so the
    pixels are the same; the SVG holds one clip path and one more group."""
    marks: list[dict[str, Any]] = []
    for mark in vega.get("marks", []):
        inner = mark.get("marks", [])
        if (
            mark.get("type") == "group"
            and "facet" in mark.get("from", {})
            and inner
            and all(m.get("clip") is True for m in inner)  # clipped to the group, not to a path of their own
        ):
            unclipped = {**mark, "marks": [{key: value for key, value in m.items() if key != "clip"} for m in inner]}
            size = {"width": {"field": {"group": "width"}}, "height": {"field": {"group": "height"}}}
            marks.append(
                {
                    "type": "group",
                    "name": f"{mark.get('name', 'lines')}_clip",
                    "encode": {"update": {**size, "clip": {"value": True}}},
                    "marks": [unclipped],
                }
            )
        elif mark.get("type") == "group" and inner:
            marks.append(clip_once(mark))
        else:
            marks.append(mark)
    return {**vega, "marks": marks} if "marks" in vega else vega


def _render_here(request: RenderRequest) -> bytes:
    import vl_convert  # only render processes load the renderer

    fmt, spec, scale = request
    vega = clip_once(vl_convert.vegalite_to_vega(spec))
    if fmt == "svg":
        return _renumber_clip_ids(str(vl_convert.vega_to_svg(vega))).encode()
    return bytes(vl_convert.vega_to_png(vega, scale=scale))


def serve_renders(connection: Connection) -> None:
    """A render process: warm vl-convert up (its first render starts V8, ~0.4 s), say "ready", then
    answer ("ok", bytes) or ("error", message) to each request until the server closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the server stops us
    for _ in range(2):  # the second run compiles what the first only interpreted
        _render_here(("svg", _WARM_UP_SPEC, 1.0))
    connection.send(("ready", b""))
    while True:
        try:
            request = connection.recv()
        except EOFError:  # the server closed the pipe or died
            return
        try:
            connection.send(("ok", _render_here(request)))
        except Exception as error:
            connection.send(("error", f"{type(error).__name__}: {error}"))


# A fresh interpreter that imports only this module and serves on the inherited socket (fd in argv).
# Not multiprocessing's spawn/forkserver: those re-run the parent's __main__ script in the child, so
# any script that renders a chart without an `if __name__ == "__main__"` guard would fail.
_CHILD_CODE = (
    "import sys; from multiprocessing.connection import Connection; "
    "from app.render.chart_render import serve_renders; serve_renders(Connection(int(sys.argv[1])))"
)


class _RenderProcess:
    def __init__(self) -> None:
        self.connection, child_end = multiprocessing.Pipe()
        fd = child_end.fileno()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        self.process = subprocess.Popen(  # noqa: S603 (our interpreter and a constant program)
            [sys.executable, "-c", _CHILD_CODE, str(fd)], pass_fds=[fd], stdin=subprocess.DEVNULL, env=env
        )
        child_end.close()
        self.ready = False

    def call(self, request: RenderRequest, startup_timeout_s: float, timeout_s: float) -> tuple[str, Any]:
        """Raises TimeoutError when the process stays silent, EOFError/OSError when it died."""
        if not self.ready:
            self._receive(startup_timeout_s)
            self.ready = True
        self.connection.send(request)
        return self._receive(timeout_s)

    def _receive(self, timeout_s: float) -> tuple[str, Any]:
        if not self.connection.poll(timeout_s):
            raise TimeoutError(f"no answer in {timeout_s} s")
        reply: tuple[str, Any] = self.connection.recv()
        return reply

    def stop(self) -> None:
        self.connection.close()  # a healthy process exits on EOF; kill covers a hung one
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)


class RendererPool:
    """Up to `size` render processes, started on demand, each serving one request at a time. A process
    that dies or overruns `timeout_s` is killed and dropped; the next request starts a new one."""

    def __init__(
        self,
        size: int = 2,
        timeout_s: float = 10.0,
        startup_timeout_s: float = 30.0,
        queue_timeout_s: float = 10.0,
    ) -> None:
        self.size = size
        self.timeout_s = timeout_s
        self.startup_timeout_s = startup_timeout_s
        self.queue_timeout_s = queue_timeout_s
        self.idle: queue.Queue[_RenderProcess] = queue.Queue()
        self.processes: set[_RenderProcess] = set()
        self.lock = threading.Lock()
        self.closed = False

    def render(self, request: RenderRequest) -> bytes:
        worker = self._take()
        try:
            status, payload = worker.call(request, self.startup_timeout_s, self.timeout_s)
        except (TimeoutError, EOFError, OSError) as error:
            self._drop(worker)
            logger.error(
                "chart render process %s failed (%s, exit code %s); dropped it, this request answers 503",
                worker.process.pid,
                type(error).__name__,
                worker.process.returncode,
            )
            raise RendererUnavailable("the chart renderer failed on this request; retry shortly") from error
        except BaseException:  # interrupted mid-call: the pipe's state is unknown
            self._drop(worker)
            raise
        self._give_back(worker)
        if status != "ok":
            raise RenderFailed(str(payload))
        return bytes(payload)

    def _take(self) -> _RenderProcess:
        try:
            return self.idle.get_nowait()
        except queue.Empty:
            pass
        with self.lock:
            if self.closed:
                raise RendererUnavailable("the chart renderer is shut down")
            if len(self.processes) < self.size:
                worker = _RenderProcess()
                self.processes.add(worker)
                return worker
        try:
            return self.idle.get(timeout=self.queue_timeout_s)
        except queue.Empty:
            raise RendererUnavailable("every chart renderer stayed busy; retry shortly") from None

    def _give_back(self, worker: _RenderProcess) -> None:
        with self.lock:
            if not self.closed:
                self.idle.put(worker)
                return
        worker.stop()

    def _drop(self, worker: _RenderProcess) -> None:
        with self.lock:
            self.processes.discard(worker)
        worker.stop()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            workers, self.processes = self.processes, set()
        for worker in workers:
            worker.stop()


_pool: RendererPool | None = None
_pool_lock = threading.Lock()


def renderer() -> RendererPool:
    """The process-wide render pool, created on first use (a process that never draws a chart never
    starts one); `shutdown_renderer` at app shutdown stops its processes."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = RendererPool()
        return _pool


def use_renderer(pool: RendererPool | None) -> RendererPool | None:
    """Swap the process-wide pool (tests); returns the previous one, which the caller closes."""
    global _pool
    with _pool_lock:
        previous, _pool = _pool, pool
    return previous


def shutdown_renderer() -> None:
    previous = use_renderer(None)
    if previous is not None:
        previous.close()


def render_svg(spec: dict[str, Any]) -> bytes:
    """Raises RendererUnavailable (answer 503) when the render process crashed or hung."""
    return renderer().render(("svg", xml_safe(spec), 1.0))


def render_png(spec: dict[str, Any], scale: float) -> bytes:
    """Raises RendererUnavailable (answer 503) when the render process crashed or hung."""
    return renderer().render(("png", xml_safe(spec), scale))
