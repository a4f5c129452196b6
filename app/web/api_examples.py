"""Example responses of /api/v1 (and /healthz, /readyz) for the schemas in app.web.api_schemas.

The throughput and break-even answers are the live app's own responses to the request examples in
app.web.api, written to api_examples.json by scripts/regenerate-api-examples (a data file, not code:
nobody edits them by hand); tests/test_openapi.py validates each against its model and checks they equal
what the API answers. The catalog's examples are beside their schemas, in app.web.api_catalog_schemas;
the saved scenarios', in app.web.api_saved_examples.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

_ANSWERS: dict[str, dict[str, Any]] = json.loads(files("app.web").joinpath("api_examples.json").read_text())
THROUGHPUT_RESPONSE_EXAMPLE: dict[str, Any] = _ANSWERS["throughput"]
BREAKEVEN_RESPONSE_EXAMPLE: dict[str, Any] = _ANSWERS["breakeven"]

_STORE_HEALTH_EXAMPLE = {
    "status": "ok",
    "backend": "sqlite",
    "location": "/var/lib/breakeven/breakeven.sqlite3",
    "error": None,
    "retry_in_s": None,
}
HEALTH_RESPONSE_EXAMPLE: dict[str, Any] = {"status": "ok", "store": _STORE_HEALTH_EXAMPLE}
READY_RESPONSE_EXAMPLE: dict[str, Any] = {"status": "ready", "store": _STORE_HEALTH_EXAMPLE}
NOT_READY_RESPONSE_EXAMPLE: dict[str, Any] = {
    "status": "not_ready",
    "store": {
        **_STORE_HEALTH_EXAMPLE,
        "status": "unavailable",
        "error": "unable to open database file",
        "retry_in_s": 5,
    },
}
