"""The data catalog: required entries, provenance, spot checks against the reference data, strict
validation of broken files, and tolerant lookups with suggestions."""

from __future__ import annotations

import dataclasses
import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.catalog import loader
from app.catalog.loader import (
    CatalogError,
    cost_parameter,
    get_gpu,
    get_model,
    get_purchase_offer,
    get_rental_offer,
    host_server_offers,
    load_catalog,
    load_catalog_from,
    maintenance_parameter_id,
    needs_host_server,
    offer_caveat,
    offers_for_gpu,
    parse_cost_parameters,
    parse_gpus,
    parse_models,
    parse_offers,
)
from app.core.errors import UnknownId
from app.core.specs import Catalog
from app.core.units import PRECISIONS

CATALOG_DIR = Path(loader.__file__).parent


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# ---------------------------------------------------------------------------------------------
# Required entries
# ---------------------------------------------------------------------------------------------

REQUIRED_GPUS = [
    "h100-sxm", "h100-pcie", "h100-nvl", "h200-sxm", "h200-nvl", "gh200", "b200", "gb200",
    "a100-sxm-80gb", "a100-sxm-40gb", "a100-pcie-80gb", "a100-pcie-40gb", "l40s", "l4", "a10g", "a10",
    "rtx-4090", "rtx-6000-ada", "rtx-pro-6000", "mi300x", "mi325x", "mi355x", "gaudi3", "t4",
]  # fmt: skip

REQUIRED_MODELS = [
    "llama-3.1-8b", "llama-3.1-70b", "llama-3.3-70b", "llama-3.1-405b", "llama-2-7b", "llama-2-70b",
    "llama-4-scout", "llama-4-maverick", "mistral-7b", "mixtral-8x7b", "mixtral-8x22b", "mistral-large-2",
    "qwen2.5-7b", "qwen2.5-14b", "qwen2.5-32b", "qwen2.5-72b", "qwen3-8b", "qwen3-32b", "qwen3-30b-a3b",
    "qwen3-235b-a22b", "deepseek-v3", "deepseek-r1", "gemma-2-9b", "gemma-2-27b", "gemma-3-12b",
    "gemma-3-27b", "gpt-oss-120b", "gpt-oss-20b",
]  # fmt: skip

REQUIRED_COST_PARAMETERS = [
    "electricity_usd_per_kwh", "pue", "pue_modern", "colocation_usd_per_kw_month", "depreciation_years",
    "ops_engineer_usd_per_year", "power_draw_fraction", "maintenance_fraction_per_year",
    "maintenance_fraction_per_year_dgx",
]  # fmt: skip


@pytest.mark.parametrize("gpu_id", REQUIRED_GPUS)
def test_required_gpu_is_present(catalog: Catalog, gpu_id: str) -> None:
    assert catalog.gpus[gpu_id].id == gpu_id


@pytest.mark.parametrize("model_id", REQUIRED_MODELS)
def test_required_model_is_present(catalog: Catalog, model_id: str) -> None:
    assert catalog.models[model_id].id == model_id


@pytest.mark.parametrize("parameter_id", REQUIRED_COST_PARAMETERS)
def test_required_cost_parameter_is_present(catalog: Catalog, parameter_id: str) -> None:
    assert catalog.cost_parameters[parameter_id].id == parameter_id


def test_catalog_has_offers(catalog: Catalog) -> None:
    assert len(catalog.rental_offers) >= 60
    assert len(catalog.purchase_offers) >= 10


# ---------------------------------------------------------------------------------------------
# Provenance and sane numbers on every entry
# ---------------------------------------------------------------------------------------------

KINDS = ["gpus", "models", "rental_offers", "purchase_offers", "cost_parameters"]


def _entries(catalog: Catalog, kind: str) -> list[Any]:
    entries: dict[str, Any] = getattr(catalog, kind)
    assert entries, kind
    return list(entries.values())


def _numbers(entry: Any) -> dict[str, float]:
    numbers: dict[str, float] = {}
    for field in dataclasses.fields(entry):
        value = getattr(entry, field.name)
        if isinstance(value, dict):
            numbers.update({f"{field.name}.{k}": v for k, v in value.items()})
        elif isinstance(value, int | float) and not isinstance(value, bool):
            numbers[field.name] = value
    return numbers


@pytest.mark.parametrize("kind", KINDS)
def test_every_entry_has_source_and_iso_as_of(catalog: Catalog, kind: str) -> None:
    for entry in _entries(catalog, kind):
        assert entry.source.strip(), entry.id
        year, *rest = entry.as_of.split("-")
        assert len(year) == 4 and 1990 <= int(year) <= 2100, entry.id
        assert len(rest) <= 2, entry.id
        assert loader._is_iso_date(entry.as_of), entry.id


@pytest.mark.parametrize("kind", KINDS)
def test_every_figure_is_finite_and_not_negative(catalog: Catalog, kind: str) -> None:
    # Zero only where the type uses it for "not applicable" (dense models' MoE fields and so on).
    for entry in _entries(catalog, kind):
        for name, value in _numbers(entry).items():
            assert math.isfinite(value) and value >= 0, (entry.id, name, value)


