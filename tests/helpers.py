"""Assertions and request-body helpers shared across test modules."""

from __future__ import annotations

import copy
import json
import math
import struct
import zlib
from typing import Any

import httpx


def assert_error_shape(
    response: httpx.Response, *, field: str | None = None, status: int = 422
) -> list[dict[str, Any]]:
    """The one JSON error shape: {"detail": [{"loc": [...], "msg": str, "type": str}]}, naming `field`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"}
    assert isinstance(body["detail"], list) and body["detail"]
    for item in body["detail"]:
        assert isinstance(item["loc"], list)
        assert isinstance(item["msg"], str) and item["msg"]
        assert isinstance(item["type"], str) and item["type"]
    if field is not None:
        named = [i for i in body["detail"] if field in [str(part) for part in i["loc"]] or field in i["msg"]]
        assert named, f"no error names {field!r}: {body['detail']}"
    return list(body["detail"])


def assert_all_finite(value: Any) -> None:
    text = json.dumps(value)
    assert "NaN" not in text and "Infinity" not in text
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for item in value.values():
            assert_all_finite(item)
    elif isinstance(value, list):
        for item in value:
            assert_all_finite(item)


DELETE = object()  # as a value for `with_change`: remove the key instead


def with_change(body: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """A deep copy of `body` with the item at `path` (keys and list indexes) set to `value`, or
    removed when `value` is DELETE."""
    changed = copy.deepcopy(body)
    target: Any = changed
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVE_COMMAND = ["-c", "from app.cli import main; raise SystemExit(main(['serve']))"]  # `breakeven serve`


def wait_until_serving(process: Any, base: str, seconds: float = 60) -> None:
    """Poll `base`/healthz until it answers 200; fail if the server exits first or takes too long."""
    import time
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert process.poll() is None, "the server exited while starting"
        assert time.monotonic() < deadline, f"the server did not answer /healthz within {seconds:g} s"
        time.sleep(0.1)


def png_pixels(png: bytes) -> tuple[int, int, bytes]:
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
