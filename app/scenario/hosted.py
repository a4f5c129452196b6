"""The hosted path (issue 14): for each open model a scenario self-hosts, its cheapest hosted per-token
offers (app.catalog.hosted) added as ordinary API options.

Ordinary API options, so nothing downstream needs a special case: they are priced like any API option,
every renderer shows them, and a saved scenario freezes their prices with the others
(app.scenario.evaluate.snapshot_for). They carry `origin="hosted"`, which is how a scenario already
expanded (a saved one stores its expansion) is recognised: it is not expanded twice. No HTTP.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from app.catalog.api_prices import ApiModelEntry, list_api_models, resolve_api_prices
from app.catalog.hosted import hosted_offers, serves_fp8
from app.catalog.loader import get_model
from app.catalog.sources import Sources
from app.core.errors import DomainError
from app.core.specs import ModelArchitecture
from app.core.workload import Workload
from app.scenario.inputs import ApiOptionIn, ScenarioIn, SelfHostedOptionIn
from app.scenario.resolve import resolve_api

# Defaults are decisions: three offers show the spread of hosted prices for a model without burying the
# user's own options; six in all keeps a two-model comparison readable (the chart and the cost table list
# every option), within the page's 16 user options. Issue 14 asks for "the cheapest few".
HOSTED_PER_MODEL = 3
HOSTED_LIMIT = 6
NAME_MAX_LENGTH = 100  # ApiOptionIn.name's limit


def is_hosted(option: ApiOptionIn | SelfHostedOptionIn) -> bool:
    return isinstance(option, ApiOptionIn) and option.origin == "hosted"


@dataclass(frozen=True)
class _Candidate:
    cost_per_request: float
    entry: ApiModelEntry


def _self_hosted_models(scenario: ScenarioIn, sources: Sources) -> list[ModelArchitecture]:
    """The distinct catalog models among the self-hosted options, in order (inline architectures and
    unknown ids have no hosted offers; resolution reports the latter)."""
    models: dict[str, ModelArchitecture] = {}
    for option in scenario.options:
        if isinstance(option, SelfHostedOptionIn) and isinstance(option.model, str):
            try:
                model = get_model(sources.catalog, option.model)
            except DomainError:
                continue
            models.setdefault(model.id, model)
    return list(models.values())


def _taken(scenario: ScenarioIn, sources: Sources) -> set[tuple[str, str]]:
    """(provider, model) of every API option the user already has, as given and as resolved (a bare model
    id resolves to one provider's offer)."""
    taken: set[tuple[str, str]] = set()
    for option in scenario.options:
        if not isinstance(option, ApiOptionIn) or option.model is None:
            continue
        taken.add(((option.provider or "").lower(), option.model.lower()))
        try:
            prices = sources.api_prices(option.model, option.provider)
        except DomainError:
            continue
        taken.add((prices.provider.lower(), prices.model.lower()))
    return taken


# A model's priced hosted offers at a workload's mix, cheapest first, kept for live prices: they change only
# with the day's price listing (held in the entry, so a new listing never meets an old entry), and pricing
# them was ~0.8 ms of a 1.1 ms break-even. At most _PRICED_MAX (model, workload) pairs are kept, least
# recently used first out; a saved scenario's frozen prices are priced afresh each time.
_PRICED_MAX = 256
_PRICED: OrderedDict[tuple[object, ...], tuple[tuple[ApiModelEntry, ...], tuple[_Candidate, ...]]] = OrderedDict()
_PRICED_LOCK = threading.Lock()


def _priced_offers(model: ModelArchitecture, workload: Workload, sources: Sources) -> tuple[_Candidate, ...]:
    reasoning = _reasoning_tokens(model, workload)

    def priced() -> tuple[_Candidate, ...]:
        found = [c for entry in hosted_offers(model) if (c := _priced(entry, workload, sources, reasoning)) is not None]
        found.sort(key=lambda c: (c.cost_per_request, c.entry.provider, c.entry.model))
        return tuple(found)

    if sources.label != "live" or sources.api_prices is not resolve_api_prices:
        return priced()
    listing = list_api_models()
    key = (model, workload, reasoning)
    with _PRICED_LOCK:
        cached = _PRICED.get(key)
        if cached is not None and cached[0] is listing:
            _PRICED.move_to_end(key)
            return cached[1]
    candidates = priced()
    with _PRICED_LOCK:
        _PRICED[key] = (listing, candidates)
        _PRICED.move_to_end(key)
        while len(_PRICED) > _PRICED_MAX:
            _PRICED.popitem(last=False)
    return candidates


def _reasoning_tokens(model: ModelArchitecture, workload: Workload) -> float:
    """A hosted open model reasons as the model itself does (models.toml `reasoning`): the host's price
    list cannot say so (LiteLLM flags only the first-party APIs)."""
    return workload.reasoning_tokens if model.reasoning else 0.0


def _priced(entry: ApiModelEntry, workload: Workload, sources: Sources, reasoning_tokens: float) -> _Candidate | None:
    """The offer's cost per request at this workload, priced as any API option is; None when it cannot
    serve it (context window below input + output) or has no price in `sources` (a saved scenario)."""
    spec = ApiOptionIn(
        kind="api",
        name="hosted offer",
        provider=entry.provider,
        model=entry.model,
        reasoning_tokens=reasoning_tokens,
        origin="hosted",
    )
    try:
        option = resolve_api(spec, sources.api_prices).option
        context_window = option.prices.context_window or entry.context_window
        if context_window is not None and workload.input_tokens + workload.output_tokens > context_window:
            return None
        return _Candidate(option.cost_per_request(workload), entry)
    except DomainError:
        return None


def _name(model: ModelArchitecture, entry: ApiModelEntry, names: set[str]) -> str | None:
    """The option's name, "<Model name> hosted · <Provider name>" (and "· FP8" where the offer serves FP8),
    with the provider's model id added when that is taken; None when every form is taken."""
    base = f"{model.name} hosted · {entry.provider_name}" + (" · FP8" if serves_fp8(entry) else "")
    for name in (base, f"{base} · {entry.model.rsplit('/', 1)[-1]}"):
        name = name[:NAME_MAX_LENGTH]
        if name not in names:
            return name
    return None


def with_hosted_alternatives(scenario: ScenarioIn, sources: Sources, per_model: int = HOSTED_PER_MODEL) -> ScenarioIn:
    """`scenario` with, for every distinct catalog model among its self-hosted options, its `per_model`
    cheapest hosted offers at this workload's token mix (one a provider) appended as API options (origin
    "hosted"), cheapest first, at most HOSTED_LIMIT in all. An offer the user already has (same provider
    and model) is not added again, nor one whose context window is below the workload's input + output.
    Unchanged when the scenario already holds hosted options (it was expanded before: a saved scenario
    stores its expansion)."""
    if any(is_hosted(option) for option in scenario.options):
        return scenario
    workload = scenario.workload.to_core()
    taken = _taken(scenario, sources)
    names = {option.name for option in scenario.options}
    added: list[ApiOptionIn] = []
    for model in _self_hosted_models(scenario, sources):
        candidates = [
            candidate
            for candidate in _priced_offers(model, workload, sources)
            if (candidate.entry.provider.lower(), candidate.entry.model.lower()) not in taken
        ]
        providers: set[str] = set()
        for candidate in candidates:
            if len(providers) >= per_model or len(added) >= HOSTED_LIMIT:
                break
            entry = candidate.entry
            # One offer a provider (its cheapest): the few shown are a spread of providers, not one
            # provider's variants (Novita sells Llama 3.1 8B twice).
            if entry.provider in providers:
                continue
            name = _name(model, entry, names)
            if name is None:
                continue
            added.append(
                ApiOptionIn(
                    kind="api",
                    name=name,
                    provider=entry.provider,
                    model=entry.model,
                    reasoning_tokens=_reasoning_tokens(model, workload),
                    origin="hosted",
                )
            )
            names.add(name)
            taken.add((entry.provider.lower(), entry.model.lower()))
            providers.add(entry.provider)
    if not added:
        return scenario
    return scenario.model_copy(update={"options": [*scenario.options, *added]})
