"""The certificate issuer: competent authorities request signed certificates of a
person's migratory movements; anyone can verify them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import httpx
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.issuer.certificate_requests.router import router as certificate_requests_router
from services.issuer.certificates import render_pool
from services.issuer.certificates.router import router as certificates_router
from services.issuer.certificates.service import CertificateIssuer
from services.issuer.deps import token_lookup
from services.issuer.key_material import KeyMaterial, load_key_material
from services.issuer.notifications.delivery import CallbackDelivery
from services.issuer.pending.worker import PendingWorker
from services.issuer.registry_client import RegistryClient
from services.issuer.seal.router import router as seal_router
from services.issuer.settings import IssuerSettings
from services.issuer.verify.router import router as verify_router
from shared.db import engine_from_settings, make_sessionmaker
from shared.logging import configure_logging
from shared.web import finish_routes, include_routes, install_common, operation_id, telemetry

DESCRIPTION = """
Issues the **Certificado de movimientos migratorios** that competent authorities
(judicial units, prosecutors' offices, the Comptroller...) order by oficio, signed
electronically (PAdES, certifying) by the Subsecretaría de Migración.

* **Authorities** (`certificates:request`) post the oficio and the person; the issuer
  checks every rule, reads the person's history from the movements registry, and
  answers with the certificate (201), or keeps the request and issues it as soon as
  the registry answers (202). Re-sending an oficio is safe.
* **Anyone** can verify a certificate by its code or its PDF, and fetch the CA
  certificate that signs them. No token needed.
* **Administrators** (`admin`) revoke certificates issued in error.

Authenticate with `Authorization: Bearer <token>` (from `issuer authorities create`).
Errors are RFC 9457 `application/problem+json` listing every failed rule.
"""

OPENAPI_TAGS = [
    {"name": "certificate requests", "description": "Authorities order certificates by oficio."},
    {"name": "certificates", "description": "Download (and, for staff, revoke) certificates."},
    {"name": "verification (public)", "description": "Anyone checks a certificate; no token."},
    {"name": "health", "description": "Liveness and readiness probes (no token)."},
]


def registry_http_client(settings: IssuerSettings) -> httpx.AsyncClient:
    timeout = settings.registry_timeout_seconds
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
    )


def callback_http_client(settings: IssuerSettings) -> httpx.AsyncClient:
    # No redirects (a receiver must answer at the URL it registered), no cookies kept.
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.callback_timeout_seconds),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=5),
        follow_redirects=False,
    )


def attach_runtime(
    app: FastAPI,
    *,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    keys: KeyMaterial,
    registry_http: httpx.AsyncClient,
    callback_http: httpx.AsyncClient,
) -> None:
    """Wire what the lifespan makes into ``app.state`` (tests wire their own)."""
    settings: IssuerSettings = app.state.settings
    registry = RegistryClient(
        registry_http,
        base_url=settings.registry_url,
        token=settings.registry_token.get_secret_value(),
        timeout_seconds=settings.registry_timeout_seconds,
    )
    issuer = CertificateIssuer(registry=registry, keys=keys, settings=settings)
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker
    app.state.keys = keys
    app.state.certificate_issuer = issuer
    app.state.pending_worker = PendingWorker(
        sessionmaker, issuer, poll_seconds=settings.pending_poll_seconds
    )
    app.state.callback_delivery = CallbackDelivery(sessionmaker, settings, callback_http)


def create_app(
    settings: IssuerSettings | None = None, *, registry_http: httpx.AsyncClient | None = None
) -> FastAPI:
    """``registry_http`` lets tests talk to an in-process registry; by default the
    lifespan makes (and closes) its own client."""
    settings = settings or IssuerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = engine_from_settings(settings, application_name="issuer")
        keys = await anyio.to_thread.run_sync(load_key_material, settings)
        http = registry_http or registry_http_client(settings)
        callbacks = callback_http_client(settings)
        attach_runtime(
            app,
            engine=engine,
            sessionmaker=make_sessionmaker(engine),
            keys=keys,
            registry_http=http,
            callback_http=callbacks,
        )
        # The render processes start now (loading the signing key), not in the first request.
        await render_pool.start(
            settings.render_processes,
            niceness=settings.render_niceness,
            setup=app.state.certificate_issuer.signing_setup,
        )
        # Started, not awaited: readiness depends on the issuer's database only.
        workers = [
            asyncio.create_task(app.state.pending_worker.run_forever(), name="pending"),
            asyncio.create_task(app.state.callback_delivery.run_forever(), name="callbacks"),
        ]
        try:
            yield
        finally:
            for worker in workers:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            await callbacks.aclose()
            if registry_http is None:
                await http.aclose()
            await engine.dispose()
            render_pool.shutdown()

    # Swagger UI served from the package's own copy, so /docs works offline. No ReDoc:
    # it fetches its logo from a CDN, and one interactive page is enough.
    app = FastAPIOffline(
        redoc_url=None,
        title="Emisor de certificados de movimientos migratorios",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=OPENAPI_TAGS,
        servers=[{"url": settings.public_base_url, "description": "this issuer"}],
        generate_unique_id_function=operation_id,
        telemetry=telemetry(settings),
    )
    app.state.settings = settings
    install_common(app, settings, token_lookup=token_lookup(app.state))
    include_routes(
        app,
        certificate_requests_router,
        certificates_router,
        verify_router,
        seal_router,
    )
    finish_routes(app)
    return app


def main_app() -> FastAPI:
    """Uvicorn factory: ``uvicorn --factory services.issuer.app:main_app``."""
    settings = IssuerSettings()
    configure_logging("issuer", settings.log_level)
    return create_app(settings)
