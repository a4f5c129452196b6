"""Settings, each read from the environment (or a .env file) with a default and a description."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface `make run` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `make run` listens on.")
    data_dir: Path = Field(
        Path("data"),
        description="Directory for the SQLite database of saved scenarios; created on first start.",
    )
    database_url: str | None = Field(
        None,
        description="Scenario store: postgresql://user:pass@host/db (install the [postgres] extra) or "
        "sqlite:///path; unset means SQLite under DATA_DIR.",
    )
    max_options: int = Field(16, ge=1, le=256, description="Most options (API + self-hosted) one scenario may hold.")
    log_level: str = Field("info", description="Uvicorn log level: critical, error, warning, info, debug.")
    log_format: Literal["json", "text"] = Field(
        "json",
        description="App logs (the breakeven logger, incl. one access line per request with its request id): "
        "json = one JSON object per line; text = plain lines.",
    )
    metrics_enabled: bool = Field(
        True, description="Serve Prometheus metrics at GET /metrics; false answers 404 there."
    )
    max_body_bytes: int = Field(
        1_000_000, ge=1024, description="Largest request body accepted (uploads excepted); larger answers 413."
    )
    max_upload_bytes: int = Field(
        50_000_000, ge=1024, description="Largest usage-export upload accepted (streamed); larger answers 413."
    )
    embed_allowed_origins: str = Field(
        "*",
        description="Space-separated origins allowed to frame embed pages (CSP frame-ancestors); * = any. "
        "Every other page refuses framing.",
    )
    chart_cache_bytes: int = Field(
        64 * 1024 * 1024, ge=0, description="Bytes of rendered charts kept in memory per process (LRU)."
    )
    rate_limit_per_minute: int = Field(
        120,
        ge=1,
        description="Requests per minute per client on expensive endpoints (chart renders, Monte Carlo); then 429.",
    )


@cache
def get_settings() -> Settings:
    return Settings()