@pytest.mark.parametrize("kind", ["gpus", "purchase_offers", "cost_parameters"])
def test_every_figure_is_positive(catalog: Catalog, kind: str) -> None:
    for entry in _entries(catalog, kind):
        for name, value in _numbers(entry).items():
            assert value > 0, (entry.id, name, value)


def test_dense_tflops_use_known_precisions(catalog: Catalog) -> None:
    for gpu in catalog.gpus.values():
        assert gpu.dense_tflops and set(gpu.dense_tflops) <= set(PRECISIONS), gpu.id


def test_interconnect_is_per_direction(catalog: Catalog) -> None:
    # NVLink 5 is 900 GB/s per direction; anything above that is a bidirectional figure by mistake.
    limits = {"nvlink": 900, "infinity_fabric": 600, "ethernet": 600, "pcie": 64, "none": 64}
    for gpu in catalog.gpus.values():
        assert gpu.interconnect_gb_s <= limits[gpu.interconnect], gpu.id


@pytest.mark.parametrize("name", ["gpus.toml", "models.toml", "offers.toml", "costs.toml"])
def test_files_start_with_a_format_comment(name: str) -> None:
    head = (CATALOG_DIR / name).read_text(encoding="utf-8").splitlines()[:10]
    assert all(line.startswith("#") for line in head), name


# ---------------------------------------------------------------------------------------------
# Spot checks against the reference data (values copied from ../shared/data/*.csv)
# ---------------------------------------------------------------------------------------------

GPU_FACTS = [
    ("h100-sxm", "memory_gib", 80),
    ("h100-sxm", "memory_bandwidth_tb_s", 3.35),
    ("h100-sxm", "dense_tflops.bf16", 989.4),
    ("h100-sxm", "dense_tflops.fp8", 1978.9),
    ("h100-sxm", "interconnect_gb_s", 450),  # 900 GB/s bidirectional
    ("h100-sxm", "tdp_watts", 700),
    ("h200-sxm", "memory_gib", 141),
    ("h200-sxm", "memory_bandwidth_tb_s", 4.8),
    ("gh200", "memory_gib", 96),  # the HBM3 variant the calibration measurements ran on
    ("gh200", "memory_bandwidth_tb_s", 4.0),
    ("b200", "dense_tflops.fp4", 9000),
    ("b200", "interconnect_gb_s", 900),
    ("gb200", "max_gpus_per_node", 72),
    ("a100-sxm-80gb", "memory_bandwidth_tb_s", 2.039),
    ("a100-sxm-80gb", "dense_tflops.bf16", 312),
    ("l40s", "dense_tflops.bf16", 362.05),
    ("l40s", "memory_bandwidth_tb_s", 0.864),
    ("mi300x", "memory_gib", 192),
    ("mi300x", "dense_tflops.fp8", 2614.9),
    ("mi300x", "interconnect_gb_s", 448),
    ("t4", "dense_tflops.fp16", 65),
]


@pytest.mark.parametrize(("gpu_id", "attribute", "expected"), GPU_FACTS)
def test_gpu_matches_reference_data(catalog: Catalog, gpu_id: str, attribute: str, expected: float) -> None:
    assert _numbers(catalog.gpus[gpu_id])[attribute] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("gpu_id", "precision"),
    [("a100-sxm-80gb", "fp8"), ("a100-pcie-40gb", "fp8"), ("h100-sxm", "fp4"), ("h100-sxm", "int4"),
     ("h200-sxm", "fp4"), ("mi300x", "fp4"), ("t4", "bf16"), ("a10g", "fp8")],
)  # fmt: skip
def test_precision_without_tensor_cores_is_absent(catalog: Catalog, gpu_id: str, precision: str) -> None:
    assert precision not in catalog.gpus[gpu_id].dense_tflops


@pytest.mark.parametrize(
    ("gpu_id", "interconnect"),
    [("h100-sxm", "nvlink"), ("b200", "nvlink"), ("mi300x", "infinity_fabric"), ("gaudi3", "ethernet"),
     ("h100-pcie", "pcie"), ("h100-nvl", "pcie"), ("a100-pcie-80gb", "pcie"), ("l40s", "pcie"),
     ("rtx-4090", "pcie")],
)  # fmt: skip
def test_gpu_interconnect(catalog: Catalog, gpu_id: str, interconnect: str) -> None:
    assert catalog.gpus[gpu_id].interconnect == interconnect


