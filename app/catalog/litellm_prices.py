"""A second, independent price source beside genai-prices: LiteLLM's published model price map.

Why a second source: one pinned catalog can be wrong or late, and it says nothing about retirement. On
2026-11-26 genai-prices 0.2.3 still priced DeepSeek's deepseek-chat at $0.27/$1.10 per Mtok where LiteLLM
(and DeepSeek's own page) had $0.28/$0.42, and it listed o4-mini, GPT-5, Claude Sonnet 4.5 and Gemini 2.5
Pro as current although their providers had dated their retirement. LiteLLM's map carries a
`deprecation_date` per model (with the provider's deprecation page as `deprecation_source`).

The bundled file (litellm_prices.json, beside this module) is a trimmed copy of
`model_prices_and_context_window.json` as shipped in the litellm wheel on PyPI; its `_source` header
says which version and when. `breakeven prices refresh` saves a fresh copy under DATA_DIR
(app.catalog.price_refresh), used from the next start.

Retired models: LiteLLM deletes a model's entry some time after the provider retires it (Claude Opus 4.1
was dated 2026-08-05 in litellm 1.100.0 and gone by 1.108.0). The file keeps those as `retired` records,
with the date from the last release that listed them, so a retired model is flagged rather than silently
unmatched.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

BUNDLED_FILE = Path(__file__).with_name("litellm_prices.json")
REFRESHED_FILE = "litellm-prices.json"  # under DATA_DIR, written by `breakeven prices refresh`
# The map LiteLLM publishes on its main branch (the one litellm itself fetches at import by default).
LITELLM_URL = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
SOURCE_NAME = "LiteLLM model price map"

# A price that differs from genai-prices' by more than this share (of the larger of the two) is flagged.
PRICE_TOLERANCE = 0.10
_PER_MTOK = 1_000_000

# LiteLLM provider ids kept in the bundle: those a genai-prices provider maps to (see _PROVIDERS).
KEPT_PROVIDERS = frozenset(
    {
        "openai",
        "anthropic",
        "gemini",
        "vertex_ai-language-models",
        "vertex_ai-anthropic_models",
        "deepseek",
        "mistral",
        "xai",
        "groq",
        "together_ai",
        "fireworks_ai",
        "cerebras",
        "perplexity",
        "novita",
        "moonshot",
        "cohere_chat",
    }
)
KEPT_MODES = frozenset({"chat", "responses"})
KEPT_FIELDS = (
    "litellm_provider",
    "mode",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "input_cost_per_token_batches",
    "output_cost_per_token_batches",
    "max_input_tokens",
    "deprecation_date",
    "deprecation_source",
    "successor_model",
    # Whether the model reasons (hidden thinking tokens billed as output): app.catalog.api_prices.api_model_reasons.
    "supports_reasoning",
)

# genai-prices provider id -> (LiteLLM key prefixes to try, in order; LiteLLM provider ids it may match).
_PROVIDERS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "openai": (("",), frozenset({"openai"})),
    "anthropic": (("",), frozenset({"anthropic"})),
    # genai-prices' "google" is both the Gemini API and Vertex AI (which also sells Claude).
    "google": (
        ("gemini/", "vertex_ai/", ""),
        frozenset({"gemini", "vertex_ai-language-models", "vertex_ai-anthropic_models"}),
    ),
    "deepseek": (("deepseek/", ""), frozenset({"deepseek"})),
    "mistral": (("mistral/",), frozenset({"mistral"})),
    "x-ai": (("xai/",), frozenset({"xai"})),
    "groq": (("groq/",), frozenset({"groq"})),
    "together": (("together_ai/",), frozenset({"together_ai"})),
    "fireworks": (("fireworks_ai/accounts/fireworks/models/", "fireworks_ai/"), frozenset({"fireworks_ai"})),
    "cerebras": (("cerebras/",), frozenset({"cerebras"})),
    "perplexity": (("perplexity/", ""), frozenset({"perplexity"})),
    "novita": (("novita/",), frozenset({"novita"})),
    "moonshotai": (("moonshot/",), frozenset({"moonshot"})),
    "cohere": (("cohere_chat/", ""), frozenset({"cohere_chat"})),
}
_DATED_SNAPSHOT = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2})$")


def today() -> date:
    """Today's date (UTC). Module-level so tests can inject a clock."""
    return datetime.now(tz=UTC).date()


