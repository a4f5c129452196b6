"""The verdict (issue 16): one answer consistent with everything under it. Its volumes are the
envelope's; the winner is named first with its saving, whichever side wins; how sure and the horizon
are said, and said to disagree when they point the other way. And the overflow hybrid's default daily
shape: the workload's own peak-to-average, so it sizes replicas as the cost table does."""

from __future__ import annotations

import functools
import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.catalog.loader import load_catalog
from app.core.specs import Catalog
from app.core.uncertainty import MonteCarloResult, Percentiles
from app.render.verdict_sentences import verdict_sentences
from app.scenario.beyond import headline_evaluated, headline_pair
from app.scenario.beyond_inputs import HorizonIn
from app.scenario.evaluate import ApiResult, ScenarioResult, SelfHostedResult, evaluate, option_name
from app.scenario.horizon import evaluate_horizon
from app.scenario.hybrid import WORKLOAD_PROFILE_PEAK_HOUR, workload_profile
from app.scenario.inputs import ScenarioIn
from app.scenario.verdict import (
    Verdict,
    certainty_words,
    compute_verdict,
    horizon_outlook,
)
from app.web.beyond_view import hybrid_data
from app.web.form_fields import BeyondIn
from app.web.presets import presets


@functools.cache
def catalog() -> Catalog:
    return load_catalog()


FLAT_API = {"kind": "api", "name": "Flat API", "input_per_mtok": 1.0, "output_per_mtok": 1.0}


def rented(name: str, per_gpu_hour: float, tokens_per_second: float, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "self_hosted",
        "name": name,
        "model": "llama-3.3-70b",
        "gpu": "h100-sxm",
        "gpu_count": 1,
        "precision": "fp8",
        "pricing": {"kind": "rent", "per_gpu_hour": per_gpu_hour},
        "output_tokens_per_second": tokens_per_second,
        "target_utilization": 1.0,
        "min_replicas": 1,
        **extra,
    }


def scenario(volume: float, *options: dict[str, Any]) -> ScenarioIn:
    return ScenarioIn.model_validate(
        {
            "workload": {"requests_per_month": volume, "input_tokens": 500, "output_tokens": 500},
            "options": list(options),
            "hosted_alternatives": False,
        }
    )


# The README's example: $2/GPU-hour × 730 h = $1,460 a replica; 500 tok/s ÷ 500 output tokens = 1 request/s
# = 2,628,000 requests/month a replica; the API $1/Mtok × 1,000 tokens = $0.001 a request. Self-hosting
# becomes cheaper at 1,460,000 (1,460 ÷ 0.001), a second replica ($2,920) tips it back from 2,628,000 to
# 2,920,000, and it stays cheaper above 2,920,000.
H100 = rented("Llama on H100", 2.0, 500)


def evaluated(query: ScenarioIn) -> ScenarioResult:
    return evaluate(query, catalog())


def envelope_volumes(result: ScenarioResult) -> tuple[float | None, float | None]:
    """Read off the envelope here, independently: where a self-hosted option first wins, and where the last
    run of self-hosted wins begins (when the envelope ends on one)."""
    winners = [(s.start, isinstance(result.options[s.option_index], SelfHostedResult)) for s in result.envelope]
    first = next((start for start, sh in winners if sh), None)
    if not winners or not winners[-1][1]:
        return first, None
    index = len(winners) - 1
    while index > 0 and winners[index - 1][1]:
        index -= 1
    return first, winners[index][0]


def marks(verdict: Verdict) -> tuple[float | None, float | None]:
    first, stays = verdict.self_hosting_first_cheaper, verdict.self_hosting_stays_cheaper
    return (first.requests_per_month if first else None, stays.requests_per_month if stays else None)


