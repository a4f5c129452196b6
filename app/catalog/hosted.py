"""Hosted per-token offers of the open models in our catalog (issue 14: the hosted path).

The same open-weight model a team would self-host (Llama 3.1 8B, gpt-oss-120b, DeepSeek-R1 …) is sold per
token by hosting providers that the pinned genai-prices snapshot already prices (Together, Fireworks, Groq,
Novita, Cerebras, Baseten, Cloudflare Workers AI, AWS Bedrock, Databricks, OVHcloud …). `hosted_offers`
finds them for one catalog model.

Matching rule: an offer serves a catalog model when its model id, normalised, equals the normalised catalog
`id`, `name` or `hf_id` (models.toml). Normalising: lower case; drop the path (`meta-llama/`, `@cf/meta/`,
`accounts/fireworks/models/`, `deepseek-ai/`, `openai/`), AWS Bedrock's `vendor.` prefix, Databricks'
`databricks-` and a leading `meta-`; drop serving suffixes that do not change the weights (`-instruct`,
`-it`, `-instruct-turbo`, Groq's `-versatile` / `-instant`, Vertex's `-maas`, Bedrock's `-v1:0` / `-1:0` /
`:0`, `-bf16` / `-fp16`, `-fp8`); then compare the runs of letters and of digits, so `3.1`, `3-1`, `3_1`
and Fireworks' `3p1` read alike, as do `v0.3` and `0.3`. The short catalog id is not used where the
Hugging Face id names a checkpoint version the id omits (an unversioned `mistral-7b` offer may be v0.1,
v0.2 or v0.3, so only `Mistral-7B-Instruct-v0.3` serves our mistral-7b). Everything else must match
exactly, so a distill (`deepseek-r1-distill-llama-70b`), another size (8b / 70b), another generation
(llama-3.1 / llama-3.3), a later checkpoint (`deepseek-r1-0528`, `deepseek-v3-0324`, `-2507`), a base
model beside an instruct one (`Mixtral-8x7B-v0.1`), a fine-tune or variant (`-reasoning`, `-tool-use`,
`-specdec`, `r1-1776`, Novita's `-turbo`) or a quality-changing quantisation (`-awq`, `-int4`,
Cloudflare's `-fp8-fast`) never matches.

Plain FP8 serving (`-fp8`; Together's `-Turbo` endpoints, which Together serves in FP8) is the precision
most self-hosted deployments of these models use too, so it matches, and the offer's label says so.

Excluded: offers that are not current (genai-prices marks them deprecated, or LiteLLM dates their
retirement on or before today), and routers and resellers whose price is another provider's: OpenRouter,
the Hugging Face inference-provider mirrors (`huggingface_*`, each a copy of a provider already listed
under its own name), GitHub Copilot and Cursor (subscriptions that route to other providers).
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from app.catalog.api_prices import ApiModelEntry, list_api_models
from app.core.specs import ModelArchitecture

# Routers and resellers: their price is another provider's (see the module docstring).
EXCLUDED_PROVIDERS = frozenset({"openrouter", "github-copilot", "cursor"})
EXCLUDED_PROVIDER_PREFIXES = ("huggingface_",)

# Serving suffixes that leave the weights as released, removed (repeatedly) from the end of a model id.
_SAME_WEIGHTS_SUFFIXES = ("-instruct", "-it", "-versatile", "-instant", "-maas", "-bf16", "-fp16")
# Suffixes that mean FP8 serving: `-fp8`, and Together's Turbo endpoints ("Together Turbo endpoints
# ... FP8 quantization", https://www.together.ai/blog/together-inference-engine-2).
_FP8_SUFFIXES = ("-instruct-turbo", "-fp8")
# AWS Bedrock's API version (`-v1:0`, `-1:0`, `:0`); a `v0:1` is the model's own version and stays.
_BEDROCK_VERSION = re.compile(r"(-v?1)?:0$")
# AWS Bedrock's `vendor.model` ids (meta.llama3-1-8b-instruct-v1:0, deepseek.r1-v1:0).
_VENDOR_DOT = re.compile(r"^([a-z]+)\.(?=[a-z])")
_LEADING_PREFIXES = ("databricks-", "meta-")
_VERSION_P = re.compile(r"(?<=\d)p(?=\d)")  # Fireworks writes 3.1 as 3p1
_TOKENS = re.compile(r"[a-z]+|\d+")

# A checkpoint version at the end of a Hugging Face id: -v0.3 (dotted) or -2407 (year and month).
_CHECKPOINT_VERSION = re.compile(r"-v\d+(\.\d+)+$|-\d{4}$")

FP8_LABEL = "served in FP8"


def _tokens(text: str) -> tuple[str, ...]:
    """Runs of letters and of digits, with a version's `v` dropped (v0.3 = 0.3, llama-v3p1 = llama-3.1)."""
    parts = _TOKENS.findall(_VERSION_P.sub(".", text))
    return tuple(p for i, p in enumerate(parts) if not (p == "v" and i + 1 < len(parts) and parts[i + 1].isdigit()))