# ---------------------------------------------------------------------------------------------
# Matching genai-prices models to LiteLLM keys (pure)


def _base_id(model: str) -> str:
    """genai-prices' alias spellings of a model id reduced to the stem LiteLLM's dated keys share:
    "claude-3-7-sonnet-latest" -> "claude-3-7-sonnet", "claude-opus-4-0" -> "claude-opus-4"."""
    model = model.lower()
    for suffix in ("-latest", "-0"):
        if model.endswith(suffix):
            return model[: -len(suffix)]
    return model


def litellm_key_candidates(provider: str, model: str) -> tuple[str, ...]:
    """The LiteLLM keys a genai-prices (provider, model) may be filed under, most specific first."""
    spec = _PROVIDERS.get(provider.lower())
    if spec is None:
        return ()
    model = model.lower()
    keys: list[str] = []
    for stem in dict.fromkeys((model, _base_id(model))):
        for prefix in spec[0]:
            key = stem if prefix and stem.startswith(prefix) else prefix + stem
            if key not in keys:
                keys.append(key)
    return tuple(keys)


def dated_index(entries: Mapping[str, Any]) -> dict[str, list[str]]:
    """Stem -> its dated snapshot keys, oldest first ("claude-opus-4" -> ["claude-opus-4-20250514"])."""
    index: dict[str, list[str]] = {}
    for key in sorted(entries):
        found = _DATED_SNAPSHOT.search(key)
        if found:
            index.setdefault(key[: found.start()], []).append(key)
    return index


def match_litellm_key(
    provider: str,
    model: str,
    entries: Mapping[str, Mapping[str, Any]],
    dated: Mapping[str, list[str]] | None = None,
) -> str | None:
    """The LiteLLM key of a genai-prices model, or None. `entries` maps lower-cased LiteLLM keys to
    their records (`dated` is their dated_index, computed when not given). An exact key wins; otherwise
    the newest dated snapshot of the model's stem ("claude-opus-4-0" -> "claude-opus-4-20250514").
    A key filed under another provider never matches."""
    spec = _PROVIDERS.get(provider.lower())
    if spec is None:
        return None
    allowed = spec[1]
    candidates = litellm_key_candidates(provider, model)
    for key in candidates:
        record = entries.get(key)
        if record is not None and record.get("litellm_provider") in allowed:
            return key
    dated = dated_index(entries) if dated is None else dated
    for key in candidates:
        for snapshot_key in reversed(dated.get(key, [])):
            if entries[snapshot_key].get("litellm_provider") in allowed:
                return snapshot_key
    return None


# ---------------------------------------------------------------------------------------------
# Trimming LiteLLM's map (used to build the bundle and by the refresh)


