"""What every service app has: middleware, problem handlers, health and metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.body_limit import BodySizeLimitMiddleware
from shared.db import database_reachable
from shared.errors import install_problem_handlers
from shared.request_id import RequestIdMiddleware

access_log = logging.getLogger("access")


def install_common(app: FastAPI, *, max_body_bytes: int) -> None:
    """Middleware order matters: the request id wraps everything so even 413s carry it."""
    install_problem_handlers(app)

    @app.middleware("http")
    async def log_requests(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        # Paths carry only opaque ids; identity numbers travel in POST bodies.
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(RequestIdMiddleware)

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
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)

    Instrumentator(
        excluded_handlers=["/metrics", "/livez", "/readyz"],
        should_group_status_codes=False,
    ).instrument(app).expose(app, include_in_schema=False)
