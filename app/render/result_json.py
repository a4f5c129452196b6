"""The JSON face of a scenario result: the body of POST /api/v1/breakeven and the page's JSON twin
(/scenario.json), a pure function of the typed result."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from app.catalog.litellm_prices import status_json, status_of_prices
from app.catalog.quality import QualityScore, quality_of
from app.core.self_hosted import RentPricing
from app.core.throughput import ThroughputEstimate
from app.core.units import TOKENS_PER_MTOK
from app.core.workload import Workload
from app.render.sentences import pair_explanation
from app.render.verdict_sentences import verdict_json
from app.scenario.evaluate import ApiResult, PairResult, ScenarioResult, SelfHostedResult, option_name
from app.scenario.inputs import SLOW_TOKENS_PER_SECOND_PER_USER
from app.scenario.verdict import Verdict, compute_verdict

# ---------------------------------------------------------------------------------------------
# JSON rendering of a result (the API's response body and the page's JSON twin)


def _tokens(workload: Workload, requests: float | None) -> float | None:
    return None if requests is None else workload.requests_to_tokens(requests)


def _per_mtok(monthly_cost: float, workload: Workload) -> float:
    return monthly_cost / (workload.tokens_per_month / TOKENS_PER_MTOK)


def _flat(value: Any) -> dict[str, Any]:
    """A flat dataclass's fields as a dict: dataclasses.asdict deep-copies, ten times slower."""
    return dict(vars(value))


def result_to_json(result: ScenarioResult, verdict: Verdict | None = None) -> dict[str, Any]:
    """`verdict`: the page's, with the headline pair's horizon and Monte Carlo (its JSON twin passes it);
    without it, the verdict of `result` alone (POST /api/v1/breakeven: `how_sure` and `horizon` null)."""
    workload = result.workload
    options_json: list[dict[str, Any]] = []
    for option in result.options:
        common = {
            "name": option_name(option),
            "monthly_cost": option.monthly_cost,
            "cost_per_request": option.monthly_cost / workload.requests_per_month,
            "cost_per_mtok": _per_mtok(option.monthly_cost, workload),
            "quality": quality_json(quality_of(option)),
        }
        if isinstance(option, ApiResult):
            options_json.append({"kind": "api", **common, **_api_json(option)})
        else:
            options_json.append({"kind": "self_hosted", **common, **_self_hosted_json(option)})
    return {
        "workload": {
            **_flat(workload),
            "tokens_per_request": workload.tokens_per_request,
            "tokens_per_month": workload.tokens_per_month,
        },
        "options": options_json,
        "cheapest": result.cheapest,
        "verdict": verdict_json(verdict if verdict is not None else compute_verdict(result)),
        "breakevens": [_pair_json(pair, workload) for pair in result.breakevens],
        "envelope": {
            "up_to_requests_per_month": result.envelope_up_to,
            "segments": [
                {
                    "from_requests_per_month": s.start,
                    "to_requests_per_month": s.end,
                    "from_tokens_per_month": workload.requests_to_tokens(s.start),
                    "to_tokens_per_month": workload.requests_to_tokens(s.end),
                    "cheapest": result.name_of(s.option_index),
                }
                for s in result.envelope
            ],
        },
        "conventions": {"currency": "USD", "hours_per_month": 730, "price_unit": "USD per million tokens"},
        "warnings": result.notes,
    }


def quality_json(score: QualityScore | None) -> dict[str, Any] | None:
    """An option's public quality score (app/catalog/quality.toml), or None: "no public score"."""
    if score is None:
        return None
    return {
        "score": score.score,
        "benchmark": score.benchmark.name,
        "source": score.source,
        "as_of": score.as_of,
        "confidence": score.confidence,
        "rated_as": score.arena_model,
    }


def _api_json(option: ApiResult) -> dict[str, Any]:
    prices = option.resolved.option.prices
    breakdown = option.breakdown
    # The second source (LiteLLM's price map): retirement date and a cross-check of the prices.
    status = status_of_prices(prices)
    return {
        "provider": prices.provider or None,
        "model": prices.model or None,
        "origin": option.origin,
        **status_json(status),
        "prices": {
            "standard": _flat(prices.standard),
            "batch": _flat(prices.batch) if prices.batch else None,
            "long_context_threshold_tokens": prices.long_context_threshold_tokens,
            "long_context": _flat(prices.long_context) if prices.long_context else None,
            "long_context_batch": _flat(prices.long_context_batch) if prices.long_context_batch else None,
            "context_window": prices.context_window,
            "time_of_day": prices.time_of_day or None,
            "time_of_day_windows": [
                {
                    "spans_utc": [list(span) for span in window.spans_utc],
                    "hours": window.hours,
                    "standard": _flat(window.standard),
                    "batch": _flat(window.batch) if window.batch else None,
                }
                for window in prices.time_of_day_windows
            ],
            "source": prices.source,
            "as_of": prices.as_of,
        },
        "negotiated_discount": option.resolved.option.negotiated_discount,
        "reasoning_tokens": option.resolved.option.reasoning_tokens,
        "reasons_by_default": option.resolved.reasons,
        "per_request_breakdown": {
            "uncached_input": breakdown.uncached_input,
            "cached_input": breakdown.cached_input,
            "cache_write": breakdown.cache_write,
            "output": breakdown.output,
            "reasoning_output": breakdown.reasoning_output,
            "discount": -breakdown.discount or 0.0,
            "tier": breakdown.tier,
            "batch_share": breakdown.batch_share,
        },
        "notes": [*breakdown.notes, *(status.notes if status else [])],
    }


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(value)  # sorted: the same estimate always serialises to the same JSON
    return value


