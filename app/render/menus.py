"""The calculator form's menus, from the catalog and the price snapshot: providers and their models,
GPUs, rental and purchase offers, precisions, engines, terms, traffic profiles and requirements, and
the catalog defaults shown as placeholders. Pure builders; app/web/pages.py keeps them cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.catalog.api_prices import GENAI_PRICES_VERSION, list_api_models, snapshot_as_of
from app.catalog.litellm_prices import menu_suffix
from app.catalog.loader import cost_parameter, needs_host_server
from app.core.efficiencies import ENGINES
from app.core.errors import DomainError
from app.core.factors import REQUIREMENTS
from app.core.self_hosted import RENTAL_TERMS
from app.core.specs import Catalog
from app.render.format import money

ENGINE_LABELS = {"vllm": "vLLM", "sglang": "SGLang", "tensorrt-llm": "TensorRT-LLM", "generic": "generic"}
TERM_LABELS = {
    "on_demand": "On demand",
    "spot": "Spot",
    "reserved_1y": "Reserved 1 year",
    "reserved_3y": "Reserved 3 years",
}

# Providers listed first in the API provider menu: the closed-model labs a finance lead compares.
FEATURED_PROVIDERS = ("openai", "anthropic", "google", "mistral", "deepseek", "x-ai")


PROFILE_LABELS = {
    "flat": "Flat (every hour alike)",
    "business_hours": "Business hours (09–18 UTC at 3×)",
    "evening_peak": "Evening peak (18–23 UTC at 4×)",
    "custom": "Custom (24 weights below)",
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def api_choices() -> tuple[list[Choice], dict[str, list[Choice]]]:
    """Providers, and each provider's models (plus a "featured" list), from the price snapshot: about
    2,000 labels, which say "retires on …" / "retired …" as of today."""
    entries = [e for e in list_api_models() if not e.deprecated]
    providers: dict[str, str] = {}
    for entry in entries:
        providers.setdefault(entry.provider, entry.provider_name)
    featured = [Choice(p, providers[p]) for p in FEATURED_PROVIDERS if p in providers]
    others = sorted(
        (Choice(p, n) for p, n in providers.items() if p not in FEATURED_PROVIDERS), key=lambda c: c.label.lower()
    )
    datalists: dict[str, list[Choice]] = {}
    for entry in entries:
        label = f"{entry.provider_name} · {entry.name} · {money(entry.input_per_mtok)} / {money(entry.output_per_mtok)}"
        label += menu_suffix(entry.retires_on, entry.retired, entry.price_check)
        datalists.setdefault(entry.provider, []).append(Choice(entry.model, label))
        if entry.provider in FEATURED_PROVIDERS:
            datalists.setdefault("featured", []).append(Choice(entry.model, label))
    return featured + others, datalists


def catalog_choices(catalog: Catalog) -> dict[str, Any]:
    """The catalog's menus, by the name the templates read (`choices.gpus`...)."""
    gpus = [Choice(g.id, f"{g.name}") for g in catalog.gpus.values()]
    rental: dict[str, list[Choice]] = {}
    for offer in catalog.rental_offers.values():
        terms = [
            f"{money(price)} {label}"
            for price, label in (
                (offer.on_demand_per_gpu_hour, "on demand"),
                (offer.spot_per_gpu_hour, "spot"),
                (offer.reserved_1y_per_gpu_hour, "1y"),
                (offer.reserved_3y_per_gpu_hour, "3y"),
            )
            if price is not None
        ]
        label = f"{offer.provider} {offer.instance} ({offer.gpus_per_instance}×) · {', '.join(terms)} /GPU-h"
        rental.setdefault(offer.gpu, []).append(Choice(offer.id, label))
    purchase = [
        Choice(o.id, f"{o.item} · {o.gpu_count}× {o.gpu} · {money(o.price_usd)} ({money(o.price_per_gpu)}/GPU)")
        for o in catalog.purchase_offers.values()
        if not needs_host_server(catalog, o)  # a lone SXM/OAM module is refused as a purchase (app/scenario/resolve.py)
    ]
    gpu_names = {g.id: g.name for g in catalog.gpus.values()}
    return {
        "models": [Choice(m.id, f"{m.name} ({m.total_params_b:g}B)") for m in catalog.models.values()],
        "gpus": gpus,
        "rental": [(gpu_names.get(gpu, gpu), gpu, offers) for gpu, offers in rental.items()],
        "purchase": purchase,
        "precisions": [Choice(p, p) for p in ("bf16", "fp16", "fp8", "int8", "fp4", "int4", "fp32")],
        "engines": [Choice(e, ENGINE_LABELS.get(e, e)) for e in ENGINES],
        "terms": [Choice(t, TERM_LABELS[t]) for t in RENTAL_TERMS],
        "catalog_defaults": _catalog_defaults(catalog),
        "profiles": [Choice(k, v) for k, v in PROFILE_LABELS.items()],
        "requirements": [Choice(r.id, r.label) for r in REQUIREMENTS],
        "price_snapshot": f"genai-prices {GENAI_PRICES_VERSION}, as of {snapshot_as_of()}",
    }


def _catalog_defaults(catalog: Catalog) -> dict[str, str]:
    def value(parameter_id: str, scale: float = 1) -> str:
        try:
            return f"{cost_parameter(catalog, parameter_id).value * scale:g}"
        except DomainError:
            return ""

    return {
        "years": value("depreciation_years"),
        "power_draw_pct": value("power_draw_fraction", 100),
        "pue": value("pue"),
        "usd_per_kwh": value("electricity_usd_per_kwh"),
        "colo_usd_per_kw_month": value("colocation_usd_per_kw_month"),
        "ops_usd_per_fte_year": value("ops_engineer_usd_per_year"),
        "maintenance_pct": value("maintenance_fraction_per_year", 100),
    }
