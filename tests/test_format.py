"""The one set of display formatters (app/render/format.py), and that the page's cost table and the
sentence beside it now print the same figure for the same amount (issues 13 and 16)."""

from __future__ import annotations

import math
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from app.core.breakeven import PairBreakeven, VolumeRange
from app.render.format import (
    entered_price,
    money,
    money_per_request,
    number,
    percent,
    plural,
    price_per_mtok,
    tokens,
    volume,
)
from app.render.sentences import pair_explanation
from app.scenario.evaluate import PairResult
from app.web.presets import presets


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1460.0, "$1,460"),
        (1_234_567.89, "$1,234,568"),
        (100.0, "$100"),
        (99.999, "$100"),  # rounds to a hundred: whole dollars, not "$100.00"
        (99.5, "$99.50"),
        (12.345, "$12.35"),
        (1.0, "$1.00"),
        (0.9996, "$1.00"),
        (0.5, "$0.50"),  # at least two decimals
        (0.25, "$0.25"),  # not "$0.250"
        (0.123, "$0.123"),
        (0.0123, "$0.0123"),  # issue 13: the table's figure, now the sentence's too
        (0.001, "$0.001"),
        (0.0011250000000000001, "$0.00113"),
        (9.41e-05, "$0.0000941"),  # issue 16: never "$9.41e-05"
        (1e-9, "$0.000000001"),
        (0.0, "$0.00"),
        (-460.0, "−$460"),  # a negative saving
        (-5.0, "−$5.00"),
        (-0.0123, "−$0.0123"),
        (None, "–"),
        (math.inf, "–"),
        (math.nan, "–"),
    ],
)
def test_money(value: float | None, expected: str) -> None:
    assert money(value) == expected


def test_money_per_request_reads_the_same_figure_as_money() -> None:
    assert money_per_request(9.41e-05) == "$0.0000941 per request"  # issue 16: was "$9.41e-05 per request"
    assert money_per_request(0.0123) == "$0.0123 per request"  # issue 13: was "$0.01 per request"
    assert money_per_request(None) == "– per request"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.5, "$2.50/Mtok"),
        (0.0929, "$0.0929/Mtok"),
        (150.0, "$150/Mtok"),
        (None, "–"),
    ],
)
def test_price_per_mtok(value: float | None, expected: str) -> None:
    assert price_per_mtok(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2.95, "$2.95"),
        (1.2345, "$1.2345"),
        (194.95, "$194.95"),
        (38750.0, "$38,750"),
        (2.0, "$2.00"),
        (0.0929, "$0.0929"),
    ],
)
def test_entered_price_keeps_the_cents_it_was_given(value: float, expected: str) -> None:
    assert entered_price(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (591_000, "591k"),
        (1_500, "1.5k"),
        (1_600_000, "1.6M"),
        (1_000_000, "1M"),
        (25_000_000, "25M"),
        (2.5e9, "2.5B"),
        (1.2e12, "1.2T"),
        (999_652, "1M"),  # rounds up into the next suffix, not "1000k"
        (999.96, "1k"),
        (999.6e9, "1T"),
        (1e15, "1,000T"),  # issue 16: never "1000T"
        (9.996e14, "1,000T"),
        (2.5e16, "25,000T"),
        (750, "750"),
        (12.5, "12.5"),
        (1, "1"),
        (0, "0"),
        (0.25, "0.25"),
        (0.996, "1"),
        (3e-7, "0.0000003"),  # never scientific
        (-1_500, "−1.5k"),
        (None, "–"),
        (math.inf, "–"),
    ],
)
def test_volume(value: float | None, expected: str) -> None:
    assert volume(value) == expected


def test_tokens() -> None:
    assert tokens(1.5e9) == "1.5B tokens"
    assert tokens(1e15) == "1,000T tokens"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1_460_000.3, 0, "1,460,000"),
        (2.5, 0, "2.5"),  # a fraction below 10 keeps three significant figures
        (1.5, 1, "1.5"),
        (0.6234, 2, "0.62"),
        (5e-5, 0, "0.00005"),  # never "5e-05"
        (-2.5, 0, "-2.5"),
        (None, 0, "–"),
    ],
)
def test_number(value: float | None, decimals: int, expected: str) -> None:
    assert number(value, decimals) == expected


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(0.25, "25%"), (1.0, "100%"), (0.125, "12.5%"), (0.001234, "0.12%"), (0.0, "0%"), (None, "–")],
)
def test_percent(fraction: float | None, expected: str) -> None:
    assert percent(fraction) == expected


def test_plural() -> None:
    assert plural(1, "replica") == "1 replica"
    assert plural(0, "GPU") == "0 GPUs"
    assert plural(1200, "replica") == "1,200 replicas"


def _pair(first: float | None, stays: float | None, api_per_request: float, marginal: float) -> PairResult:
    solution = PairBreakeven(
        first_crossover=first,
        stays_cheaper_above=stays,
        api_cheaper_again=(VolumeRange(2_628_000, 2_920_000),) if first and stays and stays > first else (),
        api_cheaper_again_count=1 if first and stays and stays > first else 0,
        api_cost_per_request=api_per_request,
        self_hosted_marginal_cost_per_request=marginal,
    )
    return PairResult(
        "Flat API", "Llama on H100", solution, replica_monthly_cost=1460.0, requests_per_replica=2_628_000
    )


def test_the_break_even_sentence_prints_tiny_costs_without_exponents() -> None:
    text = pair_explanation(_pair(1_460_000, 2_920_000, 0.001, 9.41e-05))
    assert text == (
        "Llama on H100 becomes cheaper than Flat API at 1,460,000 requests/month and stays cheaper above "
        "2,920,000 requests/month: at full replicas it costs $0.0000941 per request against Flat API's $0.001. "
        "In between, 1 range where a newly added replica makes Flat API cheaper again (the first from 2,628,000 "
        "to 2,920,000 requests/month)."
    )
    never = pair_explanation(_pair(None, None, 0.0001, 0.0123))
    assert "$0.0123 per request, which is not below Flat API's $0.0001 per request" in never
    assert "e-0" not in text + never


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_the_cost_table_and_the_verdict_print_the_same_cost_per_request(client: TestClient) -> None:
    # The agent platform's cheapest API costs $0.01488 a request: "$0.0149" in the table, and the
    # sentence under the verdict used to round it to "$0.01".
    preset = next(p for p in presets() if p.slug == "agent-platform")
    # Without the hosted Qwen offers (issue 14), whose verdict then names them instead.
    response = client.get(preset.href + "&hosted=off")
    assert response.status_code == 200
    html = response.text
    verdict = _text(html.split('<ul class="details">', 1)[1].split("</ul>", 1)[0])
    api = "Claude Sonnet 5.5"
    row = next(r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S) if api in r and "<td" in r)
    cells = [_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    per_request = cells[2]  # per month, per Mtok, per request
    assert per_request == "$0.0149"
    assert f"against {api}'s {per_request}." in verdict
