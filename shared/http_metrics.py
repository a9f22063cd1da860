"""The HTTP metrics on /metrics: requests and their latency, by route template.

Observed by the request boundary (shared/boundary.py), which already times every
request, after routing has put the matched route in the scope: no second pass over
the routes to name the handler, no extra middleware layer. The names and labels are the
ones prometheus-fastapi-instrumentator used (``http_requests_total``,
``http_request_duration_seconds``), so dashboards and alerts keep working; profiled
under load, that middleware took 12% of the registry worker's CPU on POST
/v1/movements, most of it matching every route again to name the handler and
updating five metric families.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

REQUESTS = Counter(
    "http_requests_total", "HTTP requests, by method, route template and status.",
    ["method", "handler", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency, by method and route template.",
    ["method", "handler"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)  # fmt: skip
# Probes and scrapes would drown the rest.
UNMEASURED = frozenset({"/metrics", "/livez", "/readyz"})

M = TypeVar("M", bound=MetricWrapperBase)

# labels() validates and hashes its arguments and takes a lock on every call: the
# children are kept, for these metrics and the services' own.
_labelled: dict[tuple[MetricWrapperBase, tuple[str, ...]], Any] = {}


def labelled(metric: M, *values: str) -> M:
    """``metric.labels(*values)``, made once per label set. Only for label values from a
    bounded set (enums, route templates, catalog codes): each set is kept for good."""
    key = (metric, values)
    child = _labelled.get(key)
    if child is None:
        child = _labelled[key] = metric.labels(*values)
    return cast(M, child)


def handler_of(scope: Scope) -> str:
    """The matched route's template (``/v1/movements/{movement_id}``): ids stay out of
    the label values. ``none`` when nothing matched (a 404), so a scan of made-up paths
    cannot grow the label set."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "none"


def observe(scope: Scope, status: int, seconds: float) -> None:
    handler = handler_of(scope)
    if handler in UNMEASURED:
        return
    method = scope["method"]
    labelled(REQUESTS, method, handler, str(status)).inc()
    labelled(LATENCY, method, handler).observe(seconds)


async def metrics(request: Request) -> Response:
    """Prometheus text exposition of this process's metrics. No authentication."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