# --- the volumes are the envelope's -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "first", "stays"),
    [
        (scenario(1_000_000, FLAT_API, H100), 1_460_000, 2_920_000),  # the README's figures, above
        (scenario(5_000_000, FLAT_API, H100), 1_460_000, 2_920_000),  # the same at any volume of the user's
        # A replica at $4/GPU-hour ($2,920) for 2,628,000 requests: it would beat the API ($0.001 a request)
        # only above 2,920,000 requests, beyond its capacity, and a full replica's $0.00111 a request is above
        # the API's: it never wins.
        (scenario(1_000_000, FLAT_API, rented("Dear H100", 4.0, 500)), None, None),
        # Two self-hosted options: the slow one ($1,460 for 1,314,000 requests at 250 tok/s) never wins
        # (its $0.00111 a request is above the API's beyond one replica, and at 1,314,000 the API costs
        # $1,314 < $1,460); the verdict's volumes are the fast one's, whichever is the cheapest today.
        (scenario(1_000_000, FLAT_API, rented("Slow H100", 2.0, 250), H100), 1_460_000, 2_920_000),
        # A cheap small replica ($0.50/GPU-hour = $365 for 1,314,000 requests, $0.000278 a request) wins from
        # 365,000 on and never loses again: 2 replicas $730 < API $1,314 at 1,314,000.
        (scenario(1_000_000, FLAT_API, H100, rented("Cheap H100", 0.5, 250)), 365_000, 365_000),
    ],
)
def test_the_verdict_s_volumes_are_the_envelope_s_by_hand(query: ScenarioIn, first: float, stays: float) -> None:
    result = evaluated(query)
    verdict = compute_verdict(result)
    assert marks(verdict) == pytest.approx((first, stays)) if first is not None else marks(verdict) == (None, None)
    assert marks(verdict) == envelope_volumes(result)


@pytest.mark.parametrize("hosted", ["on", "off"])
@pytest.mark.parametrize("preset", presets(), ids=lambda p: p.slug)
def test_every_preset_s_verdict_volumes_are_its_envelope_s(preset: Any, hosted: str) -> None:
    query = preset.scenario.model_copy(update={"hosted_alternatives": hosted == "on"})
    result = evaluated(query)
    verdict = compute_verdict(result)
    assert marks(verdict) == envelope_volumes(result)
    # The earliest volume a self-hosted option beats the cheapest per-token option is the least of the pairs'
    # first crossovers against it (per-token costs are lines: the cheapest is cheapest at every volume).
    apis = [o for o in result.options if isinstance(o, ApiResult)]
    cheapest_api = option_name(min(apis, key=lambda o: o.breakdown.per_request))
    crossings = [p.solution.first_crossover for p in result.breakevens if p.api == cheapest_api]
    earliest = min((c for c in crossings if c is not None), default=None)
    first, _ = marks(verdict)
    assert first == pytest.approx(earliest) if earliest is not None else first is None


# --- the winner is named first, with its saving --------------------------------------------------


def test_the_api_wins_named_first_with_its_saving() -> None:
    verdict = compute_verdict(evaluated(scenario(1_000_000, FLAT_API, H100)))
    # $1,460 − $1,000 = $460; 460 / 1,460 = 31.5%.
    assert (verdict.winner.name, verdict.winner.kind) == ("Flat API", "api")
    assert verdict.runner_up is not None and verdict.runner_up.name == "Llama on H100"
    assert verdict.saving is not None
    assert verdict.saving.usd_per_month == pytest.approx(460) and verdict.saving.fraction == pytest.approx(460 / 1460)
    words = verdict_sentences(verdict)
    assert words.headline == (
        "Flat API is cheapest at 1M requests/month: $1,000/month, $460 (32%) less than self-hosting Llama on H100."
    )
    assert words.volumes == (
        "Self-hosting becomes cheaper above 1.5M requests/month (Llama on H100) and stays cheaper above 2.9M."
    )


def test_self_hosting_wins_named_first_with_its_saving() -> None:
    verdict = compute_verdict(evaluated(scenario(2_000_000, FLAT_API, H100)))
    # One replica ($1,460) carries 2,000,000 ≤ 2,628,000; the API costs $2,000: $540 less, 540 / 2,000 = 27%.
    assert (verdict.winner.name, verdict.winner.kind) == ("Llama on H100", "self_hosted")
    assert verdict.saving is not None and verdict.saving.usd_per_month == pytest.approx(540)
    assert verdict_sentences(verdict).headline == (
        "Self-hosting Llama on H100 is cheapest at 2M requests/month: $1,460/month, $540 (27%) less than Flat API."
    )


def test_a_hosted_open_model_is_named_as_one() -> None:
    preset = next(p for p in presets() if p.slug == "support-chatbot")
    verdict = compute_verdict(evaluated(preset.scenario))
    assert verdict.winner.kind == "hosted" and verdict.runner_up is not None
    assert verdict.runner_up.kind == "self_hosted"  # the other side's cheapest
    assert verdict_sentences(verdict).headline.startswith(f"{verdict.winner.name} (hosted open model) is cheapest")


