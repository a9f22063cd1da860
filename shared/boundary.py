"""The outer edge of every request: one access-log line, its HTTP metrics, and no
exception escapes.

Pure ASGI (no ``BaseHTTPMiddleware``): nothing is buffered and no extra task is
spawned per request. An exception that nothing handled becomes a problem+json
answer here, so the server never sees it: the keep-alive connection stays open and
the error is logged once, with the request id. A database that cannot be reached
is a 503 with ``Retry-After``, not a 500: the caller should simply try again.
"""

from __future__ import annotations

import json
import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import http_metrics
from shared.db import is_database_unavailable
from shared.errors import PROBLEM_JSON, Problem, ServiceUnavailable, internal_error
from shared.logging import ACCESS_LOGGER

access_log = logging.getLogger(ACCESS_LOGGER)
QUIET_PATHS = http_metrics.UNMEASURED
error_log = logging.getLogger("errors")


class RequestBoundary:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if status:  # the answer is half sent: nothing sane left to say
                error_log.exception("error after the response started")
                raise
            problem = _problem_for(exc)
            await _send_problem(problem, scope, tracking_send)
        finally:
            elapsed = time.perf_counter() - started
            http_metrics.observe(scope, status, elapsed)
            # Probes and scrapes (the kubelet's and Prometheus's, every few seconds, and
            # thousands a second in a load test) are logged only when they fail. Paths carry
            # only opaque ids; identity numbers travel in POST bodies.
            if status >= 400 or scope["path"] not in QUIET_PATHS:
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )


def _problem_for(exc: Exception) -> Problem:
    if isinstance(exc, Problem):
        return exc
    if is_database_unavailable(exc):
        error_log.warning("database unavailable: %s", type(exc).__name__)
        return ServiceUnavailable(
            "The database cannot be reached right now; retry after Retry-After seconds."
        )
    error_log.exception("unhandled error")
    return internal_error()


async def _send_problem(problem: Problem, scope: Scope, send: Send) -> None:
    body = json.dumps(problem.body(instance=scope.get("path"))).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in problem.headers.items()),
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