def estimate_json(estimate: ThroughputEstimate) -> dict[str, Any]:
    data: dict[str, Any] = _json_ready(asdict(estimate))
    return data


def _sized_at(estimate: ThroughputEstimate | None) -> dict[str, Any] | None:
    """The latency each user gets at the batch the replica is sized for (None for a measured capacity)."""
    if estimate is None:
        return None
    per_user = 1 / estimate.time_per_output_token_seconds
    return {
        "concurrency": estimate.concurrency,
        "output_tokens_per_second_per_user": per_user,
        "time_to_first_token_seconds": estimate.time_to_first_token_seconds,
        "slow": per_user < SLOW_TOKENS_PER_SECOND_PER_USER,
    }


def _self_hosted_json(result: SelfHostedResult) -> dict[str, Any]:
    resolved = result.resolved
    option = resolved.option
    pricing = option.pricing
    per_gpu = pricing.breakdown_per_gpu()
    return {
        "model": resolved.model.id if resolved.model else None,
        "gpu": resolved.gpu.id if resolved.gpu else None,
        "gpu_count": option.gpu_count,
        "precision": resolved.precision,
        "precision_reason": resolved.precision_reason,
        "engine": resolved.engine,
        "reasoning_tokens": resolved.reasoning_tokens,
        "sized_at": _sized_at(resolved.estimate if option.capacity_source == "estimated" else None),
        "replicas": result.replicas,
        "gpus": result.replicas * option.gpu_count,
        "gpus_per_instance": result.gpus_per_instance,
        "instances": result.instances,
        "idle_gpus": result.idle_gpus,
        "replica_monthly_cost": option.replica_monthly_cost,
        "fixed_monthly_cost": option.fixed_monthly_cost,
        "marginal_cost_per_request": result.curve.marginal_cost_per_request,
        "capacity": {
            "source": option.capacity_source,
            "output_tokens_per_second": resolved.output_tokens_per_second,
            "requests_per_second": option.replica_requests_per_second,
            "requests_per_replica_per_month": result.requests_per_replica,
            "target_utilization": option.target_utilization,
            "estimate": estimate_json(resolved.estimate) if resolved.estimate else None,
        },
        "pricing": {
            "kind": "rent" if isinstance(pricing, RentPricing) else "buy",
            "label": resolved.pricing_label,
            **_flat(pricing),
            "monthly_cost_per_gpu": pricing.monthly_cost_per_gpu(),
            "monthly_cost_per_gpu_breakdown": per_gpu,
            "confidence": resolved.price_confidence,
            "note": resolved.price_note or None,
            "caveat": resolved.price_caveat,
        },
        "min_replicas": option.min_replicas,
        "redundancy": option.redundancy,
        "ops_fte": option.ops_fte,
        "ops_usd_per_fte_year": option.ops_usd_per_fte_year,
        "platform_usd_per_month": option.platform_usd_per_month,
    }


def _pair_json(pair: PairResult, workload: Workload) -> dict[str, Any]:
    solution = pair.solution
    return {
        "api": pair.api,
        "self_hosted": pair.self_hosted,
        "first_crossover_requests_per_month": solution.first_crossover,
        "first_crossover_tokens_per_month": _tokens(workload, solution.first_crossover),
        "stays_cheaper_above_requests_per_month": solution.stays_cheaper_above,
        "stays_cheaper_above_tokens_per_month": _tokens(workload, solution.stays_cheaper_above),
        "api_cheaper_again": [
            {"from_requests_per_month": r.start, "to_requests_per_month": r.end} for r in solution.api_cheaper_again
        ],
        "api_cheaper_again_count": solution.api_cheaper_again_count,
        "api_cost_per_request": solution.api_cost_per_request,
        "self_hosted_marginal_cost_per_request": solution.self_hosted_marginal_cost_per_request,
        "explanation": pair_explanation(pair),
    }