def _is_price(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1


def trim_price_map(raw: object) -> dict[str, dict[str, Any]]:
    """The chat models of the providers we match, with only the fields we use. Raises ValueError when
    `raw` is not LiteLLM's map (a dict of model records with per-token prices)."""
    if not isinstance(raw, dict):
        raise ValueError("expected a JSON object of models in LiteLLM's price map")
    models: dict[str, dict[str, Any]] = {}
    for key, record in raw.items():
        if not isinstance(record, dict) or record.get("litellm_provider") not in KEPT_PROVIDERS:
            continue
        if record.get("mode") not in KEPT_MODES:
            continue
        if not (_is_price(record.get("input_cost_per_token")) and _is_price(record.get("output_cost_per_token"))):
            continue
        deprecation = record.get("deprecation_date")
        if deprecation is not None:
            try:
                date.fromisoformat(str(deprecation))
            except ValueError:
                continue  # not a date: the record is malformed, leave it out
        models[str(key)] = {f: record[f] for f in KEPT_FIELDS if record.get(f) is not None}
    if len(models) < 100:
        raise ValueError(f"LiteLLM's price map has only {len(models)} usable chat models: refusing it")
    return models


def carried_retired(
    previous: Mapping[str, Any], fresh_models: Mapping[str, Any], on: date, previous_label: str
) -> dict[str, dict[str, Any]]:
    """Retired records to keep beside a fresh map: the previous file's, plus any model the previous map
    dated on or before `on` that the fresh map no longer lists (LiteLLM deletes retired models)."""
    retired: dict[str, dict[str, Any]] = {
        k: dict(v) for k, v in (previous.get("retired") or {}).items() if k not in fresh_models
    }
    for key, record in (previous.get("models") or {}).items():
        deprecation = record.get("deprecation_date")
        if key in fresh_models or key in retired or deprecation is None:
            continue
        if date.fromisoformat(deprecation) <= on:
            retired[key] = {
                "litellm_provider": record.get("litellm_provider"),
                "deprecation_date": deprecation,
                "last_listed_in": previous_label,
            }
    return retired


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class LiteLLMSnapshot:
    source: dict[str, Any]
    models: dict[str, dict[str, Any]]  # lower-cased key -> record
    retired: dict[str, dict[str, Any]]
    models_dated: dict[str, list[str]]
    retired_dated: dict[str, list[str]]

    @property
    def as_of(self) -> str:
        return str(self.source.get("as_of", ""))

    @property
    def label(self) -> str:
        version = self.source.get("litellm_version")
        return f"{SOURCE_NAME} (litellm {version})" if version else SOURCE_NAME


def _snapshot_from(document: Mapping[str, Any]) -> LiteLLMSnapshot:
    models = {str(k).lower(): dict(v) for k, v in document["models"].items()}
    retired = {str(k).lower(): dict(v) for k, v in (document.get("retired") or {}).items() if k.lower() not in models}
    source = dict(document.get("_source") or {})
    return LiteLLMSnapshot(source, models, retired, dated_index(models), dated_index(retired))


_custom_path: Path | None = None


@cache
def litellm_snapshot() -> LiteLLMSnapshot:
    path = _custom_path or BUNDLED_FILE
    return _snapshot_from(json.loads(path.read_text()))


def use_refreshed_litellm(data_dir: Path) -> str | None:
    """Switch to a refreshed LiteLLM map under `data_dir`, if there is one; returns its date or None."""
    global _custom_path
    path = data_dir / REFRESHED_FILE
    if not path.exists():
        return None
    snapshot = _snapshot_from(json.loads(path.read_text()))  # validate before switching
    _custom_path = path
    clear_caches()
    return snapshot.as_of


def use_bundled_litellm() -> None:
    global _custom_path
    _custom_path = None
    clear_caches()


def clear_caches() -> None:
    litellm_snapshot.cache_clear()
    second_source.cache_clear()


# ---------------------------------------------------------------------------------------------
# What the second source says about one model


@dataclass(frozen=True)
class SecondSource:
    key: str
    input_per_mtok: float | None  # None for a retired record (LiteLLM no longer prices it)
    output_per_mtok: float | None
    retires_on: date | None
    successor: str | None
    deprecation_source: str | None
    source: str
    as_of: str
    # LiteLLM's `supports_reasoning`: the model thinks before answering (hidden tokens billed as output).
    supports_reasoning: bool = False


@cache
def second_source(provider: str, model: str) -> SecondSource | None:
    """LiteLLM's record of a genai-prices model: its prices and retirement date, or None when unmatched."""
    snapshot = litellm_snapshot()
    key = match_litellm_key(provider, model, snapshot.models, snapshot.models_dated)
    if key is not None:
        record = snapshot.models[key]
        deprecation = record.get("deprecation_date")
        return SecondSource(
            key=key,
            input_per_mtok=round(float(record["input_cost_per_token"]) * _PER_MTOK, 6),
            output_per_mtok=round(float(record["output_cost_per_token"]) * _PER_MTOK, 6),
            retires_on=date.fromisoformat(deprecation) if deprecation else None,
            successor=record.get("successor_model"),
            deprecation_source=record.get("deprecation_source"),
            source=f"{snapshot.label}, {LITELLM_URL}",
            as_of=snapshot.as_of,
            supports_reasoning=record.get("supports_reasoning") is True,
        )
    key = match_litellm_key(provider, model, snapshot.retired, snapshot.retired_dated)
    if key is None:
        return None
    record = snapshot.retired[key]
    return SecondSource(
        key=key,
        input_per_mtok=None,
        output_per_mtok=None,
        retires_on=date.fromisoformat(record["deprecation_date"]),
        successor=record.get("successor_model"),
        deprecation_source=record.get("deprecation_source"),
        source=f"{snapshot.label}: retired, last listed in {record.get('last_listed_in', 'an earlier release')}",
        as_of=snapshot.as_of,
    )


@dataclass(frozen=True)
class PriceCheck:
    source: str
    as_of: str
    input_per_mtok: float
    output_per_mtok: float
    differs: bool


def _differs(ours: float, theirs: float) -> bool:
    larger = max(abs(ours), abs(theirs))
    return larger > 0 and abs(ours - theirs) > PRICE_TOLERANCE * larger


def price_check(input_per_mtok: float, output_per_mtok: float, second: SecondSource | None) -> PriceCheck | None:
    """genai-prices' standard prices against LiteLLM's: `differs` when either differs by more than 10%."""
    if second is None or second.input_per_mtok is None or second.output_per_mtok is None:
        return None
    if second.input_per_mtok == 0 and second.output_per_mtok == 0:
        return None  # LiteLLM files free or unpriced models at 0: nothing to compare against
    return PriceCheck(
        source=second.source,
        as_of=second.as_of,
        input_per_mtok=second.input_per_mtok,
        output_per_mtok=second.output_per_mtok,
        differs=_differs(input_per_mtok, second.input_per_mtok) or _differs(output_per_mtok, second.output_per_mtok),
    )


def lifecycle_label(retires_on: date | None, on: date) -> str | None:
    """ "retired 2026-10-23" once the date has passed, "retires on 2026-12-11" before, None if undated."""
    if retires_on is None:
        return None
    return f"retired {retires_on.isoformat()}" if retires_on <= on else f"retires on {retires_on.isoformat()}"


def _per_mtok(price: float) -> str:
    """A price per Mtok to 3 significant figures ($0.917, $12.5, $0.0275): blended time-of-day prices
    are not round numbers, and six decimals in a sentence read as noise."""
    return f"${price:,.3g}" if price < 1000 else f"${price:,.0f}"


@dataclass(frozen=True)
class ModelStatus:
    """Everything the second source says about one priced model, relative to one day."""

    retires_on: str | None
    retired: bool
    lifecycle: str | None  # "retired 2026-10-23" / "retires on 2026-12-11"
    successor: str | None
    price_check: PriceCheck | None
    primary_input_per_mtok: float
    primary_output_per_mtok: float
    primary_as_of: str

    @property
    def notes(self) -> list[str]:
        """Sentences for the results and the JSON."""
        notes: list[str] = []
        if self.lifecycle:
            successor = f"; its provider names {self.successor} as successor" if self.successor else ""
            verb = "was retired on" if self.retired else "retires on"
            notes.append(f"This model {verb} {self.retires_on} ({SOURCE_NAME}){successor}.")
        check = self.price_check
        if check and check.differs:
            notes.append(
                f"Prices disagree by more than {PRICE_TOLERANCE:.0%}: {_per_mtok(self.primary_input_per_mtok)}/"
                f"{_per_mtok(self.primary_output_per_mtok)} per Mtok (input/output) in genai-prices (as of "
                f"{self.primary_as_of}) vs {_per_mtok(check.input_per_mtok)}/{_per_mtok(check.output_per_mtok)} in "
                f"{SOURCE_NAME} (as of {check.as_of}): check the provider's price page."
            )
        return notes

    def as_json(self) -> dict[str, Any]:
        check = self.price_check
        return {
            "retires_on": self.retires_on,
            "retired": self.retired,
            "successor": self.successor,
            "price_check": None
            if check is None
            else {
                "source": check.source,
                "as_of": check.as_of,
                "input_per_mtok": check.input_per_mtok,
                "output_per_mtok": check.output_per_mtok,
                "differs": check.differs,
            },
        }


def model_status(
    provider: str | None,
    model: str | None,
    input_per_mtok: float,
    output_per_mtok: float,
    primary_as_of: str = "",
    on: date | None = None,
) -> ModelStatus | None:
    """What LiteLLM says of a genai-prices model priced at (input, output) per Mtok, on `on` (default
    today); None for a custom model or one LiteLLM does not list."""
    if not provider or not model:
        return None
    second = second_source(provider, model)
    if second is None:
        return None
    on = on or today()
    return ModelStatus(
        retires_on=second.retires_on.isoformat() if second.retires_on else None,
        retired=second.retires_on is not None and second.retires_on <= on,
        lifecycle=lifecycle_label(second.retires_on, on),
        successor=second.successor,
        price_check=price_check(input_per_mtok, output_per_mtok, second),
        primary_input_per_mtok=input_per_mtok,
        primary_output_per_mtok=output_per_mtok,
        primary_as_of=primary_as_of,
    )


def status_of_prices(prices: Any, on: date | None = None) -> ModelStatus | None:
    """model_status of an app.core.api_cost.ApiPrices (what a resolved API option carries)."""
    return model_status(
        prices.provider or None,
        prices.model or None,
        prices.standard.input_per_mtok,
        prices.standard.output_per_mtok,
        prices.as_of,
        on,
    )


def months_until(when: date, on: date) -> float:
    """Months (of 365.25/12 days) from `on` to `when`; negative once past."""
    return (when - on).days / (365.25 / 12)


def menu_suffix(retires_on: str | None, retired: bool, check: PriceCheck | None) -> str:
    """What a model picker's label adds: " · retires on 2026-12-11", " · retired 2026-10-23", and the
    second source's prices with their date when they differ by more than 10%."""
    parts: list[str] = []
    if retires_on:
        parts.append(f"retired {retires_on}" if retired else f"retires on {retires_on}")
    if check is not None and check.differs:
        parts.append(f"LiteLLM ({check.as_of}): ${check.input_per_mtok:g} / ${check.output_per_mtok:g}")
    return "".join(f" · {part}" for part in parts)


def status_json(status: ModelStatus | None) -> dict[str, Any]:
    """The JSON fields of a model's status; the same keys, empty, for a custom or unlisted model."""
    if status is None:
        return {"retires_on": None, "retired": False, "successor": None, "price_check": None}
    return status.as_json()


def horizon_retirement_note(status: ModelStatus | None, name: str, months: int, on: date | None = None) -> str | None:
    """A horizon's warning when its months run past the API model's retirement: month 1 starts `on`
    (today), so a model retiring 15 days out retires in month 1."""
    if status is None or status.retires_on is None:
        return None
    retires = date.fromisoformat(status.retires_on)
    successor = f" (its provider names {status.successor})" if status.successor else ""
    if status.retired:
        return (
            f"{name} was retired on {status.retires_on} ({SOURCE_NAME}): no month of this plan can run on it; "
            f"compare its successor{successor} instead."
        )
    month = math.floor(months_until(retires, on or today())) + 1
    if month > months:
        return None
    return (
        f"{name} retires on {status.retires_on}, in month {month} of this {months}-month horizon "
        f"({SOURCE_NAME}): the API months after that must run on a successor{successor} at its own prices."
    )
