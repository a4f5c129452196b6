"""Interactive API docs served from the installed swagger-ui-py assets: no CDN, so /docs works
offline and inside corporate networks, and no inline script, so it keeps the strict CSP."""

from __future__ import annotations

from pathlib import Path

import swagger_ui
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

SWAGGER_STATIC = Path(swagger_ui.__file__).resolve().parent / "static"

DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Breakeven API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""

INIT_SCRIPT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
"""


def install_docs(app: FastAPI) -> None:
    """Mount /docs (FastAPI's own CDN-based /docs and /redoc must be disabled by the caller)."""
    app.mount("/docs/assets", StaticFiles(directory=SWAGGER_STATIC), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def read_docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    @app.get("/docs/init.js", include_in_schema=False)
    def read_docs_init() -> Response:
        return Response(INIT_SCRIPT, media_type="text/javascript")