MODEL_FACTS = [
    ("llama-3.1-70b", "num_layers", 80),
    ("llama-3.1-70b", "num_kv_heads", 8),
    ("llama-3.1-70b", "head_dim", 128),
    ("llama-3.1-70b", "hidden_size", 8192),
    ("llama-3.1-70b", "max_context", 131072),
    ("llama-3.1-8b", "total_params_b", 8.03),
    ("llama-3.1-405b", "num_layers", 126),
    ("llama-2-7b", "num_kv_heads", 32),
    ("llama-2-7b", "max_context", 4096),
    ("mixtral-8x7b", "active_params_b", 12.9),
    ("qwen3-30b-a3b", "num_experts", 128),
    ("qwen3-30b-a3b", "experts_per_token", 8),
    ("qwen3-235b-a22b", "num_layers", 94),
    ("deepseek-v3", "kv_lora_rank", 512),
    ("deepseek-v3", "qk_rope_head_dim", 64),
    ("deepseek-v3", "total_params_b", 671),
    ("deepseek-v3", "active_params_b", 37),
    ("deepseek-v3", "max_context", 163840),
    ("gemma-2-9b", "sliding_window", 4096),
    ("gemma-2-9b", "sliding_window_layers", 21),
    ("gemma-3-27b", "sliding_window", 1024),
    ("gemma-3-27b", "sliding_window_layers", 52),
    ("gpt-oss-120b", "sliding_window", 128),
    ("gpt-oss-120b", "sliding_window_layers", 18),
    ("gpt-oss-120b", "head_dim", 64),
    ("llama-4-scout", "sliding_window", 8192),
    ("llama-4-scout", "max_context", 10485760),
    ("llama-4-maverick", "num_experts", 128),
]


@pytest.mark.parametrize(("model_id", "attribute", "expected"), MODEL_FACTS)
def test_model_matches_reference_data(catalog: Catalog, model_id: str, attribute: str, expected: float) -> None:
    assert getattr(catalog.models[model_id], attribute) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("model_id", "routed_b"),
    [("deepseek-v3", 654), ("deepseek-r1", 654), ("llama-4-maverick", 386.5), ("llama-4-scout", 96.6),
     ("mixtral-8x7b", 45.1), ("qwen3-235b-a22b", 227.1), ("gpt-oss-120b", 114.7), ("gpt-oss-20b", 19.1)],
)  # fmt: skip
def test_routed_expert_params(catalog: Catalog, model_id: str, routed_b: float) -> None:
    assert catalog.models[model_id].routed_expert_params_b == pytest.approx(routed_b, rel=0.02)


@pytest.mark.parametrize(
    ("model_id", "kv_bytes_per_token_bf16"),
    [("llama-3.1-8b", 131072), ("llama-3.1-70b", 327680), ("llama-2-7b", 524288), ("qwen2.5-7b", 57344),
     ("gemma-2-9b", 344064), ("gemma-3-27b", 507904), ("mixtral-8x22b", 229376), ("gpt-oss-120b", 73728),
     ("deepseek-v3", 70272)],
)  # fmt: skip
def test_kv_cache_size_matches_reference_data(catalog: Catalog, model_id: str, kv_bytes_per_token_bf16: int) -> None:
    # The reference data's full-context KV bytes per token (no sliding-window discount), BF16.
    m = catalog.models[model_id]
    per_layer = m.kv_lora_rank + m.qk_rope_head_dim if m.uses_mla else 2 * m.num_kv_heads * m.head_dim
    assert m.num_layers * per_layer * 2 == kv_bytes_per_token_bf16


@pytest.mark.parametrize(
    ("model_id", "precision"),
    [("deepseek-v3", "fp8"), ("deepseek-r1", "fp8"), ("gpt-oss-120b", "fp4"), ("llama-3.1-70b", "bf16")],
)
def test_native_precision(catalog: Catalog, model_id: str, precision: str) -> None:
    assert catalog.models[model_id].native_precision == precision


def test_shared_architectures_are_separate_entries(catalog: Catalog) -> None:
    for a, b in [("llama-3.1-70b", "llama-3.3-70b"), ("deepseek-v3", "deepseek-r1")]:
        first, second = catalog.models[a], catalog.models[b]
        assert first.hf_id != second.hf_id
        assert (first.num_layers, first.hidden_size, first.total_params_b) == (
            second.num_layers,
            second.hidden_size,
            second.total_params_b,
        )


def test_moe_models_are_consistent(catalog: Catalog) -> None:
    moe = [m for m in catalog.models.values() if m.is_moe]
    assert len(moe) >= 9
    for m in moe:
        assert 0 < m.active_params_b < m.total_params_b, m.id
        assert 0 < m.routed_expert_params_b < m.total_params_b, m.id
        assert 0 < m.experts_per_token <= m.num_experts, m.id


def test_dense_models_have_no_moe_fields(catalog: Catalog) -> None:
    for m in catalog.models.values():
        if not m.is_moe:
            assert m.active_params_b == m.total_params_b, m.id
            assert m.experts_per_token == 0 and m.routed_expert_params_b == 0, m.id


def test_sliding_windows_cover_part_of_the_layers(catalog: Catalog) -> None:
    for m in catalog.models.values():
        assert (m.sliding_window > 0) == (m.sliding_window_layers > 0), m.id
        assert m.sliding_window_layers <= m.num_layers, m.id


def test_every_offer_references_a_known_gpu(catalog: Catalog) -> None:
    offers = [*catalog.rental_offers.values(), *catalog.purchase_offers.values()]
    for offer in offers:
        assert offer.gpu in catalog.gpus, offer.id