def test_one_side_only_names_the_cheapest_of_its_kind() -> None:
    verdict = compute_verdict(evaluated(scenario(1_000_000, FLAT_API)))
    assert verdict.runner_up is None and verdict.self_hosting_first_cheaper is None
    assert verdict_sentences(verdict).headline == "At 1M requests/month, Flat API is the cheapest API at $1,000/month."


# --- how sure -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "words"),
    [
        (1.0, "almost certain"),
        (0.9, "almost certain"),
        (0.8999, "likely"),
        (0.7, "likely"),
        (0.6999, "coin flip"),
        (0.5, "coin flip"),
        (0.3, "coin flip"),
        (0.2999, "unlikely"),
        (0.0, "unlikely"),
    ],
)
def test_the_words_for_the_monte_carlo_share_at_the_thresholds(share: float, words: str) -> None:
    assert certainty_words(share) == words


@given(st.floats(0, 1), st.floats(0, 1))
def test_the_words_never_grow_less_sure_as_the_share_grows(a: float, b: float) -> None:
    order = ["unlikely", "coin flip", "likely", "almost certain"]
    low, high = sorted((a, b))
    assert order.index(certainty_words(low)) <= order.index(certainty_words(high))


def monte_carlo(probability_self_hosted_cheaper: float) -> MonteCarloResult:
    """A Monte Carlo answer with the one figure the verdict reads."""
    anything = Percentiles(1.0, 1.0, 1.0, 0.0)
    return MonteCarloResult(
        10_000, 0, anything, anything, anything, anything, anything, probability_self_hosted_cheaper
    )


def test_how_sure_is_read_for_the_winner_and_said_to_disagree_below_half() -> None:
    result = evaluated(scenario(2_000_000, FLAT_API, H100))  # self-hosting wins
    sure = compute_verdict(result, monte_carlo=monte_carlo(0.93))
    assert sure.how_sure is not None and sure.how_sure.words == "almost certain" and not sure.disagreements
    doubtful = compute_verdict(result, monte_carlo=monte_carlo(0.45))
    assert doubtful.how_sure is not None and doubtful.how_sure.words == "coin flip"
    words = verdict_sentences(doubtful)
    assert words.disagreements == ("The uncertainty points the other way: Flat API is cheaper in 55% of 10,000 draws.",)
    # The API winning: the share is the draws in which self-hosting is not cheaper, 1 − 0.2 = 80%.
    api_wins = compute_verdict(evaluated(scenario(1_000_000, FLAT_API, H100)), monte_carlo=monte_carlo(0.2))
    assert api_wins.how_sure is not None and api_wins.how_sure.winner_cheaper_share == pytest.approx(0.8)
    assert "How sure: likely (Flat API stays cheaper in 80% of 10,000 draws" in verdict_sentences(api_wins).lines[1]


# --- the horizon --------------------------------------------------------------------------------


def horizon_verdict(query: ScenarioIn, **settings: Any) -> Verdict:
    result = evaluated(query)
    pair = headline_pair(query, result)
    assert pair is not None
    body = HorizonIn(workload=query.workload, api=pair.api, self_hosted=pair.self_hosted, **settings)
    answer = evaluate_horizon(body, catalog(), None, headline_evaluated(result, pair))
    return compute_verdict(result, horizon_outlook(answer.solved, answer.api_name, answer.self_hosted_name))


def test_a_small_self_hosted_saving_against_falling_api_prices_disagrees() -> None:
    # At 3M two replicas cost $2,920 against the API's $3,000: self-hosting saves $80 (2.7%) today. With API
    # prices falling 50%/year (the default) the API costs 3,000 × 0.5^(1/12) = $2,830 in the second month,
    # below $2,920 from then on: over 36 months staying on the API is cheaper, before any migration cost.
    verdict = horizon_verdict(scenario(3_000_000, FLAT_API, H100))
    assert verdict.winner.kind == "self_hosted"
    assert verdict.horizon is not None and verdict.horizon.plan == "api"
    assert verdict.horizon.api_price_change_is_default
    words = verdict_sentences(verdict)
    assert words.disagreements == (
        "Self-hosting wins today, but Flat API is cheaper over 36 months if API prices fall 50%/year.",
    )
    assert words.horizon is not None and words.horizon.startswith("Over 36 months, staying on Flat API is cheapest: $")
    assert words.horizon.endswith("(API prices −50%/year, the default from Epoch AI's trend).")


