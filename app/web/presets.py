"""Realistic starting scenarios, one click each. A preset is only a permalink: the page links to
`/?<its query string>`, so presets work without JavaScript and can be shared like any result.

Traffic shapes are typical, not measured: business-hours chat peaks at ~3× its average, a RAG
assistant at ~2.5×, an always-on agent platform at ~2×; a batch job runs flat out. Prices come from
the catalog (genai-prices for APIs, the offers file for GPUs) so they carry their own dates.

API models are current ones: none is retired or retiring within PRESET_MIN_DAYS_BEFORE_RETIREMENT days
by LiteLLM's price map (app/catalog/litellm_prices.py, checked 2026-11-26; tests/test_price_sources.py
keeps it so). Until 2026-11-26 the presets compared against GPT-5 and GPT-5 mini (OpenAI retires both
on 2026-12-11) and Claude Sonnet 4.5 (Anthropic retires it on 2026-11-30). Their replacements:
- GPT-5 -> GPT-5.6 Sol: the successor OpenAI names on its deprecations page (LiteLLM's successor_model),
  undated; priced in genai-prices 0.2.3 and LiteLLM alike ($4/$20 per Mtok).
- Claude Sonnet 4.5 -> Claude Sonnet 5.5: the successor Anthropic names, undated, $2/$10 in both sources.
- GPT-5 mini -> GPT-5.4 mini: the current model of the same small tier, undated, $0.75/$4.50 in both
  sources with a batch price. OpenAI's named successor (GPT-5.6 Terra, $2/$12) is a mid-size model:
  a support chatbot or a batch job on "a small closed model" would not pick it.
Claude Haiku 4.5 and Gemini 2.5 Flash-Lite carry no retirement date and stay.

Since issue 14 the presets take the serving defaults (precision "auto": fp8 on these GPUs; the
interactive latency target, except the overnight batch job, which is offline), and the agent platform
states its reasoning tokens. The page adds each open model's hosted per-token offers beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

from app.scenario.inputs import ScenarioIn
from app.web.query_codec import scenario_to_query

# A preset must not walk a user into a model about to be switched off (see the module docstring).
PRESET_MIN_DAYS_BEFORE_RETIREMENT = 30


@dataclass(frozen=True)
class Preset:
    slug: str
    title: str
    summary: str
    scenario: ScenarioIn

    @cached_property  # every page view compares its query with each preset's and links to each
    def query(self) -> str:
        return scenario_to_query(self.scenario)

    @property
    def href(self) -> str:
        return "/?" + self.query


def _preset(slug: str, title: str, summary: str, document: dict[str, object]) -> Preset:
    return Preset(slug, title, summary, ScenarioIn.model_validate(document))


@cache
def presets() -> tuple[Preset, ...]:
    return (
        _preset(
            "support-chatbot",
            "Support chatbot",
            "2M chats a month on a small closed model vs Llama 3.1 8B on one L4 or L40S",
            {
                "workload": {
                    "requests_per_month": 2_000_000,
                    "input_tokens": 1500,
                    "output_tokens": 300,
                    "cached_input_fraction": 0.5,
                    "peak_to_average": 3,
                },
                "options": [
                    {"kind": "api", "name": "GPT-5.4 mini", "provider": "openai", "model": "gpt-5.4-mini"},
                    {"kind": "api", "name": "Claude Haiku 4.5", "provider": "anthropic", "model": "claude-haiku-4-5"},
                    {
                        "kind": "self_hosted",
                        "name": "Llama 3.1 8B on 1×L4",
                        "model": "llama-3.1-8b",
                        "gpu": "l4",
                        "gpu_count": 1,
                        "pricing": {"kind": "rent", "offer": "gcp-g2-standard-4-us-east1"},
                        "ops_fte": 0.1,
                    },
                    {
                        "kind": "self_hosted",
                        "name": "Llama 3.1 8B on 1×L40S",
                        "model": "llama-3.1-8b",
                        "gpu": "l40s",
                        "gpu_count": 1,
                        "pricing": {"kind": "rent", "offer": "aws-g6e-xlarge-us-east-1"},
                        "ops_fte": 0.1,
                    },
                ],
            },
        ),
        _preset(
            "rag-assistant",
            "RAG assistant",
            "3M long-context questions on a frontier model vs Llama 3.3 70B on 2×H100",
            {
                "workload": {
                    "requests_per_month": 3_000_000,
                    "input_tokens": 4000,
                    "output_tokens": 400,
                    "cached_input_fraction": 0.3,
                    "peak_to_average": 2.5,
                },
                "options": [
                    {"kind": "api", "name": "GPT-5.6 Sol", "provider": "openai", "model": "gpt-5.6-sol"},
                    {"kind": "api", "name": "Claude Sonnet 5.5", "provider": "anthropic", "model": "claude-sonnet-5-5"},
                    {
                        "kind": "self_hosted",
                        "name": "Llama 3.3 70B on 2×H100",
                        "model": "llama-3.3-70b",
                        "gpu": "h100-sxm",
                        "gpu_count": 2,
                        "pricing": {"kind": "rent", "offer": "nebius-h100-sxm-8x"},
                        "min_replicas": 2,
                        "ops_fte": 0.5,
                    },
                ],
            },
        ),
        _preset(
            "batch-summaries",
            "Batch summarisation",
            "10M documents a month through batch APIs vs Qwen3 32B on spot H100s",
            {
                "workload": {
                    "requests_per_month": 10_000_000,
                    "input_tokens": 6000,
                    "output_tokens": 400,
                    "batchable_fraction": 1.0,
                    # Overnight batch work: no one waits on a token, so replicas run the largest batch.
                    "latency_target": "offline",
                },
                "options": [
                    {"kind": "api", "name": "GPT-5.4 mini (batch)", "provider": "openai", "model": "gpt-5.4-mini"},
                    {
                        "kind": "api",
                        "name": "Gemini 2.5 Flash-Lite (batch)",
                        "provider": "google",
                        "model": "gemini-2.5-flash-lite",
                    },
                    {
                        "kind": "self_hosted",
                        "name": "Qwen3 32B on spot H100s",
                        "model": "qwen3-32b",
                        "gpu": "h100-sxm",
                        "gpu_count": 1,
                        "pricing": {"kind": "rent", "offer": "nebius-h100-sxm-1x", "term": "spot"},
                        "target_utilization": 0.95,
                        "min_replicas": 0,
                        "ops_fte": 0.1,
                    },
                ],
            },
        ),
        _preset(
            "agent-platform",
            "Agent platform",
            "10M long agent steps a month on frontier APIs vs a bought 8×H100 server",
            {
                "workload": {
                    "requests_per_month": 10_000_000,
                    "input_tokens": 8000,
                    "output_tokens": 800,
                    "cached_input_fraction": 0.6,
                    "peak_to_average": 2,
                    # An assumption, stated on the page: each agent step thinks ~1,000 hidden tokens before its
                    # 800 visible ones (medium effort). GPT-5.6 Sol and Qwen3 235B (thinking on by default) are
                    # billed for / generate them; Claude Sonnet thinks only when asked. Replace with your logs'
                    # usage.completion_tokens_details.reasoning_tokens.
                    "reasoning_tokens": 1000,
                },
                "options": [
                    {"kind": "api", "name": "GPT-5.6 Sol", "provider": "openai", "model": "gpt-5.6-sol"},
                    {"kind": "api", "name": "Claude Sonnet 5.5", "provider": "anthropic", "model": "claude-sonnet-5-5"},
                    {
                        "kind": "self_hosted",
                        "name": "Qwen3 235B on bought 8×H100",
                        "model": "qwen3-235b-a22b",
                        "gpu": "h100-sxm",
                        "gpu_count": 8,
                        "pricing": {"kind": "buy", "offer": "hgx-h100-server", "cost_of_capital": 0.08},
                        "ops_fte": 1.0,
                    },
                ],
            },
        ),
    )
