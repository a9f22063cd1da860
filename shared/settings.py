"""Settings base shared by both services.

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix``
(``REGISTRY_`` / ``ISSUER_``), so one environment can configure both.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class DatabaseSettings(BaseSettings):
    """How a service, its CLI and its workers reach their database (``shared.db``)."""

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    database_url: str = Field(
        default="",
        description="The service's own login (a role that owns nothing); empty means the "
        "embedded development server.",
    )
    database_owner_url: str = Field(
        default="",
        description="The schema owner, for migrations only; empty means database_url.",
    )
    database_app_role: str = Field(
        default="",
        pattern=r"^([a-z_][a-z0-9_]{0,62})?$",
        description="The role the migrations grant the service's privileges to (created "
        "NOLOGIN if missing); empty means <service>_app.",
    )
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_max_overflow: int | None = Field(
        default=0,
        ge=0,
        le=400,
        description="Extra connections under load; None = pool size. 0 by default: overflow "
        "connections are opened and closed on every burst, forking a backend each time, "
        "while a request that waits for a pooled one costs nothing.",
    )
    database_pool_pre_ping: bool = Field(
        default=False,
        description="Ping each connection on checkout (one round trip per request). Off by "
        "default: a connection lost to a database restart fails its request as 503 "
        "(Retry-After) and is replaced, without taxing every request.",
    )
    database_pgbouncer: bool = Field(
        default=False,
        description="Behind PgBouncer in transaction mode: no named prepared statements, no "
        "startup parameters (set the timeouts on the role instead).",
    )
    database_statement_cache_size: int = Field(
        default=100, ge=0, le=10_000, description="asyncpg's prepared statements per connection."
    )
    database_statement_timeout_ms: int = Field(
        default=30_000, ge=0, description="Cancel a statement after this long (0 = never)."
    )
    database_idle_in_transaction_timeout_ms: int = Field(
        default=60_000, ge=0, description="End a session idle inside a transaction (0 = never)."
    )
    database_connect_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    database_role: str = Field(
        default="",
        pattern=r"^([a-z_][a-z0-9_]{0,62})?$",
        description="SET ROLE to this after logging in (a login user that is a member of the "
        "service role); empty means the login role itself.",
    )


class ServiceSettings(DatabaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    environment: Environment = Environment.DEVELOPMENT
    log_level: str = "INFO"
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="413 beyond this.")
    rate_limit_per_token: str = Field(
        default="1200/minute",
        description="Requests per token on authenticated routes ('limits' notation, or off).",
    )
    rate_limit_public: str = Field(
        default="120/minute",
        description="Requests per client address on public routes that do work, or off.",
    )
    rate_limit_storage: str = Field(
        default="async+memory://",
        description="Where counters live; memory is per process (see docs/reliability.md).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses/networks whose X-Forwarded-For is believed.",
    )
    token_cache_seconds: float = Field(
        default=5.0, ge=0, le=300, description="A revoked token stops working within this."
    )
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry traces, metrics and logs, for the "
        "providers an OpenTelemetry SDK sets up (opentelemetry-instrument). Off, no request "
        "looks the providers up (~3% of a request's time): Prometheus /metrics is always on.",
    )

    @field_validator("rate_limit_per_token", "rate_limit_public")
    @classmethod
    def _limit_notation(cls, value: str) -> str:
        from shared.rate_limit import parse_limit

        parse_limit(value)  # ValueError names what is wrong
        return value

    @model_validator(mode="after")
    def _production_needs_a_database(self) -> ServiceSettings:
        if self.environment is Environment.PRODUCTION and not self.database_url:
            raise ValueError("database_url is required in production")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION


def asyncpg_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs (as tools print them) and use asyncpg."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    raise ValueError("database URL must start with postgresql://")


def database_settings_from_env(env_prefix: str) -> DatabaseSettings:
    """Only the database settings of a service.

    The CLIs' ``migrate`` and token commands run in jobs that hold no signing keys and
    no registry token; validating a service's full production settings there would
    demand secrets the job has no use for.
    """
    return DatabaseSettings(_env_prefix=env_prefix)


def database_url_from_env(env_prefix: str) -> str:
    return database_settings_from_env(env_prefix).database_url
