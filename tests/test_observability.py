"""Request ids, structured access logs and Prometheus metrics (issue: observability)."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.observability import ACCESS_LOGGER, JsonFormatter, sane_request_id
from tests.helpers import assert_error_shape
from tests.test_embeds import query

HEX32 = re.compile(r"[0-9a-f]{32}")


def metric_value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[len(name) : line.rindex("}") + 1]))
        if found == labels:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_request_id_is_echoed_when_given(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123.DEF_4"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "abc-123.DEF_4"


def test_request_id_is_generated_when_missing(client: TestClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert HEX32.fullmatch(first) and HEX32.fullmatch(second)
    assert first != second


@pytest.mark.parametrize("bad", ["a" * 200, "a" * 65, "abc\r\nX-Evil: 1", "a b", "<script>", "", "ü"])
def test_insane_request_id_is_replaced(bad: str) -> None:
    assert HEX32.fullmatch(sane_request_id(bad))


@pytest.mark.parametrize("bad", ["a" * 200, "a" * 65, "abc X-Evil: 1", "<script>"])
def test_insane_request_id_header_is_replaced(client: TestClient, bad: str) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": bad})
    assert HEX32.fullmatch(response.headers["x-request-id"])
    assert "x-evil" not in response.headers


def test_sane_request_id_limits() -> None:
    assert sane_request_id("a" * 64) == "a" * 64
    assert sane_request_id(None) != sane_request_id(None)


def test_one_json_access_line_per_request(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        response = client.get("/s/nope/chart.svg", headers={"X-Request-ID": "req-1"})
        client.get("/no/such/page")
    lines = [json.loads(JsonFormatter().format(record)) for record in caplog.records if record.name == ACCESS_LOGGER]
    assert len(lines) == 2
    chart, missing = lines
    assert set(chart) == {"ts", "level", "request_id", "method", "route", "path", "status", "duration_ms", "client"}
    assert chart["request_id"] == "req-1"
    assert chart["method"] == "GET"
    assert chart["route"] == "/s/{scenario_id}/chart.svg"
    assert chart["path"] == "/s/nope/chart.svg"
    assert chart["status"] == response.status_code
    assert chart["duration_ms"] >= 0
    assert chart["level"] == "info"
    assert missing["route"] == "unmatched" and missing["status"] == 404


def test_json_formatter_writes_one_line_for_plain_records() -> None:
    record = logging.LogRecord("breakeven.x", logging.WARNING, __file__, 1, "two\nlines %s", ("here",), None)
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["level"] == "warning" and line["logger"] == "breakeven.x" and line["msg"] == "two\nlines here"


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert metric_value(text, "breakeven_requests_total", method="GET", route="/healthz", status="200") == 2
    assert "breakeven_request_duration_seconds_bucket" in text
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_metrics_count_chart_render_cache_hits_and_misses(client: TestClient) -> None:
    url = "/chart.svg?" + query(width=320, height=200)
    before = client.get("/metrics").text
    assert metric_value(before, "breakeven_chart_renders_total", result="hit") == 0
    assert metric_value(before, "breakeven_chart_renders_total", result="miss") == 0
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200, first.text
    after = client.get("/metrics").text
    assert metric_value(after, "breakeven_chart_renders_total", result="miss") == 1
    assert metric_value(after, "breakeven_chart_renders_total", result="hit") == 1
    assert metric_value(after, "breakeven_requests_total", method="GET", route="/chart.svg", status="200") == 2


def test_apps_have_separate_registries(tmp_path: Path) -> None:
    one = TestClient(create_app(Settings(data_dir=tmp_path / "one")))
    two = TestClient(create_app(Settings(data_dir=tmp_path / "two")))
    one.get("/healthz")
    text = two.get("/metrics").text
    assert metric_value(text, "breakeven_requests_total", method="GET", route="/healthz", status="200") == 0


def test_metrics_can_be_turned_off(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data", metrics_enabled=False)))
    assert_error_shape(client.get("/metrics"), status=404)


def test_text_log_format_is_accepted(tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path / "data", log_format="text")))
    assert client.get("/healthz").status_code == 200
    with pytest.raises(ValueError):
        Settings(log_format="xml")  # type: ignore[arg-type]