def test_every_rental_offer_has_a_price(catalog: Catalog) -> None:
    terms = ("on_demand", "spot", "reserved_1y", "reserved_3y")
    for offer in catalog.rental_offers.values():
        assert any(offer.per_gpu_hour(term) for term in terms), offer.id
        assert offer.confidence in ("high", "medium", "low"), offer.id


def test_hyperscaler_reserved_prices_keep_the_estimate_caveat(catalog: Catalog) -> None:
    reserved = [
        o
        for o in catalog.rental_offers.values()
        if o.provider in ("AWS", "Azure", "GCP") and o.reserved_1y_per_gpu_hour is not None
    ]
    assert len(reserved) >= 10
    for offer in reserved:
        assert "ESTIMATE" in offer.notes, offer.id


@pytest.mark.parametrize(
    ("offer_id", "gpu_id", "on_demand"),
    [("aws-p5-48xlarge-us-east-1", "h100-sxm", 6.88), ("lambda-gh200-1x", "gh200", 2.29),
     ("oci-bm-gpu-mi300x-8", "mi300x", 6.0), ("azure-nc40ads-h100-v5-eastus", "h100-nvl", 6.98),
     ("gcp-g2-standard-4-us-east1", "l4", 0.708)],
)  # fmt: skip
def test_rental_offer_matches_reference_data(catalog: Catalog, offer_id: str, gpu_id: str, on_demand: float) -> None:
    offer = catalog.rental_offers[offer_id]
    assert offer.gpu == gpu_id
    assert offer.on_demand_per_gpu_hour == pytest.approx(on_demand)


def test_purchase_offers(catalog: Catalog) -> None:
    dgx = catalog.purchase_offers["dgx-h100"]
    assert (dgx.gpu, dgx.gpu_count, dgx.price_usd, dgx.power_kw) == ("h100-sxm", 8, 269010, 10.2)
    assert dgx.price_per_gpu == pytest.approx(269010 / 8)
    for offer in catalog.purchase_offers.values():
        low = offer.price_low_usd if offer.price_low_usd is not None else offer.price_usd
        high = offer.price_high_usd if offer.price_high_usd is not None else offer.price_usd
        assert low <= offer.price_usd <= high, offer.id


@pytest.mark.parametrize(
    ("parameter_id", "value", "low", "high"),
    [("electricity_usd_per_kwh", 0.0929, 0.082, 0.0933), ("pue", 1.54, None, None),
     ("pue_modern", 1.2, 1.1, 1.3), ("colocation_usd_per_kw_month", 194.95, 184.06, 217.3),
     ("depreciation_years", 5, 4, 6), ("power_draw_fraction", 0.7, 0.6, 0.8)],
)  # fmt: skip
def test_cost_parameter_matches_reference_data(
    catalog: Catalog, parameter_id: str, value: float, low: float | None, high: float | None
) -> None:
    parameter = catalog.cost_parameters[parameter_id]
    assert (parameter.value, parameter.low, parameter.high) == (value, low, high)


def test_ops_engineer_cost_is_loaded(catalog: Catalog) -> None:
    parameter = catalog.cost_parameters["ops_engineer_usd_per_year"]
    assert parameter.value == pytest.approx(200_000 * 1.35)
    assert parameter.low is not None and parameter.high is not None
    assert parameter.low < parameter.value < parameter.high


# ---------------------------------------------------------------------------------------------
# Strict validation of broken files
# ---------------------------------------------------------------------------------------------

GOOD_GPU = """
[[gpu]]
id = "test-gpu"
name = "Test GPU"
vendor = "Acme"
memory_gib = 80
memory_bandwidth_tb_s = 3.35
dense_tflops = { bf16 = 989.4, fp8 = 1978.9 }
tdp_watts = 700
interconnect = "nvlink"
interconnect_gb_s = 450
max_gpus_per_node = 8
source = "datasheet"
as_of = "2026-11-24"
"""

GOOD_MODEL = """
[[model]]
id = "test-moe"
name = "Test MoE"
hf_id = "acme/test-moe"
total_params_b = 46.7
active_params_b = 12.9
num_layers = 32
hidden_size = 4096
num_attention_heads = 32
num_kv_heads = 8
head_dim = 128
vocab_size = 32000
max_context = 32768
num_experts = 8
experts_per_token = 2
routed_expert_params_b = 45.1
moe_intermediate_size = 14336
moe_layers = 32
source = "config.json"
as_of = "2026-11"
"""

GOOD_OFFERS = """
[[rental_offer]]
id = "cloud-test-8x"
provider = "Cloud"
instance = "test.8x"
gpu = "test-gpu"
gpus_per_instance = 8
region = "us-east-1"
on_demand_per_gpu_hour = 2.5
source = "price list"
as_of = "2026"

[[purchase_offer]]
id = "test-server"
item = "Test server"
category = "server"
gpu = "test-gpu"
gpu_count = 8
price_usd = 300000
price_low_usd = 250000
source = "quote"
as_of = "2026-11-24"
"""