def _strip_serving(stem: str) -> tuple[str, bool]:
    """(the stem without serving suffixes, whether one of them means FP8 serving)."""
    fp8 = False
    changed = True
    while changed:
        changed = False
        trimmed = _BEDROCK_VERSION.sub("", stem)
        for suffix in _FP8_SUFFIXES + _SAME_WEIGHTS_SUFFIXES:
            if trimmed.endswith(suffix):
                trimmed = trimmed.removesuffix(suffix)
                fp8 = fp8 or suffix in _FP8_SUFFIXES
                break
        for prefix in _LEADING_PREFIXES:
            trimmed = trimmed.removeprefix(prefix)
        if trimmed != stem:
            stem, changed = trimmed, True
    return stem, fp8


@cache
def normalised_names(model_id: str) -> tuple[frozenset[tuple[str, ...]], bool]:
    """The normalised forms of a model id or name (see the module docstring), and whether it says FP8
    serving. Two forms for a Bedrock `vendor.model` id: with and without the vendor (deepseek.r1 is R1)."""
    text = re.sub(r"\s+", "-", model_id.strip().lower())
    text = text.rsplit("/", 1)[-1]
    stems = [text]
    vendor = _VENDOR_DOT.match(text)
    if vendor:
        stems = [text[vendor.end() :], f"{vendor.group(1)}-{text[vendor.end() :]}"]
    forms: set[tuple[str, ...]] = set()
    fp8 = False
    for stem in stems:
        stripped, says_fp8 = _strip_serving(stem)
        fp8 = fp8 or says_fp8
        forms.add(_tokens(stripped))
    return frozenset(forms), fp8


def catalog_names(model: ModelArchitecture) -> frozenset[tuple[str, ...]]:
    """The normalised forms of a catalog model's id, name and Hugging Face id. The short id is left out
    when the Hugging Face id names a checkpoint version the id omits (mistral-7b for
    Mistral-7B-Instruct-v0.3): an offer named `mistral-7b` may serve v0.1, v0.2 or v0.3."""
    texts = [model.name, model.hf_id]
    if not _CHECKPOINT_VERSION.search(model.hf_id.lower()):
        texts.append(model.id)
    forms: set[tuple[str, ...]] = set()
    for text in texts:
        if text:
            forms |= normalised_names(text)[0]
    return frozenset(forms)


def serves(model: ModelArchitecture, provider_model_id: str) -> bool:
    """Whether an offer with this provider model id serves exactly `model` (the module docstring's rule)."""
    return bool(normalised_names(provider_model_id)[0] & catalog_names(model))


def is_reseller(provider: str) -> bool:
    return provider in EXCLUDED_PROVIDERS or provider.startswith(EXCLUDED_PROVIDER_PREFIXES)


# The listing's current offers by each normalised form of their ids, built once per listing (a listing is
# the day's snapshot, app.catalog.api_prices.list_api_models): scanning all ~2,000 entries with `serves` took
# ~8 ms per self-hosted model, twenty times the rest of a break-even. At most two listings are kept (today's
# and, briefly after midnight or a price refresh, the previous one); each is held so its id stays unique.
_NAME_INDEXES: dict[int, tuple[tuple[ApiModelEntry, ...], dict[tuple[str, ...], list[int]]]] = {}


def _name_index(listing: tuple[ApiModelEntry, ...]) -> dict[tuple[str, ...], list[int]]:
    cached = _NAME_INDEXES.get(id(listing))
    if cached is not None and cached[0] is listing:
        return cached[1]
    index: dict[tuple[str, ...], list[int]] = {}
    for position, entry in enumerate(listing):
        if entry.deprecated or entry.retired or is_reseller(entry.provider):
            continue
        for form in normalised_names(entry.model)[0]:
            index.setdefault(form, []).append(position)
    if len(_NAME_INDEXES) >= 2:
        _NAME_INDEXES.clear()
    _NAME_INDEXES[id(listing)] = (listing, index)
    return index


def hosted_offers(model: ModelArchitecture) -> tuple[ApiModelEntry, ...]:
    """Every current snapshot entry that serves exactly `model` (the rule is the module docstring's: an
    offer serves it when a normalised form of its id is one of the model's, as `serves` says), in snapshot
    order. An FP8-served offer's `name` says so ("… (served in FP8)")."""
    listing = list_api_models()
    index = _name_index(listing)
    found: list[ApiModelEntry] = []
    for position in sorted({p for form in catalog_names(model) for p in index.get(form, ())}):
        entry = listing[position]
        if serves_fp8(entry) and "fp8" not in entry.name.lower():
            entry = replace(entry, name=f"{entry.name} ({FP8_LABEL})")
        found.append(entry)
    return tuple(found)


def serves_fp8(entry: ApiModelEntry) -> bool:
    """Whether a hosted offer serves the model in FP8 (its id says so)."""
    return normalised_names(entry.model)[1]
