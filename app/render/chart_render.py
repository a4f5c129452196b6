"""Server-side rendering of chart figures to SVG (app/render/svg_figure.py, in this process) and PNG (that
SVG rasterised by resvg through vl-convert, in a small pool of render processes), an in-process LRU of
renders bounded in bytes, and strong ETags.

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
from typing import Any

from app.render.figure import Figure
from app.render.svg_figure import render_svg as draw_svg

logger = logging.getLogger("breakeven.charts")  # under the app logger: JSON lines (app/web/observability.py)

# Part of every chart's cache key and ETag: bump the number whenever the drawing changes (regenerating
# app/render/fonts/dejavu-sans.json included), so caches and browsers holding an image as immutable fetch
# the new one (2: issue 16's line styles, keyed labels, legend;
# 3: clipped lines in one clip group, label limits dropped where unreachable: the same drawing, other bytes;
# 4: the horizon and tornado subtitles wrapped to the image's width, the horizon legend within it; 5: drawn by
# app/render/svg_figure.py instead of Vega-Lite, PNG rasterised by vl-convert's resvg).
RENDERER = f"breakeven-charts-5/resvg-vl-convert-{version('vl-convert-python')}"


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


# --- renderer isolation ---------------------------------------------------------------------------
#
# vl-convert is native code (Rust). On some inputs it does not raise but panics, and the Rust runtime aborts
# the whole process: a name holding U+0001 made it fail to parse its own SVG text
# (`ParsingFailed(NonXmlChar(..))`) and took the server down with no 500 and no log line (issue 12).
# So PNG rasterisation runs in separate processes: a crash or a hang costs one request a 503, never the
# server. SVG is drawn by our own code in this process (app/render/svg_figure.py), which cannot abort it.


class RendererUnavailable(RuntimeError):
    """The render process died or hung on this request, or none was free in time. Answer 503 with
    Retry-After and cache nothing: the pool has already dropped that process, so a retry gets a fresh one."""


class RenderFailed(RuntimeError):
    """vl-convert raised an ordinary error on a spec (a bug in a spec builder, not in the request)."""


RenderRequest = tuple[str, float]  # (an SVG document, the PNG's scale)
# The warm-up is shaped like a chart: text in the charts' font (resvg loads the font database on first use),
# lines, a dashed line and a clip path.
_WARM_UP_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200" font-family="DejaVu Sans, sans-serif">'
    '<defs><clipPath id="c"><rect x="40" y="20" width="260" height="140"/></clipPath></defs>'
    '<rect width="320" height="200" fill="#fff"/>'
    '<text x="5" y="14" font-size="13" font-weight="bold">Warm-up $1k</text>'
    '<g clip-path="url(#c)" fill="none"><path d="M40,160L300,20" stroke="#0072B2" stroke-width="2.5"/>'
    '<path d="M40,120L300,60" stroke="#D55E00" stroke-width="2.5" stroke-dasharray="6 4"/></g>'
    '<text x="150" y="190" font-size="10" text-anchor="middle" stroke="#fff" stroke-width="4" paint-order="stroke">'
    "10M</text>"
    "</svg>"
)


def _render_here(request: RenderRequest) -> bytes:
    import vl_convert  # only render processes load the rasteriser

    svg, scale = request
    return bytes(vl_convert.svg_to_png(svg, scale=scale))


def serve_renders(connection: Connection) -> None:
    """A render process: warm the rasteriser up (its first PNG loads the font database), say "ready", then
    answer ("ok", bytes) or ("error", message) to each request until the server closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; the server stops us
    _render_here((_WARM_UP_SVG, 1.0))
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


def render_svg(figure: Figure) -> bytes:
    """`figure` as SVG, drawn here: pure Python, no render process."""
    return draw_svg(figure).encode()


def render_png(figure: Figure, scale: float) -> bytes:
    """`figure` as PNG (its SVG rasterised at `scale`); raises RendererUnavailable (answer 503) when the render
    process crashed or hung."""
    return renderer().render((draw_svg(figure, outlined_text=True), scale))