GOOD_COSTS = """
[[cost_parameter]]
id = "pue"
name = "PUE"
value = 1.2
unit = "ratio"
low = 1.1
high = 1.3
source = "survey"
as_of = "2025-07"
"""


def _parse(kind: str, text: str) -> object:
    if kind == "gpus":
        return parse_gpus(text)
    if kind == "models":
        return parse_models(text)
    if kind == "offers":
        return parse_offers(text, {"test-gpu"})
    return parse_cost_parameters(text)


GOOD = {"gpus": GOOD_GPU, "models": GOOD_MODEL, "offers": GOOD_OFFERS, "costs": GOOD_COSTS}


@pytest.mark.parametrize("kind", list(GOOD))
def test_good_minimal_files_parse(kind: str) -> None:
    assert _parse(kind, GOOD[kind])


def _without(text: str, line_start: str) -> str:
    lines = text.splitlines()
    kept = [line for line in lines if not line.startswith(line_start)]
    assert len(kept) == len(lines) - 1, line_start
    return "\n".join(kept)


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


BROKEN = [
    # (kind, broken text, entry, field, message fragment)
    pytest.param("gpus", _without(GOOD_GPU, "source"), "test-gpu", "source", "missing", id="missing-source"),
    pytest.param("gpus", _without(GOOD_GPU, "as_of"), "test-gpu", "as_of", "missing", id="missing-as-of"),
    pytest.param("gpus", _replace(GOOD_GPU, 'source = "datasheet"', 'source = "  "'), "test-gpu", "source",
                 "empty", id="blank-source"),
    pytest.param("gpus", _replace(GOOD_GPU, '"2026-11-24"', '"last year"'), "test-gpu", "as_of", "ISO date",
                 id="as-of-not-a-date"),
    pytest.param("gpus", _replace(GOOD_GPU, '"2026-11-24"', '"2026-13"'), "test-gpu", "as_of", "ISO date",
                 id="as-of-bad-month"),
    pytest.param("gpus", _replace(GOOD_GPU, '"2026-11-24"', '"2026-02-30"'), "test-gpu", "as_of", "ISO date",
                 id="as-of-bad-day"),
    pytest.param("gpus", GOOD_GPU + GOOD_GPU, "test-gpu", "id", "duplicate", id="duplicate-id"),
    pytest.param("gpus", GOOD_GPU + _replace(GOOD_GPU, '"test-gpu"', '"Test_GPU"'), "Test_GPU", "id",
                 "not a valid id", id="id-not-a-slug"),
    pytest.param("gpus", _replace(GOOD_GPU, "memory_gib = 80", "memory_gib = -80"), "test-gpu", "memory_gib",
                 "positive", id="negative-memory"),
    pytest.param("gpus", _replace(GOOD_GPU, "memory_gib = 80", "memory_gib = 0"), "test-gpu", "memory_gib",
                 "positive", id="zero-memory"),
    pytest.param("gpus", _replace(GOOD_GPU, "tdp_watts = 700", "tdp_watts = nan"), "test-gpu", "tdp_watts",
                 "finite", id="nan"),
    pytest.param("gpus", _replace(GOOD_GPU, "= 3.35", "= inf"), "test-gpu", "memory_bandwidth_tb_s", "finite",
                 id="infinite"),
    pytest.param("gpus", _replace(GOOD_GPU, "= 3.35", '= "3.35"'), "test-gpu", "memory_bandwidth_tb_s",
                 "number", id="number-as-string"),
    pytest.param("gpus", _replace(GOOD_GPU, "fp8 = 1978.9", "fp6 = 1978.9"), "test-gpu", "dense_tflops.fp6",
                 "unknown precision", id="unknown-precision"),
    pytest.param("gpus", _replace(GOOD_GPU, "bf16 = 989.4", "bf16 = -1"), "test-gpu", "dense_tflops.bf16",
                 "positive", id="negative-tflops"),
    pytest.param("gpus", _replace(GOOD_GPU, "memory_gib", "memory_gb"), "test-gpu", "memory_gib",
                 "'memory_gb' a misspelling", id="misspelt-field"),
    pytest.param("gpus", GOOD_GPU + 'colour = "green"', "test-gpu", "colour", "not a known field",
                 id="unknown-field"),
    pytest.param("gpus", _replace(GOOD_GPU, '"nvlink"', '"infiniband"'), "test-gpu", "interconnect",
                 "not one of", id="unknown-interconnect"),
    pytest.param("gpus", _replace(GOOD_GPU, "max_gpus_per_node = 8", "max_gpus_per_node = 8.5"), "test-gpu",
                 "max_gpus_per_node", "whole number", id="fractional-count"),
    pytest.param("models", _replace(GOOD_MODEL, "active_params_b = 12.9", "active_params_b = 50"), "test-moe",
                 "active_params_b", "exceeds", id="active-above-total"),
    pytest.param("models", _replace(GOOD_MODEL, "params_b = 45.1", "params_b = 30"), "test-moe",
                 "routed_expert_params_b", "disagrees", id="routed-params-off"),
    pytest.param("models", _without(GOOD_MODEL, "experts_per_token"), "test-moe", "experts_per_token",
                 "together", id="half-moe"),
    pytest.param("models", _replace(GOOD_MODEL, "experts_per_token = 2", "experts_per_token = 9"), "test-moe",
                 "experts_per_token", "exceeds", id="top-k-above-experts"),
    pytest.param("models", GOOD_MODEL + "kv_lora_rank = 512", "test-moe", "qk_rope_head_dim", "together",
                 id="half-mla"),
    pytest.param("models", GOOD_MODEL + "sliding_window = 4096", "test-moe", "sliding_window_layers",
                 "together", id="window-without-layers"),
    pytest.param("models", GOOD_MODEL + 'native_precision = "fp6"', "test-moe", "native_precision",
                 "not one of", id="unknown-native-precision"),
    pytest.param("offers", _replace(GOOD_OFFERS, 'gpu = "test-gpu"', 'gpu = "h100"'), "cloud-test-8x", "gpu",
                 "unknown GPU id", id="rental-unknown-gpu"),
    pytest.param("offers", _replace(GOOD_OFFERS, 'gpu = "test-gpu"\ngpu_count', 'gpu = "nope"\ngpu_count'),
                 "test-server", "gpu", "unknown GPU id", id="purchase-unknown-gpu"),
    pytest.param("offers", _without(GOOD_OFFERS, "on_demand_per_gpu_hour"), "cloud-test-8x",
                 "on_demand_per_gpu_hour", "at least one price", id="offer-without-price"),
    pytest.param("offers", _replace(GOOD_OFFERS, "= 2.5", "= -2.5"), "cloud-test-8x",
                 "on_demand_per_gpu_hour", "positive", id="negative-price"),
    pytest.param("offers", _replace(GOOD_OFFERS, "price_low_usd = 250000", "price_low_usd = 350000"),
                 "test-server", "price_usd", "below its low bound", id="price-below-range"),
    pytest.param("offers", _replace(GOOD_OFFERS, '"server"', '"cluster"'), "test-server", "category",
                 "not one of", id="unknown-category"),
    pytest.param("costs", _replace(GOOD_COSTS, "high = 1.3", "high = 1.15"), "pue", "value",
                 "above its high bound", id="value-above-range"),
    pytest.param("costs", _without(GOOD_COSTS, "unit"), "pue", "unit", "missing", id="missing-unit"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "text", "entry", "field", "fragment"), BROKEN)
