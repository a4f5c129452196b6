"""The app makes no outbound network request: every figure it needs ships with it."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.test_embeds import SCENARIO, query

LOOPBACK = ("127.", "::1", "localhost")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if not str(host).startswith(LOOPBACK) and sock.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError(f"outbound connection to {address} attempted")
        return real_connect(sock, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host and not str(host).startswith(LOOPBACK):
            attempts.append(host)
            raise OSError(f"name lookup of {host} attempted")
        return real_getaddrinfo(host, *args, **kwargs)

    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    return attempts


def test_every_face_works_without_the_network(client: TestClient, no_network: list[Any]) -> None:
    assert client.post("/api/v1/breakeven", json=SCENARIO).status_code == 200
    assert client.get("/api/v1/catalog/api-models").status_code == 200
    assert client.get("/?" + query()).status_code == 200
    assert client.get("/chart.svg?" + query()).status_code == 200
    assert client.get("/chart.png?" + query(scale=1)).status_code == 200
    saved = client.post("/api/v1/scenarios", json=SCENARIO).json()
    assert client.get(saved["links"]["chart_svg"]).status_code == 200
    assert client.get("/docs").status_code == 200
    assert no_network == []
