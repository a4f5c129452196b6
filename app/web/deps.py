"""Dependencies shared by the routes.

Async and override-free on purpose: FastAPI runs a sync dependency in the threadpool, and when
`app.dependency_overrides` is non-empty it re-analyses every dependency on every request (~0.15 ms).
The settings a test or deployment passes to `create_app(settings)` live on `app.state`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.catalog.loader import load_catalog
from app.core.specs import Catalog
from app.settings import Settings


async def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def live_catalog() -> Catalog:
    return load_catalog()  # loaded once, then cached


SettingsDep = Annotated[Settings, Depends(app_settings)]
CatalogDep = Annotated[Catalog, Depends(live_catalog)]