def test_validation_rejects_broken_entry(kind: str, text: str, entry: str, field: str, fragment: str) -> None:
    with pytest.raises(CatalogError) as caught:
        _parse(kind, text)
    error = caught.value
    assert (error.entry, error.field) == (entry, field), str(error)
    assert fragment in str(error)
    assert str(error).startswith(f"{kind}.toml: entry {entry!r}, field {field!r}")


@pytest.mark.parametrize(
    ("kind", "text", "fragment"),
    [("gpus", "[[gpu]\nid = 1", "not valid TOML"), ("gpus", "", "no [[gpu]] entries"),
     ("gpus", GOOD_GPU + '\n[[gpus]]\nid = "x"', "unexpected top-level key 'gpus'"),
     ("models", "model = 3", "array of tables"), ("costs", "[[cost_parameter]]\nid = 'x'", "'x'")],
)  # fmt: skip
def test_validation_rejects_broken_file(kind: str, text: str, fragment: str) -> None:
    with pytest.raises(CatalogError, match=r"\.toml") as caught:
        _parse(kind, text)
    assert fragment in str(caught.value)


def _copy_catalog(tmp_path: Path) -> Path:
    for name in ("gpus.toml", "models.toml", "offers.toml", "costs.toml"):
        shutil.copy(CATALOG_DIR / name, tmp_path / name)
    return tmp_path


def test_catalog_directory_round_trip(tmp_path: Path, catalog: Catalog) -> None:
    assert load_catalog_from(_copy_catalog(tmp_path)) == catalog


def test_catalog_directory_with_an_offer_for_a_removed_gpu(tmp_path: Path) -> None:
    directory = _copy_catalog(tmp_path)
    gpus = (directory / "gpus.toml").read_text(encoding="utf-8")
    (directory / "gpus.toml").write_text(gpus.replace('id = "gh200"', 'id = "gh200-144gb"'), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog_from(directory)
    assert caught.value.file == "offers.toml"
    assert caught.value.entry == "lambda-gh200-1x"
    assert "gh200-144gb" in str(caught.value)  # suggested


def test_catalog_directory_missing_a_file(tmp_path: Path) -> None:
    directory = _copy_catalog(tmp_path)
    (directory / "costs.toml").unlink()
    with pytest.raises(CatalogError, match="costs.toml"):
        load_catalog_from(directory)


def test_load_catalog_is_cached() -> None:
    assert load_catalog() is load_catalog()


# ---------------------------------------------------------------------------------------------
# Lookups
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [("h100-sxm", "h100-sxm"), ("H100-SXM", "h100-sxm"), ("h100_sxm", "h100-sxm"), (" H100 SXM ", "h100-sxm"),
     ("MI300X", "mi300x"), ("RTX_PRO_6000", "rtx-pro-6000")],
)  # fmt: skip
def test_get_gpu_is_tolerant(catalog: Catalog, given: str, expected: str) -> None:
    assert get_gpu(catalog, given).id == expected


