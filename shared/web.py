"""What every service app has: middleware, problem handlers, auth, health and metrics."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from shared import http_metrics
from shared.auth import TokenCache, TokenLookup, _public_rate_limit, literal_routes
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