def test_the_horizon_agreeing_is_said_without_a_disagreement() -> None:
    # Flat API prices: at 3M the saving of $80 a month over 36 months ($2,880) is below 4 engineer-weeks of
    # migration, so the API is still cheapest; at 5M (two replicas, $2,920 against $5,000) self-hosting
    # saves $2,080 a month and the horizon agrees.
    verdict = horizon_verdict(scenario(5_000_000, FLAT_API, H100), api_price_change_per_year=0.0)
    assert verdict.horizon is not None and verdict.horizon.plan == "self_hosted" and not verdict.disagreements
    words = verdict_sentences(verdict)
    assert words.horizon is not None and "(API prices 0%/year, your setting)" in words.horizon


def test_the_api_winning_today_and_self_hosting_over_time_disagree() -> None:
    # At 1.3M the API ($1,300) beats one replica ($1,460); with traffic growing 10% a month the volume passes
    # 1,460,000 in month 3 (1.3M × 1.1² = 1.573M) and self-hosting pays for its migration over 36 months.
    verdict = horizon_verdict(scenario(1_300_000, FLAT_API, H100), monthly_growth=0.1, api_price_change_per_year=0.0)
    assert verdict.winner.name == "Flat API"
    assert verdict.horizon is not None and verdict.horizon.plan in ("self_hosted", "switch")
    (line,) = verdict_sentences(verdict).disagreements
    assert line.startswith("Flat API wins today, but self-hosting Llama on H100")
    assert "with traffic growing 10%/month (API prices 0%/year)." in line


# --- the page, its JSON twin and the API ---------------------------------------------------------


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


SMALL_SAVING = (
    "volume=3000000&input_tokens=500&output_tokens=500&hosted=off"
    "&api.0.name=Flat+API&api.0.input_per_mtok=1&api.0.output_per_mtok=1"
    "&sh.1.name=Llama+on+H100&sh.1.model=llama-3.3-70b&sh.1.gpu=h100-sxm&sh.1.gpu_count=1&sh.1.precision=fp8"
    "&sh.1.per_gpu_hour=2&sh.1.output_tps=500&sh.1.utilization_pct=100"
)


def test_the_page_says_the_disagreement_and_links_the_price_trend(client: TestClient) -> None:
    page = client.get("/?" + SMALL_SAVING)
    assert page.status_code == 200, page.text[:500]
    verdict = page.text.split('id="verdict"', 1)[1].split("</div>", 1)[0]
    text = text_of(verdict)
    # Two replicas, $2,920, against the API's $3,000: $80.00 less, 80 / 3,000 = 2.7% → "3%".
    assert "Self-hosting Llama on H100 is cheapest at 3M requests/month: $2,920/month, $80.00 (3%) less than" in text
    assert "Self-hosting wins today, but Flat API is cheaper over 36 months if API prices fall 50%/year." in text
    assert "How sure: " in text
    assert 'href="#f-h.api_price_change_pct"' in verdict and 'id="f-h.api_price_change_pct"' in page.text
    twin = client.get("/scenario.json?" + SMALL_SAVING).json()["verdict"]
    assert twin["horizon"]["plan"] == "api" and twin["how_sure"]["draws"] == 10_000
    assert {"source": "horizon", "favours": "Flat API"} in twin["disagreements"]
    assert twin["headline"] in text and all(line in text for line in twin["lines"])


# --- the hybrid's default daily shape -----------------------------------------------------------


@pytest.mark.parametrize("peak", [1.0, 1.5, 2.5, 3.0, 24.0])
def test_the_workload_profile_has_the_workload_s_peak_and_a_mean_of_1(peak: float) -> None:
    profile = workload_profile(peak)
    assert len(profile) == 24 and sum(profile) == pytest.approx(24)
    assert max(profile) == pytest.approx(peak) and profile[WORKLOAD_PROFILE_PEAK_HOUR] == pytest.approx(peak)
    # The other 23 hours alike: (24 − peak) / 23, e.g. (24 − 2.5) / 23 = 0.9348 for 2.5.
    rest = profile[:WORKLOAD_PROFILE_PEAK_HOUR] + profile[WORKLOAD_PROFILE_PEAK_HOUR + 1 :]
    assert rest == pytest.approx(tuple((24 - peak) / 23 for _ in range(23)))