@pytest.mark.parametrize(
    ("lookup", "given", "expected"),
    [(get_model, "Llama-3.1-70B", "llama-3.1-70b"), (get_model, "QWEN3_30B_A3B", "qwen3-30b-a3b"),
     (get_rental_offer, "AWS-P5-48XLARGE-US-EAST-1", "aws-p5-48xlarge-us-east-1"),
     (get_purchase_offer, "DGX_H100", "dgx-h100"),
     (cost_parameter, "electricity-usd-per-kwh", "electricity_usd_per_kwh"), (cost_parameter, "PUE", "pue")],
)  # fmt: skip
def test_lookups_are_tolerant(catalog: Catalog, lookup: Any, given: str, expected: str) -> None:
    assert lookup(catalog, given).id == expected


@pytest.mark.parametrize(
    ("lookup", "kind", "given", "suggested"),
    [(get_gpu, "gpu", "h100", "h100-sxm"), (get_gpu, "gpu", "h100-sxn", "h100-sxm"),
     (get_gpu, "gpu", "mi300", "mi300x"), (get_gpu, "gpu", "a100-80gb", "a100-sxm-80gb"),
     (get_model, "model", "lama-3.1-70b", "llama-3.1-70b"), (get_model, "model", "deepseek", "deepseek-v3"),
     (get_model, "model", "gpt-oss", "gpt-oss-120b"),
     (get_rental_offer, "rental offer", "aws-p5", "aws-p5-48xlarge-us-east-1"),
     (get_purchase_offer, "purchase offer", "dgx-h200", "dgx-h100"),
     (cost_parameter, "cost parameter", "electricity", "electricity_usd_per_kwh")],
)  # fmt: skip
def test_unknown_ids_suggest_close_ones(catalog: Catalog, lookup: Any, kind: str, given: str, suggested: str) -> None:
    with pytest.raises(UnknownId) as caught:
        lookup(catalog, given)
    error = caught.value
    assert (error.kind, error.given) == (kind, given)
    assert suggested in error.suggestions
    assert len(error.suggestions) <= 5
    assert repr(suggested) in str(error)


def test_unknown_id_carries_the_field(catalog: Catalog) -> None:
    with pytest.raises(UnknownId) as caught:
        get_gpu(catalog, "nope-9000", field=("options", 1, "gpu"))
    assert caught.value.field == ("options", 1, "gpu")


def test_offers_for_gpu_are_cheapest_first(catalog: Catalog) -> None:
    offers = offers_for_gpu(catalog, "H100_SXM")
    assert len(offers) >= 10
    assert {o.gpu for o in offers} == {"h100-sxm"}
    prices = [o.on_demand_per_gpu_hour for o in offers]
    known = [p for p in prices if p is not None]
    assert known == sorted(known)
    assert prices[: len(known)] == known  # offers without an on-demand price come last


@pytest.mark.parametrize("gpu_id", REQUIRED_GPUS)
def test_offers_for_gpu_only_returns_that_gpu(catalog: Catalog, gpu_id: str) -> None:
    assert all(o.gpu == gpu_id for o in offers_for_gpu(catalog, gpu_id))


def test_offers_for_unknown_gpu(catalog: Catalog) -> None:
    with pytest.raises(UnknownId, match="h100-sxm"):
        offers_for_gpu(catalog, "h100")


# ---------------------------------------------------------------------------------------------
# Purchase catalog: prices that are sourced, offers that can stand alone, maintenance defaults
# ---------------------------------------------------------------------------------------------

# The DGX A100's launch price: $24,875 per GPU x 8 (NVIDIA press release 2020-05-21, as recorded in
# epoch-research/training-cost-trends data/Hardware prices.csv). The catalog once gave it for the DGX H100.
DGX_A100_LAUNCH_PRICE = 24_875 * 8


def test_dgx_h100_price_is_sourced_and_not_the_dgx_a100_price(catalog: Catalog) -> None:
    dgx = catalog.purchase_offers["dgx-h100"]
    assert dgx.price_usd != DGX_A100_LAUNCH_PRICE
    assert "SemiAnalysis" in dgx.source and "269,010" in dgx.source
    assert dgx.as_of == "2023-05"
    # An analyst's estimate of a 2023 sale price, quoted second-hand: not a quote, so not trusted highly.
    assert dgx.confidence == "low" and dgx.notes.startswith("ESTIMATE")
    assert dgx.price_low_usd is not None and dgx.price_high_usd is not None
    assert dgx.price_low_usd <= dgx.price_usd <= dgx.price_high_usd


