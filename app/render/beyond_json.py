"""The JSON face of the views beyond one crossover: the bodies of POST /api/v1/hybrid, /horizon,
/uncertainty and /factors (and GET /factors/requirements), pure functions of the typed results.

Every number carries its unit in its name; every body says how it was computed (`formulas`) and
where its defaults come from (`sources`).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from app.core import factors as factors_core
from app.core import horizon as horizon_core
from app.core import hybrid as hybrid_core
from app.core import uncertainty as uncertainty_core
from app.core.units import TOKENS_PER_MTOK
from app.core.workload import Workload
from app.render.beyond_sentences import (
    engineer_week_source,
    horizon_explanation,
    overflow_explanation,
    overflow_notes,
    routed_explanation,
    uncertainty_explanation,
)
from app.render.result_json import estimate_json, result_to_json
from app.scenario.evaluate import ApiResult, ScenarioResult, SelfHostedResult
from app.scenario.factors import FactorsAnswer
from app.scenario.horizon import HorizonAnswer
from app.scenario.hybrid import HybridAnswer, OverflowAnswer, RoutedAnswer
from app.scenario.uncertainty import UncertaintyAnswer

CONVENTIONS = {"currency": "USD", "hours_per_month": 730, "price_unit": "USD per million tokens"}


def finite_or_none(value: float | None) -> float | None:
    """JSON has no infinity: an infinite break-even ("never") is null."""
    return value if value is not None and math.isfinite(value) else None


def _api_summary(result: ApiResult, workload: Workload) -> dict[str, Any]:
    prices = result.resolved.option.prices
    return {
        "name": result.resolved.option.name,
        "cost_per_request": result.breakdown.per_request,
        "cost_per_mtok": result.breakdown.per_request / workload.tokens_per_request * TOKENS_PER_MTOK,
        "input_per_mtok": prices.standard.input_per_mtok,
        "output_per_mtok": prices.standard.output_per_mtok,
        "price_source": prices.source,
        "price_as_of": prices.as_of,
    }


def _self_hosted_summary(result: SelfHostedResult) -> dict[str, Any]:
    option = result.resolved.option
    return {
        "name": option.name,
        "gpu_count_per_replica": option.gpu_count,
        "replica_monthly_cost": option.replica_monthly_cost,
        "fixed_monthly_cost": option.fixed_monthly_cost,
        "replica_requests_per_second": option.replica_requests_per_second,
        "target_utilization": option.target_utilization,
        "output_tokens_per_second": result.resolved.output_tokens_per_second,
        "capacity_source": option.capacity_source,
        "pricing_label": result.resolved.pricing_label,
        "pricing_source": option.pricing.source,
        "min_replicas": option.min_replicas,
        "redundancy": option.redundancy,
    }


def _workload_json(workload: Workload) -> dict[str, Any]:
    return {
        "requests_per_month": workload.requests_per_month,
        "tokens_per_month": workload.tokens_per_month,
        "input_tokens": workload.input_tokens,
        "output_tokens": workload.output_tokens,
        "tokens_per_request": workload.tokens_per_request,
    }


# ---------------------------------------------------------------------------------------------
# Factors besides cost


def requirement_json(requirement: factors_core.Requirement) -> dict[str, Any]:
    return {
        **asdict(requirement),
        "factor_label": factors_core.FACTOR_LABELS[requirement.factor],
    }


def requirements_catalog_json() -> dict[str, Any]:
    return {
        "factors": [{"id": fid, "label": label} for fid, label in factors_core.FACTOR_LABELS.items()],
        "requirements": [requirement_json(r) for r in factors_core.REQUIREMENTS],
        "count": len(factors_core.REQUIREMENTS),
        "note": "Requirements are shown beside the cost, never converted into money or a score.",
    }


def factors_json(answer: FactorsAnswer) -> dict[str, Any]:
    result = answer.assessment
    return {
        "options": [{"name": o.name, "kind": o.kind} for o in answer.options],
        "requirements": [
            {
                **requirement_json(v.requirement),
                "favoured_options": list(v.favoured_options),
                "other_options": list(v.other_options),
                "ruled_out_options": list(v.ruled_out),
            }
            for v in result.verdicts
        ],
        "ruled_out_options": list(result.ruled_out),
        "requirements_favouring": {side: list(ids) for side, ids in result.favouring.items()},
        "note": "Shown beside the numbers: each requirement says which option it favours and why, without a "
        "dollar value or a score.",
    }


def _beyond_cost_json(answer: FactorsAnswer | None) -> dict[str, Any] | None:
    """The factors besides cost for the options of a view; null when no requirement is marked."""
    return factors_json(answer) if answer is not None else None


def _scenario_json(scenario: ScenarioResult, included: bool) -> dict[str, Any]:
    """The pair's own scenario, as POST /api/v1/scenarios answers it. The page's blocks leave it out
    (`include_scenario=False`): the page shows that result already, and serialising it cost a view three
    result_to_json calls that nothing read."""
    return {"scenario": result_to_json(scenario)} if included else {}


# ---------------------------------------------------------------------------------------------
# Hybrid


def hybrid_json(answer: HybridAnswer, *, include_scenario: bool = True) -> dict[str, Any]:
    if isinstance(answer, OverflowAnswer):
        return overflow_json(answer, include_scenario=include_scenario)
    return routed_json(answer)


def _point_json(
    point: hybrid_core.OverflowPoint, workload: Workload, gpus_per_replica: int, redundancy: int
) -> dict[str, Any]:
    volume = workload.requests_per_month
    with_redundancy = point.replicas + redundancy if point.replicas else 0
    return {
        "replicas": point.replicas,
        "replicas_with_redundancy": with_redundancy,
        "gpus": with_redundancy * gpus_per_replica,
        "monthly_cost": point.monthly_cost,
        "self_hosted_monthly_cost": point.self_hosted_monthly_cost,
        "api_monthly_cost": point.api_monthly_cost,
        "requests_per_month": {
            "self_hosted": point.self_hosted_requests_per_month,
            "api": point.api_requests_per_month,
        },
        "tokens_per_month": {
            "self_hosted": workload.requests_to_tokens(point.self_hosted_requests_per_month),
            "api": workload.requests_to_tokens(point.api_requests_per_month),
        },
        "share_of_requests": {
            "self_hosted": point.self_hosted_requests_per_month / volume,
            "api": point.api_requests_per_month / volume,
        },
        # One token mix on both sides: the token shares equal the request shares.
        "share_of_tokens": {
            "self_hosted": point.self_hosted_requests_per_month / volume,
            "api": point.api_requests_per_month / volume,
        },
        "hours_overflowing_per_day": point.hours_overflowing_per_day,
    }


def overflow_json(answer: OverflowAnswer, *, include_scenario: bool = True) -> dict[str, Any]:
    pair, workload, inputs, solved = answer.pair, answer.workload, answer.inputs, answer.solved
    sh = pair.self_hosted.resolved.option

    def point(p: hybrid_core.OverflowPoint) -> dict[str, Any]:
        return _point_json(p, workload, sh.gpu_count, sh.redundancy)

    best, all_api, all_sh = solved.best, solved.all_api, solved.all_self_hosted
    return {
        "kind": "hybrid",
        "mode": "overflow",
        "name": answer.name,
        "api": _api_summary(pair.api, workload),
        "self_hosted": _self_hosted_summary(pair.self_hosted),
        "workload": _workload_json(workload),
        "hourly_profile": {
            "weights_mean_1": list(answer.profile),
            "requests_per_second": list(inputs.hourly_requests_per_second),
            "peak_to_average": max(answer.profile),
        },
        "replica_requests_per_second_at_target_utilization": inputs.replica_requests_per_second,
        "best": {**point(best), "hourly": [asdict(hour) for hour in answer.hours]},
        "all_api": point(all_api),
        "all_self_hosted": point(all_sh),
        "cheapest": answer.cheapest,
        "savings_vs_all_api_usd_per_month": all_api.monthly_cost - best.monthly_cost,
        "savings_vs_all_self_hosted_usd_per_month": all_sh.monthly_cost - best.monthly_cost,
        "replica_curve": [
            {
                "replicas": p.replicas,
                "monthly_cost": p.monthly_cost,
                "self_hosted_monthly_cost": p.self_hosted_monthly_cost,
                "api_monthly_cost": p.api_monthly_cost,
                "api_share_of_requests": p.api_requests_per_month / workload.requests_per_month,
            }
            for p in solved.curve
        ],
        "explanation": overflow_explanation(answer),
        "formulas": hybrid_core.OVERFLOW_FORMULAS,
        "notes": overflow_notes(answer),
        **_scenario_json(pair.scenario, include_scenario),
        "beyond_cost": _beyond_cost_json(answer.beyond_cost),
        "conventions": CONVENTIONS,
    }


def routed_json(answer: RoutedAnswer) -> dict[str, Any]:
    result, volume = answer.split, answer.workload.requests_per_month
    total_tokens = result.self_hosted.tokens_per_month + result.api.tokens_per_month

    def side(s: hybrid_core.RoutedSide, workload: Workload) -> dict[str, Any]:
        return {
            "requests_per_month": s.requests_per_month,
            "tokens_per_month": s.tokens_per_month,
            "input_tokens": workload.input_tokens,
            "output_tokens": workload.output_tokens,
            "monthly_cost": s.monthly_cost,
            "share_of_requests": s.requests_per_month / volume,
            "share_of_tokens": s.tokens_per_month / total_tokens if total_tokens > 0 else 0.0,
        }

    resolved = answer.resolved
    sh_option = resolved.option
    return {
        "kind": "hybrid",
        "mode": "routed",
        "name": answer.name,
        "self_hosted_share_of_requests": answer.self_hosted_share,
        "workload": _workload_json(answer.workload),
        "self_hosted": {
            **side(result.self_hosted, answer.routine),
            "name": answer.self_hosted_name,
            "replicas": result.self_hosted.replicas,
            "gpus": (result.self_hosted.replicas or 0) * sh_option.gpu_count,
            "replica_monthly_cost": sh_option.replica_monthly_cost,
            "fixed_monthly_cost": sh_option.fixed_monthly_cost if result.self_hosted.requests_per_month else 0.0,
            "requests_per_replica_per_month": answer.curve.requests_per_replica,
            "output_tokens_per_second": resolved.output_tokens_per_second,
            "capacity_source": sh_option.capacity_source,
            "estimate": estimate_json(resolved.estimate) if resolved.estimate else None,
            "pricing_label": resolved.pricing_label,
        },
        "api": {
            **side(result.api, answer.hard),
            "name": answer.api_name,
            "cost_per_request": answer.api_cost_per_request,
            "price_source": answer.api.prices.source,
            "price_as_of": answer.api.prices.as_of,
        },
        "monthly_cost": result.monthly_cost,
        "all_api": {
            "monthly_cost": answer.all_api_monthly_cost,
            "note": "every request on the API, each at its own token mix",
        },
        "all_self_hosted": {
            "monthly_cost": answer.all_self_hosted_monthly_cost,
            "replicas": answer.all_self_hosted_replicas,
            "note": "every request on the self-hosted model at the blended token mix; assumes it can handle the "
            "hard requests, which the routing exists to avoid",
        },
        "cheapest": answer.cheapest,
        "share_curve": [
            {"self_hosted_share_of_requests": share, "monthly_cost": cost} for share, cost in answer.share_curve
        ],
        "explanation": routed_explanation(answer),
        "formulas": hybrid_core.ROUTED_FORMULAS,
        "beyond_cost": _beyond_cost_json(answer.beyond_cost),
        "conventions": CONVENTIONS,
    }


# ---------------------------------------------------------------------------------------------
# Time horizon


def _plan_json(plan: horizon_core.Plan, api_only: horizon_core.Plan) -> dict[str, Any]:
    return {
        "label": plan.label,
        "switch_month": plan.switch_month,
        "months_on_api": plan.switch_month,
        "cumulative_usd": list(plan.cumulative),
        "monthly_usd": list(plan.monthly),
        "on_api_by_month": list(plan.on_api),
        "one_time_costs": [
            {"at_month": o.at_month, "migration_usd": o.migration, "hardware_usd": o.hardware, "total_usd": o.total}
            for o in plan.one_time
        ],
        "total_spend_usd": plan.total_spend,
        "residual_value_at_end_usd": plan.residual_value_at_end,
        "net_total_usd": plan.net_total,
        "gpus_owned_at_end": plan.gpus_owned_at_end,
        "payback_month": horizon_core.payback_month(plan, api_only),
        "saving_vs_api_only_usd": api_only.net_total - plan.net_total,
    }


def horizon_json(answer: HorizonAnswer, *, include_scenario: bool = True) -> dict[str, Any]:
    body, pair, workload, solved, bought = answer.request, answer.pair, answer.workload, answer.solved, answer.bought
    api_only = solved.api_only
    retirement_notes = [answer.retirement_note] if answer.retirement_note else []
    return {
        "months": body.months,
        "api": _api_summary(pair.api, workload),
        "self_hosted": {**_self_hosted_summary(pair.self_hosted), "hardware": "bought" if bought else "rented"},
        "assumptions": {
            "requests_per_month_at_month_1": workload.requests_per_month,
            "monthly_growth": body.monthly_growth,
            "api_price_change_per_year": body.api_price_change_per_year,
            "gpu_price_change_per_year": body.gpu_price_change_per_year,
            "migration_engineering_weeks": body.migration.engineering_weeks,
            "migration_usd_per_engineer_week": answer.usd_per_engineer_week,
            "migration_cost_usd": answer.migration_cost_usd,
            "depreciation_months": bought.depreciation_months if bought else None,
            "residual_fraction": bought.residual_fraction if bought else None,
        },
        "sources": {
            "api_price_change_per_year": horizon_core.API_PRICE_CHANGE_SOURCE
            if body.api_price_change_per_year == horizon_core.DEFAULT_API_PRICE_CHANGE_PER_YEAR
            else "entered by the user",
            "api_price_change_alternatives": {
                "epoch_ai_slowest_milestone": horizon_core.EPOCH_SLOWEST_API_PRICE_CHANGE_PER_YEAR,
                "default": horizon_core.DEFAULT_API_PRICE_CHANGE_PER_YEAR,
                "no_change": 0.0,
            },
            "gpu_price_change_per_year": horizon_core.GPU_PRICE_CHANGE_SOURCE
            if body.gpu_price_change_per_year == horizon_core.DEFAULT_GPU_PRICE_CHANGE_PER_YEAR
            else "entered by the user",
            "migration_usd_per_engineer_week": engineer_week_source(answer),
            "migration_engineering_weeks": "Breakeven's assumption (serving setup, evaluation, load tests, cut-over)"
            if body.migration.engineering_weeks == horizon_core.DEFAULT_MIGRATION_ENGINEERING_WEEKS
            else "entered by the user",
        },
        "monthly_comparison": [
            {
                "month": c.month,
                "requests_per_month": c.requests_per_month,
                "tokens_per_month": workload.requests_to_tokens(c.requests_per_month),
                "api_monthly_usd": c.api_monthly,
                "self_hosted_monthly_usd": c.self_hosted_monthly,
            }
            for c in solved.comparison
        ],
        "crossover_month": solved.crossover_month,
        "api_cheaper_again_from_month": solved.api_cheaper_again_from_month,
        "payback_month": solved.payback_month,
        "payback_of": "hardware purchase and migration" if bought else "migration",
        "plans": {
            "api_only": _plan_json(api_only, api_only),
            "self_hosted_from_start": _plan_json(solved.self_hosted_from_start, api_only),
            "cheapest": _plan_json(solved.cheapest, api_only),
            "yours": _plan_json(answer.user_plan, api_only) if answer.user_plan else None,
        },
        "net_total_by_switch_month": [
            {"switch_month": p.switch_month, "label": p.label, "net_total_usd": p.net_total} for p in solved.plans
        ],
        "cheapest_plan": solved.cheapest.label,
        "explanation": " ".join([horizon_explanation(answer), *retirement_notes]),
        "notes": retirement_notes,
        "formulas": horizon_core.FORMULAS,
        **_scenario_json(pair.scenario, include_scenario),
        "beyond_cost": _beyond_cost_json(answer.beyond_cost),
        "conventions": CONVENTIONS,
    }


# ---------------------------------------------------------------------------------------------
# Uncertainty


def _percentiles_json(p: uncertainty_core.Percentiles, to_tokens: float | None = None) -> dict[str, Any]:
    scale = to_tokens or 1.0
    return {
        "p10": finite_or_none(p.p10 * scale),
        "p50": finite_or_none(p.p50 * scale),
        "p90": finite_or_none(p.p90 * scale),
        "share_of_draws_never": p.share_infinite,
    }


TARGET_NAMES = {
    "a": "api_cost_per_request",
    "c": "replica_monthly_cost",
    "Q": "requests_per_replica",
    "F": "fixed_monthly_cost",
}


def uncertainty_json(answer: UncertaintyAnswer, *, include_scenario: bool = True) -> dict[str, Any]:
    pair, workload, mc = answer.pair, answer.workload, answer.monte_carlo
    volume = workload.requests_per_month
    tokens_per_request = workload.tokens_per_request
    base = pair.scenario.breakevens[0].solution
    return {
        "api": _api_summary(pair.api, workload),
        "self_hosted": _self_hosted_summary(pair.self_hosted),
        "workload": _workload_json(workload),
        "base": {
            "stays_cheaper_above_requests_per_month": base.stays_cheaper_above,
            "stays_cheaper_above_tokens_per_month": workload.requests_to_tokens(base.stays_cheaper_above)
            if base.stays_cheaper_above is not None
            else None,
            "first_crossover_requests_per_month": base.first_crossover,
            "api_monthly_cost": pair.api.monthly_cost,
            "self_hosted_monthly_cost": pair.self_hosted.monthly_cost,
        },
        "inputs": [
            {
                "id": spec.id,
                "label": spec.label,
                "acts_on": TARGET_NAMES[spec.target],
                "low_factor": spec.range.low,
                "high_factor": spec.range.high,
                "source": spec.source,
            }
            for spec in answer.inputs
        ],
        "tornado": {
            "metric": "stays_cheaper_above_requests_per_month",
            "note": "each input alone at the ends of its range, the others at their entered values; widest first; "
            "null = self-hosting never stays cheaper at that end",
            "bars": [
                {
                    "input": bar.input.id,
                    "label": bar.input.label,
                    "low_factor": bar.input.range.low,
                    "high_factor": bar.input.range.high,
                    "break_even_at_low_requests_per_month": finite_or_none(bar.at_low),
                    "break_even_at_high_requests_per_month": finite_or_none(bar.at_high),
                    "break_even_at_low_tokens_per_month": finite_or_none(bar.at_low * tokens_per_request),
                    "break_even_at_high_tokens_per_month": finite_or_none(bar.at_high * tokens_per_request),
                    "never_at_low": math.isinf(bar.at_low),
                    "never_at_high": math.isinf(bar.at_high),
                    "swing_requests_per_month": finite_or_none(bar.swing),
                    "first_crossover_at_low_requests_per_month": finite_or_none(bar.first_crossover_at_low),
                    "first_crossover_at_high_requests_per_month": finite_or_none(bar.first_crossover_at_high),
                    "self_hosted_minus_api_monthly_usd_at_low": bar.difference_at_low,
                    "self_hosted_minus_api_monthly_usd_at_high": bar.difference_at_high,
                }
                for bar in answer.bars
            ],
        },
        "monte_carlo": {
            "draws": mc.draws,
            "seed": mc.seed,
            "distribution": "each input independently, split triangular over its range (mode and median at the "
            "entered value)",
            "break_even_requests_per_month": _percentiles_json(mc.stays_cheaper_above),
            "break_even_tokens_per_month": _percentiles_json(mc.stays_cheaper_above, tokens_per_request),
            "first_crossover_requests_per_month": _percentiles_json(mc.first_crossover),
            "at_volume_requests_per_month": volume,
            "api_monthly_usd": _percentiles_json(mc.api_monthly),
            "self_hosted_monthly_usd": _percentiles_json(mc.self_hosted_monthly),
            "self_hosted_minus_api_monthly_usd": _percentiles_json(mc.difference_monthly),
            "probability_self_hosted_cheaper": mc.probability_self_hosted_cheaper,
        },
        "explanation": uncertainty_explanation(answer),
        "formulas": uncertainty_core.FORMULAS,
        **_scenario_json(pair.scenario, include_scenario),
        "beyond_cost": _beyond_cost_json(answer.beyond_cost),
        "conventions": CONVENTIONS,
    }
