"""Settings, each read from the environment (or a .env file) with a default and a description."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
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
    # Pages are 40-160 kB and break-even answers 4-40 kB: 32 MiB keeps a few hundred of the latest.
    answer_cache_bytes: int = Field(
        32 * 1024 * 1024,
        ge=0,
        description="Bytes of finished pages and break-even answers kept in memory per process (LRU), so the same "
        "question asked again is answered without computing it again; 0 = off.",
    )
    rate_limit_per_minute: int = Field(
        120,
        ge=1,
        description="Requests per minute per client on expensive endpoints (chart renders, Monte Carlo); then 429.",
    )
    public_base_url: str = Field(
        "",
        description="Scheme, host and optional path prefix of the public site (https://breakeven.example.com): "
        "absolute links (saved-scenario links, embed snippets) start with it. Unset: the request's Host when "
        "TRUSTED_HOSTS lists it, else links are relative.",
    )
    trusted_hosts: str = Field(
        "",
        description="Space-separated host names (exact, or *.example.com for subdomains) whose Host header may "
        "appear in absolute links when PUBLIC_BASE_URL is unset; * = any. Always trusted: localhost, 127.0.0.1, "
        "::1 and HOST. Any other Host is served, with relative links.",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Comma- or space-separated proxy addresses or networks (10.0.0.0/8) whose X-Forwarded-For "
        "names the client for rate limiting; * = any (only behind a proxy that overwrites the header). "
        "uvicorn reads the same variable for --proxy-headers.",
    )

    @field_validator("public_base_url")
    @classmethod
    def _check_public_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not PUBLIC_BASE_URL_PATTERN.fullmatch(value):
            raise ValueError("PUBLIC_BASE_URL must look like https://host[:port][/path], with no query or fragment")
        return value

    def trusted_host_names(self) -> frozenset[str]:
        """The Host names (lower case, no port) allowed into absolute links; {"*"} = any."""
        names = {name.lower() for name in self.trusted_hosts.split()}
        names |= {"localhost", "127.0.0.1", "::1", self.host.lower()}
        return frozenset(names - {"0.0.0.0", "::"})  # noqa: S104 - wildcard bind addresses are not host names


# An origin plus an optional path of plain URL characters: it is pasted into wiki markup and HTML
# attributes, so nothing that any of those syntaxes treats specially (quotes, brackets, spaces, |, !).
PUBLIC_BASE_URL_PATTERN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?")


@cache
def get_settings() -> Settings:
    return Settings()
