"""What every service app has: middleware, problem handlers, auth, health and metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shared import http_metrics
from shared.auth import GuardedRoute, TokenCache, TokenLookup, _public_rate_limit, literal_routes
from shared.body_limit import BodySizeLimitMiddleware
from shared.boundary import RequestBoundary
from shared.db import database_reachable
from shared.errors import install_problem_handlers
from shared.openapi import install_openapi, public_rate_limited_routes
from shared.rate_limit import RateLimits
from shared.request_id import RequestIdMiddleware
from shared.settings import ServiceSettings


def install_common(app: FastAPI, settings: ServiceSettings, *, token_lookup: TokenLookup) -> None:
    """Middleware, outermost first: the proxy's client address, the request id (so even
    a 413 carries it), the boundary (access log; no exception escapes), the body limit."""
    install_problem_handlers(app)
    app.state.tokens = TokenCache(token_lookup, ttl_seconds=settings.token_cache_seconds)
    app.state.rate_limits = RateLimits(
        per_token=settings.rate_limit_per_token,
        per_address=settings.rate_limit_public,
        storage_uri=settings.rate_limit_storage,
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestBoundary)
    app.add_middleware(RequestIdMiddleware)
    if proxies := [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=proxies)

    @app.get("/livez", tags=["health"], include_in_schema=True)
    async def livez() -> dict[str, str]:
        """The process is up. No authentication."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "Database unreachable"}})
    async def readyz(request: Request) -> JSONResponse:
        """The database answers. No authentication."""
        engine: AsyncEngine = request.app.state.engine
        if await database_reachable(engine):
            return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable"}, 503, headers={"Retry-After": "5"}
        )

    # Requests are counted and timed by the boundary (shared/http_metrics.py).
    app.get("/metrics", include_in_schema=False)(http_metrics.metrics)


def operation_id(route: APIRoute) -> str:
    """Stable operation ids: the endpoint function's name (``record_movement``), which
    client generators turn into method and module names."""
    return route.name


def telemetry(settings: ServiceSettings) -> TelemetryConfig:
    """FastAPI's native OpenTelemetry: as configured, else off. Left on with no SDK, FastAPI
    asks OpenTelemetry for its global providers on every request (environment lookups
    included) only to find none."""
    if settings.opentelemetry:
        return {}
    return {"tracing": False, "metrics": False, "logs": False}


def api_router(**options: Any) -> APIRouter:
    """A router of this project: each route checks its caller before reading the request
    (GuardedRoute) and is named by :func:`operation_id`, as if declared on the app."""
    return APIRouter(route_class=GuardedRoute, generate_unique_id_function=operation_id, **options)


def include_routes(app: FastAPI, *routers: APIRouter) -> None:
    """Make the routers' routes the app's own.

    ``app.include_router()`` (FastAPI 0.16x) keeps each router behind a lazy
    ``_IncludedRouter`` that matches every request twice, once to pick the router and
    once to pick its route, past every router ahead of it: 6-10% of a registry worker's
    instructions per request (callgrind, docs/performance.md). Our routers are complete
    as declared (their own prefix, tags, route class and operation ids; nothing added at
    the include, no lifespan of their own), so their routes are added as they are.
    """
    for router in routers:
        assert not router.on_startup and not router.on_shutdown, "a router with events"
        app.router.routes.extend(router.routes)


def finish_routes(app: FastAPI) -> None:
    """Call after every router is included."""
    app.state.literal_routes = literal_routes(app.routes)
    install_openapi(app, public_limited=public_rate_limited_routes(app, _public_rate_limit))


def json_answer(
    model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``model`` serialized once, by pydantic's Rust core. A hot route returns this and
    keeps ``response_model`` for its documentation: FastAPI would otherwise validate the
    answer against the model again and serialize it through ``jsonable_encoder``."""
    return Response(
        model.model_dump_json(by_alias=True),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )
