"""The movements registry: border terminals write, authorised systems read history."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy import text

from services.registry.access_log.chain import chain_pending
from services.registry.access_log.router import router as access_log_router
from services.registry.access_log.signing import load_audit_key
from services.registry.control_points.catalog import CONTROL_POINTS
from services.registry.control_points.router import router as control_points_router
from services.registry.deps import token_lookup
from services.registry.history.router import router as history_router
from services.registry.movements.router import router as movements_router
from services.registry.settings import RegistrySettings
from services.registry.stays.router import router as stays_router
from shared.db import driver_pool_from_settings, engine_from_settings, make_sessionmaker
from shared.logging import configure_logging
from shared.web import finish_routes, include_routes, install_common, operation_id, telemetry

log = logging.getLogger(__name__)

DESCRIPTION = """
Registry of every entry and exit at Ecuador's airports, seaports and land border
crossings (Reglamento a la Ley Orgánica de Movilidad Humana, arts. 124 and 133).

* **Terminals** (`movements:write`) post movements one by one or in batches.
  `movement_id` is the idempotency key, so retries and offline re-uploads are safe.
* **Authorised systems** (`history:read`), such as the certificate issuer, search a
  person's history. Every read is written to the access log.
* **Auditors** (`audit:read`), such as the data-protection officer, list who read a
  person's data and fetch the access log's signed head; its public keys are at
  `/v1/audit/keys`.
* **Supervisors** (`movements:correct`) annul movements recorded in error. Nothing is
  ever edited or deleted.

Authenticate with `Authorization: Bearer <token>` (tokens come from
`registry clients create`). Errors are RFC 9457 `application/problem+json` listing
every failed rule.
"""

OPENAPI_TAGS = [
    {"name": "movements", "description": "Entries and exits posted by border terminals."},
    {"name": "history", "description": "A person's movements, for authorised systems."},
    {"name": "stays", "description": "Days in Ecuador and abroad as of a day, for authorities."},
    {"name": "control points", "description": "Ecuador's official migration control points."},
    {
        "name": "audit",
        "description": "Who consulted a person's data, and the access log's signed hash chain.",
    },
    {"name": "health", "description": "Liveness and readiness probes (no token)."},
]


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = engine_from_settings(settings, application_name="registry")
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        # The hot paths' own pool (POST /v1/movements, batches, history search).
        app.state.driver_pool = driver_pool_from_settings(settings, application_name="registry")
        CONTROL_POINTS.ttl_seconds = settings.control_point_cache_seconds
        with contextlib.suppress(Exception):  # DB down at start: /readyz says so, refresh retries
            async with app.state.sessionmaker() as session:
                await CONTROL_POINTS.refresh_if_stale(session)
        tasks = [
            asyncio.create_task(_refresh_control_points(app)),
            asyncio.create_task(_chain_access_log(app, settings.audit_chain_seconds)),
            asyncio.create_task(_refresh_statistics(app)),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.driver_pool.close()
            await engine.dispose()

    # Swagger UI served from the package's own copy, so /docs works offline. No ReDoc:
    # it fetches its logo from a CDN, and one interactive page is enough.
    app = FastAPIOffline(
        redoc_url=None,
        title="Registro de movimientos migratorios",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=OPENAPI_TAGS,
        servers=[{"url": "http://127.0.0.1:8001", "description": "make run"}],
        generate_unique_id_function=operation_id,
        telemetry=telemetry(settings),
    )
    app.state.settings = settings
    app.state.audit_key = load_audit_key(
        settings.audit_key_path,
        settings.audit_retired_keys_path,
        development=not settings.is_production,
    )
    install_common(app, settings, token_lookup=token_lookup(app.state))
    include_routes(
        app,
        control_points_router,
        movements_router,
        history_router,
        stays_router,
        access_log_router,
    )
    finish_routes(app)
    return app


async def _refresh_control_points(app: FastAPI) -> None:
    """Keep the control-point catalog fresh; a database hiccup only delays the refresh."""
    while True:
        try:
            async with app.state.sessionmaker() as session:
                await CONTROL_POINTS.refresh_if_stale(session)
        except Exception:  # retried on the next tick; /readyz reports the DB
            await asyncio.sleep(1)
            continue
        await asyncio.sleep(max(CONTROL_POINTS.ttl_seconds, 1.0))


async def _chain_access_log(app: FastAPI, every_seconds: float) -> None:
    """Link new access-log rows into the hash chain, off the request path."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await chain_pending(app.state.sessionmaker)
        except Exception:  # retried on the next tick; verify and the head show any gap
            log.exception("chaining the access log failed")


STATISTICS_EVERY_SECONDS = 3.0


async def _refresh_statistics(app: FastAPI) -> None:
    """ANALYZE the write path's tables once they changed a lot (migration 0007), so a fresh
    database gets its statistics in seconds rather than at autovacuum's first pass."""
    while True:
        await asyncio.sleep(STATISTICS_EVERY_SECONDS)
        try:
            async with app.state.sessionmaker() as session, session.begin():
                await session.execute(text("SELECT refresh_statistics_if_stale()"))
        except Exception:  # retried on the next tick; autovacuum still analyzes meanwhile
            log.warning("refreshing the registry's statistics failed", exc_info=True)


def main_app() -> FastAPI:
    """Uvicorn factory: ``uvicorn --factory services.registry.app:main_app``."""
    settings = RegistrySettings()
    configure_logging("registry", settings.log_level)
    return create_app(settings)
