"""Example responses of the saved-scenario routes (POST /api/v1/scenarios, GET /api/v1/scenarios/{id}),
written by hand around the break-even example of app.web.api_examples (kept apart so that module, which
scripts/regenerate-api-examples rewrites, stays under the module-size limit as its responses grow).
tests/test_openapi.py validates each against its model.
"""

from __future__ import annotations

from typing import Any

from app.web.api_examples import BREAKEVEN_RESPONSE_EXAMPLE

SAVED_SCENARIO_DOCUMENT_EXAMPLE: dict[str, Any] = {
    "workload": {
        "requests_per_month": 1000000.0,
        "input_tokens": 500.0,
        "output_tokens": 500.0,
        "cached_input_fraction": 0.0,
        "cache_write_fraction": 0.0,
        "batchable_fraction": 0.0,
        "peak_to_average": 1.0,
    },
    "options": [
        {
            "kind": "api",
            "name": "Flat API",
            "input_per_mtok": 1.0,
            "output_per_mtok": 1.0,
            "negotiated_discount": 0.0,
            "time_of_day": "blend",
        },
        {
            "kind": "api",
            "name": "GPT",
            "provider": "openai",
            "model": "gpt-5-mini",
            "negotiated_discount": 0.0,
            "time_of_day": "blend",
        },
        {
            "kind": "self_hosted",
            "name": "Llama on H100",
            "model": "llama-3.3-70b",
            "gpu": "h100-sxm",
            "gpu_count": 1,
            "precision": "fp8",
            "engine": "vllm",
            "pricing": {"kind": "rent", "per_gpu_hour": 2.0, "term": "on_demand"},
            "output_tokens_per_second": 500.0,
            "target_utilization": 1.0,
            "min_replicas": 1,
            "redundancy": 0,
            "ops_fte": 0.0,
            "platform_usd_per_month": 0.0,
        },
    ],
}

_SAVED_ID_EXAMPLE = "oR7q2xXkP1mV"
_SAVED_LINKS_EXAMPLE = {
    "page": f"http://127.0.0.1:8000/s/{_SAVED_ID_EXAMPLE}",
    "json": f"http://127.0.0.1:8000/api/v1/scenarios/{_SAVED_ID_EXAMPLE}",
    "chart_svg": f"http://127.0.0.1:8000/s/{_SAVED_ID_EXAMPLE}/chart.svg",
    "chart_png": f"http://127.0.0.1:8000/s/{_SAVED_ID_EXAMPLE}/chart.png",
    "embed": f"http://127.0.0.1:8000/s/{_SAVED_ID_EXAMPLE}/embed",
    "csv": f"http://127.0.0.1:8000/s/{_SAVED_ID_EXAMPLE}/data.csv",
}
SAVED_SCENARIO_CREATED_EXAMPLE: dict[str, Any] = {
    "id": _SAVED_ID_EXAMPLE,
    "created_at": "2026-11-26T09:30:00+00:00",
    "links": _SAVED_LINKS_EXAMPLE,
}
SAVED_SCENARIO_RESPONSE_EXAMPLE: dict[str, Any] = {
    **SAVED_SCENARIO_CREATED_EXAMPLE,
    "scenario": SAVED_SCENARIO_DOCUMENT_EXAMPLE,
    "prices_as_of": "2026-11-10",
    "result": BREAKEVEN_RESPONSE_EXAMPLE,
}
