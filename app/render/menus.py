"""The calculator form's menus, from the catalog and the price snapshot: providers and their models,
GPUs, rental and purchase offers, precisions, engines, terms, traffic profiles and requirements, and
the catalog defaults shown as placeholders. Pure builders; app/web/pages.py keeps them cached.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

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
    "workload": "Your workload's peak (flat, one busy hour at its peak-to-average)",
    "flat": "Flat (every hour alike)",
    "business_hours": "Business hours (09–18 UTC at 3×)",
    "evening_peak": "Evening peak (18–23 UTC at 4×)",
    "custom": "Custom (24 weights below)",
}

TIME_OF_DAY_LABELS = {"blend": "Blend over the day", "off_peak": "Off-peak only"}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Menu:
    """A menu's choices, and their <option> list rendered once, with none selected: a page view marks the
    selected one (`options_selecting`) instead of escaping every label of every menu again."""

    choices: tuple[Choice, ...]
    html: Markup
    # The list with one value selected, by that value, kept once built: every view of a page selects the
    # same few. Only values the menu lists are kept (at most one list per choice: the largest menu, rental
    # offers, is ~12 kB), never a value typed into the query.
    _selecting: dict[str, SelectedOptions] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __iter__(self) -> Iterator[Choice]:
        return iter(self.choices)

    def options_selecting(self, current: str) -> SelectedOptions:
        """The option list with every option whose value is `current` selected; `found`: whether one is (or
        nothing is chosen), else the form shows `current` apart as "not in the catalog"."""
        kept = self._selecting.get(current)
        if kept is not None:
            return kept
        unselected = f'<option value="{escape(current)}">'
        if unselected not in self.html:
            return SelectedOptions(self.html, not current)
        # Safe: both strings are built from escaped values, as the rendered list itself. (Markup.replace
        # would escape its arguments: the replacing is done on the plain string.)
        html = Markup(str(self.html).replace(unselected, unselected[:-1] + " selected>"))  # noqa: S704
        selected = self._selecting[current] = SelectedOptions(html, True)  # the same answer if two views race
        return selected


@dataclass(frozen=True)
class SelectedOptions:
    html: Markup
    found: bool


# The layout of templates/_macros.html's `select` (the whitespace its Jinja loops wrote), kept so the
# page's HTML stays byte-identical: an option line, and an option line inside an <optgroup>.
def _option(choice: Choice, indent: str) -> str:
    return f'\n{indent}<option value="{escape(choice.value)}">{escape(choice.label)}</option>\n{indent}'


def select_menu(choices: Iterable[Choice]) -> Menu:
    """A flat menu, as the form's <select> lists it."""
    listed = tuple(choices)
    # Safe: every value and label is escaped (`_option`).
    html = Markup("\n      " + "".join(_option(c, "      ") for c in listed) + "\n    ")  # noqa: S704
    return Menu(listed, html)


def grouped_menu(groups: Sequence[tuple[str, str, Sequence[Choice]]]) -> Menu:
    """A menu in <optgroup>s: (group label, group id, its choices) each."""
    parts = ["\n      "]
    for label, group_id, choices in groups:
        parts.append(f'\n      <optgroup label="{escape(label)}" data-gpu="{escape(group_id)}">\n        ')
        parts.extend(_option(c, "        ") for c in choices)
        parts.append("\n      </optgroup>\n      ")
    parts.append("\n    ")
    listed = tuple(c for _, _, choices in groups for c in choices)
    return Menu(listed, Markup("".join(parts)))  # noqa: S704  (safe: every label is escaped)


def datalist_menu(choices: Iterable[Choice]) -> Menu:
    """A <datalist>'s suggestions: the value, and the label shown beside it."""
    listed = tuple(choices)
    html = "".join(f'<option value="{escape(c.value)}" label="{escape(c.label)}"></option>' for c in listed)
    return Menu(listed, Markup(html))  # noqa: S704  (safe: every value and label is escaped)


def api_choices() -> tuple[Menu, dict[str, Menu]]:
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
    return select_menu(featured + others), {key: datalist_menu(choices) for key, choices in datalists.items()}


def catalog_choices(catalog: Catalog) -> dict[str, Any]:
    """The catalog's menus, by the name the templates read (`choices.gpus`...)."""
    gpus = select_menu(Choice(g.id, f"{g.name}") for g in catalog.gpus.values())
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
    purchase = select_menu(
        Choice(o.id, f"{o.item} · {o.gpu_count}× {o.gpu} · {money(o.price_usd)} ({money(o.price_per_gpu)}/GPU)")
        for o in catalog.purchase_offers.values()
        if not needs_host_server(catalog, o)  # a lone SXM/OAM module is refused as a purchase (app/scenario/resolve.py)
    )
    gpu_names = {g.id: g.name for g in catalog.gpus.values()}
    return {
        "models": select_menu(Choice(m.id, f"{m.name} ({m.total_params_b:g}B)") for m in catalog.models.values()),
        "gpus": gpus,
        "rental": grouped_menu([(gpu_names.get(gpu, gpu), gpu, offers) for gpu, offers in rental.items()]),
        "purchase": purchase,
        "precisions": select_menu(Choice(p, p) for p in ("bf16", "fp16", "fp8", "int8", "fp4", "int4", "fp32")),
        "serving_precisions": select_menu(
            Choice(p, "auto (as served)" if p == "auto" else p)
            for p in ("auto", "bf16", "fp16", "fp8", "int8", "fp4", "int4", "fp32")
        ),
        "latency_targets": select_menu(
            (
                Choice("interactive", "Interactive"),
                Choice("offline", "Offline (batch)"),
            )
        ),
        "engines": select_menu(Choice(e, ENGINE_LABELS.get(e, e)) for e in ENGINES),
        "terms": select_menu(Choice(t, TERM_LABELS[t]) for t in RENTAL_TERMS),
        "times_of_day": select_menu(Choice(t, label) for t, label in TIME_OF_DAY_LABELS.items()),
        "catalog_defaults": _catalog_defaults(catalog),
        "profiles": select_menu(Choice(k, v) for k, v in PROFILE_LABELS.items()),
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
