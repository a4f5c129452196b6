"""Which models reason (issue 14): the open-model catalog's `reasoning` flag (models.toml) and the API
models' (LiteLLM's `supports_reasoning`, carried in the bundled price map)."""

from __future__ import annotations

import json

import pytest

from app.catalog.api_prices import api_model_reasons
from app.catalog.litellm_prices import BUNDLED_FILE, KEPT_FIELDS
from app.catalog.loader import CatalogError, load_catalog, parse_models

# Hand-checked against each model card (the comment beside `reasoning = true` in models.toml cites it):
# R1 always thinks; gpt-oss reasons at low/medium/high effort (default medium); Qwen3's hybrid models
# think by default. Llama, Mistral, Gemma, Qwen2.5 and DeepSeek-V3 answer directly. Issue 15: Qwen3-Next
# Thinking is thinking-only; MiniMax-M2 always opens with <think>; GLM-4.7 thinks by default (docs.z.ai);
# GLM-4.5 (hybrid), DeepSeek-V3.1/V3.2 (non-thinking by default) and Kimi K2 Instruct do not.
REASONING_MODELS = {
    "deepseek-r1",
    "glm-4.7",
    "minimax-m2",
    "qwen3-next-80b-a3b-thinking",
    "gpt-oss-120b",
    "gpt-oss-20b",
    "qwen3-8b",
    "qwen3-32b",
    "qwen3-30b-a3b",
    "qwen3-235b-a22b",
}


def test_catalog_reasoning_models_are_exactly_the_documented_ones() -> None:
    catalog = load_catalog()
    assert {model_id for model_id, model in catalog.models.items() if model.reasoning} == REASONING_MODELS


@pytest.mark.parametrize("model_id", ["deepseek-v3", "llama-3.3-70b", "qwen2.5-72b", "gemma-3-27b", "mixtral-8x7b"])
def test_non_reasoning_models(model_id: str) -> None:
    assert load_catalog().models[model_id].reasoning is False


MINIMAL_MODEL = """
[[model]]
id = "test-dense"
name = "Test Dense"
hf_id = "acme/test-dense"
total_params_b = 7.0
active_params_b = 7.0
num_layers = 32
hidden_size = 4096
num_attention_heads = 32
num_kv_heads = 8
head_dim = 128
vocab_size = 32000
max_context = 32768
source = "config.json"
as_of = "2026-11"
"""


def test_reasoning_defaults_to_false_and_reads_true() -> None:
    assert parse_models(MINIMAL_MODEL)["test-dense"].reasoning is False
    assert parse_models(MINIMAL_MODEL + "reasoning = true\n")["test-dense"].reasoning is True


def test_reasoning_must_be_a_boolean() -> None:
    with pytest.raises(CatalogError, match="reasoning.*must be true or false"):
        parse_models(MINIMAL_MODEL + 'reasoning = "yes"\n')


# (model, provider, reasons): LiteLLM 1.110.2's supports_reasoning, read in the bundled file by hand.
API_REASONING = [
    ("gpt-5", None, True),
    ("gpt-5", "openai", True),
    ("o3", None, True),
    ("deepseek-reasoner", "deepseek", True),
    # Claude 4.5 models have extended thinking (LiteLLM: claude-sonnet-4-5-20250929 supports_reasoning true).
    ("claude-sonnet-4-5", "anthropic", True),
    ("claude-haiku-4-5", "anthropic", True),
    ("gpt-4.1", None, False),
    ("deepseek-chat", "deepseek", False),
    # gpt-oss sold by Groq: LiteLLM files it as groq/openai/gpt-oss-120b, supports_reasoning true.
    ("openai/gpt-oss-120b", "groq", True),
    # A model neither source knows: no evidence that it reasons.
    ("no-such-model", None, False),
]


@pytest.mark.parametrize(("model", "provider", "reasons"), API_REASONING)
def test_api_model_reasons(model: str, provider: str | None, reasons: bool) -> None:
    assert api_model_reasons(model, provider) is reasons


def test_bundled_map_keeps_supports_reasoning() -> None:
    assert "supports_reasoning" in KEPT_FIELDS
    models = json.loads(BUNDLED_FILE.read_text())["models"]
    assert models["gpt-5"]["supports_reasoning"] is True
    assert models["o3"]["supports_reasoning"] is True
    assert models["claude-sonnet-4-5-20250929"]["supports_reasoning"] is True
    assert "supports_reasoning" not in models["gpt-4.1"] or models["gpt-4.1"]["supports_reasoning"] is False