def test_a_peak_beyond_one_hour_s_traffic_is_capped_at_24() -> None:
    assert workload_profile(30.0) == tuple(24.0 if h == WORKLOAD_PROFILE_PEAK_HOUR else 0.0 for h in range(24))


@pytest.mark.parametrize("preset", presets(), ids=lambda p: p.slug)
def test_the_hybrid_sizes_self_hosting_as_the_cost_table_by_default(preset: Any) -> None:
    query = preset.scenario.model_copy(update={"hosted_alternatives": False})
    result = evaluated(query)
    pair = headline_pair(query, result)
    assert pair is not None
    answer = hybrid_data(query, pair, BeyondIn(), catalog())
    table = next(o for o in result.options if option_name(o) == pair.self_hosted.name)
    assert isinstance(table, SelfHostedResult)
    assert answer.solved.all_self_hosted.replicas == table.replicas, preset.slug  # type: ignore[union-attr]
    assert answer.solved.all_self_hosted.monthly_cost == pytest.approx(table.monthly_cost)  # type: ignore[union-attr]
    assert answer.replaced_peak_to_average is None  # type: ignore[union-attr]


def _quality_scenario(api_model: str) -> ScenarioIn:
    return ScenarioIn.model_validate(
        {
            "workload": {"requests_per_month": 1_000_000, "input_tokens": 1000, "output_tokens": 300},
            "options": [
                {"kind": "api", "name": "API", "provider": "openai", "model": api_model},
                {
                    "kind": "self_hosted",
                    "name": "Llama 8B",
                    "model": "llama-3.1-8b",
                    "gpu": "l40s",
                    "pricing": {"kind": "rent", "per_gpu_hour": 1.0},
                },
            ],
            "hosted_alternatives": False,
        }
    )


def test_the_verdict_puts_capability_beside_cost() -> None:
    # GPT-5 and Llama 3.1 8B sit more than 100 LMArena points apart (app/catalog/quality.toml): the
    # verdict names both scores and says they may not do the same job.
    from app.catalog.quality import score_for_api, score_for_model

    gpt5, llama = score_for_api("openai", "gpt-5"), score_for_model("llama-3.1-8b")
    assert gpt5 is not None and llama is not None and gpt5.score - llama.score > 100
    verdict = compute_verdict(evaluate(_quality_scenario("gpt-5"), load_catalog()))
    assert verdict.quality is not None and verdict.quality.far_apart
    line = verdict_sentences(verdict).quality
    assert line is not None
    assert f"{gpt5.score:,.0f}" in line and f"{llama.score:,.0f}" in line and "Far apart" in line
    assert gpt5.benchmark.name in line


def test_a_model_without_a_public_score_says_so() -> None:
    verdict = compute_verdict(evaluate(_quality_scenario("gpt-5.6-sol"), load_catalog()))
    line = verdict_sentences(verdict).quality
    assert line is not None and "API has no public score" in line and "Far apart" not in line


def test_a_hosted_winner_is_set_against_the_cheapest_closed_api() -> None:
    # The agent preset: Qwen3 235B hosted on Fireworks wins; the headline still says what the cheapest closed
    # API the user chose costs beside it (the mission's question is open against closed).
    from app.web.presets import presets

    agent = next(p for p in presets() if p.slug == "agent-platform")
    result = evaluate(agent.scenario, load_catalog())
    verdict = compute_verdict(result)
    assert verdict.winner.kind == "hosted" and verdict.closed_api is not None
    closed = [o for o in result.options if isinstance(o, ApiResult) and o.origin == "user"]
    cheapest_closed = min(closed, key=lambda o: o.monthly_cost)
    assert verdict.closed_api.name == option_name(cheapest_closed)
    head = verdict_sentences(verdict).headline
    assert f"The cheapest closed API, {verdict.closed_api.name}, costs" in head
    ratio = cheapest_closed.monthly_cost / verdict.winner.monthly_cost
    assert f"{ratio:.1f}× as much" in head