@pytest.mark.parametrize(
    ("offer_id", "needs_host"),
    [("h100-sxm-card", True), ("h200-sxm-card", True), ("b200-card", True), ("mi300x-card", True),
     ("a100-sxm-80gb-card", True), ("h100-pcie-card", False), ("a100-pcie-80gb-card", False),
     ("l40s-card", False), ("rtx-4090-card", False), ("dgx-h100", False), ("hgx-h100-server", False)],
)  # fmt: skip
def test_a_lone_sxm_or_oam_module_needs_its_host_server(catalog: Catalog, offer_id: str, needs_host: bool) -> None:
    assert needs_host_server(catalog, catalog.purchase_offers[offer_id]) is needs_host


def test_no_sxm_card_can_be_bought_without_its_host(catalog: Catalog) -> None:
    for offer in catalog.purchase_offers.values():
        gpu = catalog.gpus[offer.gpu]
        if offer.category == "gpu_card" and gpu.interconnect != "pcie":
            assert needs_host_server(catalog, offer), offer.id


@pytest.mark.parametrize(
    ("gpu_id", "servers"),
    [("h100-sxm", ["dgx-h100", "hgx-h100-server"]),  # $269,010 / 8 = $33,626 below $310,000 / 8 = $38,750
     ("b200", ["hgx-b200-server", "dgx-b200"]),  # $400,000 / 8 = $50,000 below $515,000 / 8 = $64,375
     ("mi300x", [])],
)  # fmt: skip
def test_host_server_offers_cheapest_per_gpu_first(catalog: Catalog, gpu_id: str, servers: list[str]) -> None:
    assert [o.id for o in host_server_offers(catalog, gpu_id)] == servers


def test_oem_maintenance_default_is_sourced_and_below_ten_percent(catalog: Catalog) -> None:
    oem = catalog.cost_parameters["maintenance_fraction_per_year"]
    assert oem.value < 0.10
    assert oem.low is not None and oem.high is not None and oem.low <= oem.value <= oem.high
    assert "warranty" in oem.source and "librarytechnology.org" in oem.source
    # The derivation the notes give: years 4-5 of a 5-year life at 11%/yr, spread over the 5 years.
    assert oem.value == pytest.approx(2 * 0.11 / 5)
    assert catalog.cost_parameters["depreciation_years"].value == 5


def test_dgx_support_stays_a_named_alternative(catalog: Catalog) -> None:
    dgx = catalog.cost_parameters["maintenance_fraction_per_year_dgx"]
    assert dgx.value == 0.2 and "DGX" in dgx.source


@pytest.mark.parametrize(
    ("offer_id", "parameter_id"),
    [("dgx-h100", "maintenance_fraction_per_year_dgx"), ("dgx-b200", "maintenance_fraction_per_year_dgx"),
     ("hgx-h100-server", "maintenance_fraction_per_year"), ("l40s-card", "maintenance_fraction_per_year"),
     (None, "maintenance_fraction_per_year")],
)  # fmt: skip
def test_maintenance_parameter_by_offer(catalog: Catalog, offer_id: str | None, parameter_id: str) -> None:
    offer = catalog.purchase_offers[offer_id] if offer_id else None
    assert maintenance_parameter_id(catalog, offer) == parameter_id


def test_a_frozen_catalog_without_the_dgx_figure_keeps_the_one_it_had(catalog: Catalog) -> None:
    costs = {k: v for k, v in catalog.cost_parameters.items() if k != "maintenance_fraction_per_year_dgx"}
    old = dataclasses.replace(catalog, cost_parameters=costs)
    assert maintenance_parameter_id(old, catalog.purchase_offers["dgx-h100"]) == "maintenance_fraction_per_year"


@pytest.mark.parametrize(
    ("kind", "offer_id", "term", "caveat"),
    [("rental", "aws-p5-48xlarge-us-east-1", "reserved_1y",
      "estimate: on-demand price less a generic 1-year commitment discount, not a quote"),
     ("rental", "aws-p5-48xlarge-us-east-1", "reserved_3y",
      "estimate: on-demand price less a generic 3-year commitment discount, not a quote"),
     ("rental", "aws-p5-48xlarge-us-east-1", "on_demand", None),
     ("rental", "coreweave-hgx-h100-8x", "on_demand",
      "unverified: a recalled list price, not found in a stored source"),
     ("rental", "lambda-gh200-1x", "on_demand", None),
     ("purchase", "hgx-h100-server", None, None),
     ("purchase", "hgx-b200-server", None, "estimate: derived from card prices, not a quote"),
     ("purchase", "l40s-card", None, "card only: the host server's price and power are not included"),
     ("purchase", "h100-pcie-card", None,
      "card only: the host server's price and power are not included; low confidence: Price assumed ~SXM")],
)  # fmt: skip
def test_offer_caveat(catalog: Catalog, kind: str, offer_id: str, term: str | None, caveat: str | None) -> None:
    offers: dict[str, Any] = catalog.rental_offers if kind == "rental" else catalog.purchase_offers
    assert offer_caveat(offers[offer_id], term) == caveat


def test_every_low_confidence_offer_has_a_caveat(catalog: Catalog) -> None:
    for offer in [*catalog.rental_offers.values(), *catalog.purchase_offers.values()]:
        if offer.confidence == "low":
            assert offer_caveat(offer, "on_demand"), offer.id
