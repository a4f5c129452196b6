"""Issue 15: the models and GPUs people deploy in 2026, and the two attention kinds they brought.

Linear-attention layers (Qwen3-Next's Gated DeltaNet) hold a fixed recurrent state instead of a KV
cache; sparse attention (DeepSeek-V3.2's DSA) caches an indexer key per token and lets decode read the
entries of at most `index_topk` tokens. Figures below are worked by hand from each config.json.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.catalog.loader import CatalogError, load_catalog, parse_models
from app.core.errors import DomainError
from app.core.memory import (
    full_attention_layer_count,
    kv_bytes_per_token,
    kv_bytes_per_token_per_gpu,
    kv_bytes_read_per_decode_step_per_gpu,
    recurrent_state_bytes_per_sequence,
)
from app.core.throughput import _attention_context_layers
from app.scenario.evaluate import SelfHostedResult, evaluate
from app.scenario.inputs import ScenarioIn

CATALOG = load_catalog()
QWEN3_NEXT = CATALOG.models["qwen3-next-80b-a3b-thinking"]
DEEPSEEK_V32 = CATALOG.models["deepseek-v3.2"]

NEW_MODELS = {
    "llama-3.2-1b",
    "llama-3.2-3b",
    "phi-4",
    "gemma-3-4b",
    "qwen3-coder-480b-a35b",
    "qwen3-next-80b-a3b-thinking",
    "glm-4.5",
    "glm-4.7",
    "minimax-m2",
    "kimi-k2-instruct",
    "deepseek-v3.1",
    "deepseek-v3.2",
}
NEW_GPUS = {"b300", "gb300", "h20", "h800-sxm", "a800-sxm-80gb", "l20"}

# Qwen3-Next: 36 Gated DeltaNet layers x (recurrent 32 x 128 x 128 + conv 3 x (2 x 16 x 128 + 32 x 128))
# = 36 x 548,864 elements x 2 B (BF16 state) = 39,518,208 B per sequence.
QWEN3_NEXT_STATE_BYTES = 36 * 548_864 * 2
# 12 full-attention layers x 2 (K, V) x 2 KV heads x 256 x 2 B = 24,576 B per token at BF16.
QWEN3_NEXT_KV_BYTES_PER_TOKEN = 12 * 2 * 2 * 256 * 2


def test_qwen3_next_holds_kv_on_its_full_attention_layers_only() -> None:
    assert QWEN3_NEXT_STATE_BYTES == 39_518_208
    assert full_attention_layer_count(QWEN3_NEXT) == 12
    assert recurrent_state_bytes_per_sequence(QWEN3_NEXT) == QWEN3_NEXT_STATE_BYTES
    # Without a context, the per-token figure: KV of the 12 full layers, the fixed state left out.
    assert kv_bytes_per_token(QWEN3_NEXT, "bf16") == 24_576
    # At 1,000 tokens: 24,576 + 39,518,208 / 1,000 = 64,094.208 B per token, 64.09 MB per sequence.
    assert kv_bytes_per_token(QWEN3_NEXT, "bf16", 1000) == pytest.approx(64_094.208)
    # TP 4: max(2/4, 1) = 1 KV head per GPU -> 12,288 B per token, plus a quarter of the state per token:
    # 12,288 + 39,518,208 / 4 / 1,000 = 22,167.552.
    assert kv_bytes_per_token_per_gpu(QWEN3_NEXT, "bf16", 4, 1000) == pytest.approx(22_167.552)
    # Decode reads all of it: the state is read and written every step.
    assert kv_bytes_read_per_decode_step_per_gpu(QWEN3_NEXT, "bf16", 4, 1000) == pytest.approx(22_167_552)


def test_qwen3_next_attends_on_12_layers_of_48() -> None:
    assert _attention_context_layers(QWEN3_NEXT, 1000) == 12 * 1000


def test_deepseek_v32_caches_the_indexer_key_and_reads_the_top_2048() -> None:
    # 61 layers x (MLA 512 + 64 = 576, plus the indexer's 128) x 2 B = 85,888 B per token at BF16.
    assert kv_bytes_per_token(DEEPSEEK_V32, "bf16") == 61 * 704 * 2 == 85_888
    # Below top-k every cached token is read: the step reads all it stores.
    assert kv_bytes_read_per_decode_step_per_gpu(DEEPSEEK_V32, "bf16", 8, 2000) == 85_888 * 2000
    # At 10,000 tokens: 61 x (2,048 x 576 + 10,000 x 128) x 2 B = 300,077,056 B read per step, of
    # 858,880,000 stored (the MLA latent is replicated on every TP rank, so TP 8 changes neither).
    assert kv_bytes_read_per_decode_step_per_gpu(DEEPSEEK_V32, "bf16", 8, 10_000) == 300_077_056
    assert kv_bytes_per_token_per_gpu(DEEPSEEK_V32, "bf16", 8, 10_000) * 10_000 == 858_880_000


def test_deepseek_v32_attends_to_at_most_2048_tokens_a_layer() -> None:
    assert _attention_context_layers(DEEPSEEK_V32, 1000) == 61 * 1000
    assert _attention_context_layers(DEEPSEEK_V32, 10_000) == 61 * 2048


@pytest.mark.parametrize(
    ("model_id", "context", "kv_bytes_per_token_bf16", "attention_context_layers"),
    [
        # 2 x 32 layers x 8 KV heads x 128 x 2 B; 32 layers x 1,000.
        ("llama-3.1-8b", 1000, 131_072, 32_000),
        # MLA: 61 x 576 x 2 B; 61 x 1,000.
        ("deepseek-v3", 1000, 70_272, 61_000),
        # 10 global + 52 windowed (1,024) layers at 8,192 tokens: (10 + 52 x 1024 / 8192) x 2 x 16 x 128 x 2 B
        # = 16.5 x 8,192 = 135,168; attention 10 x 8,192 + 52 x 1,024 = 135,168 (the same number by chance).
        ("gemma-3-27b", 8192, 135_168, 135_168),
    ],
)
def test_models_without_the_new_attention_kinds_keep_their_figures(
    model_id: str, context: int, kv_bytes_per_token_bf16: float, attention_context_layers: float
) -> None:
    model = CATALOG.models[model_id]
    assert kv_bytes_per_token(model, "bf16", context) == kv_bytes_per_token_bf16
    assert kv_bytes_read_per_decode_step_per_gpu(model, "bf16", 1, context) == kv_bytes_per_token_bf16 * context
    assert _attention_context_layers(model, context) == attention_context_layers


@given(context=st.integers(min_value=1, max_value=1_000_000), gpu_count=st.sampled_from([1, 2, 4, 8]))
def test_a_sequence_holds_its_kv_plus_a_fixed_state(context: int, gpu_count: int) -> None:
    held = kv_bytes_per_token(QWEN3_NEXT, "bf16", context) * context
    assert held == pytest.approx(QWEN3_NEXT_KV_BYTES_PER_TOKEN * context + QWEN3_NEXT_STATE_BYTES)
    per_gpu = kv_bytes_per_token_per_gpu(QWEN3_NEXT, "bf16", gpu_count, context) * context
    assert per_gpu * gpu_count >= held * (1 - 1e-12)  # KV heads replicate past 2 GPUs, never shrink


@given(
    context=st.integers(min_value=1, max_value=1_000_000),
    more=st.integers(min_value=0, max_value=100_000),
    gpu_count=st.sampled_from([1, 2, 4, 8]),
)
def test_sparse_decode_reads_no_more_than_it_stores_and_grows_with_context(
    context: int, more: int, gpu_count: int
) -> None:
    read = kv_bytes_read_per_decode_step_per_gpu(DEEPSEEK_V32, "fp8", gpu_count, context)
    stored = kv_bytes_per_token_per_gpu(DEEPSEEK_V32, "fp8", gpu_count, context) * context
    assert 0 < read <= stored * (1 + 1e-12)
    assert kv_bytes_read_per_decode_step_per_gpu(DEEPSEEK_V32, "fp8", gpu_count, context + more) >= read


def _model_toml(**extra: object) -> str:
    lines = [
        "[[model]]",
        'id = "test-hybrid"',
        'name = "Test Hybrid"',
        'hf_id = "acme/test-hybrid"',
        "total_params_b = 7.0",
        "active_params_b = 7.0",
        "num_layers = 8",
        "hidden_size = 1024",
        "num_attention_heads = 8",
        "num_kv_heads = 2",
        "head_dim = 128",
        "vocab_size = 1000",
        "max_context = 4096",
        'source = "test"',
        'as_of = "2026-11-26"',
    ]
    lines += [f"{key} = {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"linear_attention_layers": 6}, "linear_attention_state_elements"),
        ({"linear_attention_state_elements": 1000}, "linear_attention_state_elements"),
        ({"linear_attention_layers": 8, "linear_attention_state_elements": 1000}, "linear_attention_layers"),
        (
            {
                "linear_attention_layers": 4,
                "linear_attention_state_elements": 1000,
                "sliding_window": 512,
                "sliding_window_layers": 4,
            },
            "linear_attention_layers",
        ),
        ({"sparse_attention_topk": 2048}, "sparse_attention_indexer_dim"),
        (
            {
                "sparse_attention_topk": 2048,
                "sparse_attention_indexer_dim": 128,
                "sliding_window": 512,
                "sliding_window_layers": 4,
            },
            "sparse_attention_topk",
        ),
    ],
)
def test_the_loader_rejects_incomplete_or_unmodelled_attention_kinds(extra: dict[str, object], field: str) -> None:
    with pytest.raises(CatalogError) as error:
        parse_models(_model_toml(**extra))
    assert error.value.field == field


def test_the_loader_accepts_a_hybrid_model() -> None:
    model = parse_models(_model_toml(linear_attention_layers=6, linear_attention_state_elements=1000))["test-hybrid"]
    assert (model.linear_attention_layers, full_attention_layer_count(model)) == (6, 2)


def test_the_new_entries_are_in_the_catalog() -> None:
    assert NEW_MODELS <= set(CATALOG.models)
    assert NEW_GPUS <= set(CATALOG.gpus)
    for model_id in NEW_MODELS:
        model = CATALOG.models[model_id]
        assert model.source and model.as_of == "2026-11-26" and model.notes, model_id
    for gpu_id in NEW_GPUS:
        gpu = CATALOG.gpus[gpu_id]
        assert gpu.source and gpu.as_of == "2026-11-26" and gpu.notes, gpu_id


# Each new model on a new GPU that holds it (every new GPU at least once), with the defaults: auto
# precision, the smallest GPU count that fits, the interactive latency target (offline where a
# replica cannot meet it).
DEPLOYMENTS = [
    ("llama-3.2-1b", "l20"),
    ("llama-3.2-3b", "h20"),
    ("phi-4", "l20"),
    ("gemma-3-4b", "a800-sxm-80gb"),
    ("qwen3-coder-480b-a35b", "b300"),
    ("qwen3-next-80b-a3b-thinking", "h800-sxm"),
    ("glm-4.5", "h20"),
    ("glm-4.7", "gb300"),
    ("minimax-m2", "h800-sxm"),
    ("kimi-k2-instruct", "b300"),
    ("deepseek-v3.1", "h20"),
    ("deepseek-v3.2", "gb300"),
]


def _evaluate(model: str, gpu: str, latency_target: str) -> SelfHostedResult:
    workload: dict[str, Any] = {
        "requests_per_month": 1_000_000,
        "input_tokens": 2000,
        "output_tokens": 400,
        "latency_target": latency_target,
    }
    option = {
        "kind": "self_hosted",
        "name": "Self-hosted",
        "model": model,
        "gpu": gpu,
        "pricing": {"kind": "rent", "per_gpu_hour": 2.0},
    }
    scenario = ScenarioIn.model_validate({"workload": workload, "options": [option], "hosted_alternatives": False})
    result = evaluate(scenario, CATALOG).options[0]
    assert isinstance(result, SelfHostedResult)
    return result


def test_every_new_model_and_gpu_is_deployed_below() -> None:
    assert {model for model, _ in DEPLOYMENTS} == NEW_MODELS
    assert {gpu for _, gpu in DEPLOYMENTS} == NEW_GPUS


@pytest.mark.parametrize(("model", "gpu"), DEPLOYMENTS)
def test_each_new_model_evaluates_end_to_end(model: str, gpu: str) -> None:
    try:
        result = _evaluate(model, gpu, "interactive")
    except DomainError as error:
        assert "latency" in error.message or "tok/s" in error.message, error.message
        result = _evaluate(model, gpu, "offline")
    assert result.monthly_cost > 0


def test_the_catalog_api_lists_the_new_entries(client: TestClient) -> None:
    models = client.get("/api/v1/catalog/models")
    gpus = client.get("/api/v1/catalog/gpus")
    assert models.status_code == gpus.status_code == 200
    listed_models = {entry["id"]: entry for entry in models.json()["items"]}
    assert NEW_MODELS <= set(listed_models)
    assert NEW_GPUS <= {entry["id"] for entry in gpus.json()["items"]}
    assert listed_models["qwen3-next-80b-a3b-thinking"]["linear_attention_layers"] == 36
    assert listed_models["deepseek-v3.2"]["sparse_attention_topk"] == 2048


_INLINE_FIELDS = (
    "id name hf_id total_params_b active_params_b num_layers hidden_size num_attention_heads num_kv_heads head_dim "
    "vocab_size max_context num_experts experts_per_token routed_expert_params_b kv_lora_rank qk_rope_head_dim "
    "sliding_window sliding_window_layers linear_attention_layers linear_attention_state_elements "
    "sparse_attention_topk sparse_attention_indexer_dim"
).split()


@pytest.mark.parametrize("model_id", ["qwen3-next-80b-a3b-thinking", "deepseek-v3.2"])
def test_an_inline_architecture_carries_the_new_attention_kinds(client: TestClient, model_id: str) -> None:
    # The API's inline architecture (ModelArchitectureIn) takes the linear- and sparse-attention fields, so an
    # architecture typed in estimates exactly as the catalog entry it copies (same precision: the inline one
    # has no native precision of its own).
    model = load_catalog().models[model_id]
    inline = {name: getattr(model, name) for name in _INLINE_FIELDS}
    common = {"gpu": "h200-sxm", "gpu_count": 8, "precision": "fp8", "input_tokens": 8000, "output_tokens": 500}
    by_id = client.post("/api/v1/throughput", json={"model": model_id, **common})
    typed_in = client.post("/api/v1/throughput", json={"model": inline, **common})
    assert by_id.status_code == typed_in.status_code == 200, typed_in.text
    for figure in ("output_tokens_per_second", "kv_concurrency_limit", "kv_bytes_per_token", "decode_step_seconds"):
        assert typed_in.json()[figure] == by_id.json()[figure], figure


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"linear_attention_layers": 6}, "linear_attention_state_elements"),
        ({"sparse_attention_topk": 2048}, "sparse_attention_indexer_dim"),
        ({"linear_attention_layers": 8, "linear_attention_state_elements": 1000}, "linear_attention_layers"),
    ],
)
def test_an_incomplete_inline_architecture_is_a_422_naming_the_field(
    client: TestClient, extra: dict[str, object], field: str
) -> None:
    inline = {
        "total_params_b": 8,
        "num_layers": 8,
        "hidden_size": 4096,
        "num_attention_heads": 32,
        "num_kv_heads": 8,
        "head_dim": 128,
        **extra,
    }
    body = {"model": inline, "gpu": "h100-sxm", "input_tokens": 500, "output_tokens": 500}
    response = client.post("/api/v1/throughput", json=body)
    assert response.status_code == 422
    # The model is a catalog id or an inline architecture: pydantic reports the id branch too ("a valid string").
    (error,) = [e for e in response.json()["detail"] if e["type"] == "attention_kinds_incomplete"]
    assert error["loc"][:2] == ["body", "model"] and error["msg"].split(": ")[0].endswith(field), error
