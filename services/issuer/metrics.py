"""Domain metrics, next to the HTTP ones (shared/http_metrics.py) on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CERTIFICATES_ISSUED = Counter(
    "issuer_certificates_issued_total",
    "Certificates issued, by path: online (in the POST) or background (pending worker).",
    ["path"],
)
REQUESTS_REJECTED = Counter(
    "issuer_requests_rejected_total", "Rejected certificate requests, by rule code.", ["code"]
)
REQUESTS_PENDING = Counter(
    "issuer_requests_deferred_total", "Requests answered 202 because the registry was down."
)
PENDING_QUEUE_DEPTH = Gauge(
    "issuer_pending_requests", "Certificate requests waiting for the registry (PENDING)."
)
REGISTRY_CALL_SECONDS = Histogram(
    "issuer_registry_call_seconds",
    "Calls to the registry, retries included, by operation.",
    ["operation"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REGISTRY_CALL_FAILURES = Counter(
    "issuer_registry_call_failures_total",
    "Registry calls that failed after their retries, by operation and reason.",
    ["operation", "reason"],
)
ISSUANCE_STAGE_SECONDS = Histogram(
    "issuer_issuance_stage_seconds",
    "Time spent per issuance stage: registry (history fetch), render, sign.",
    ["stage"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
REVOCATIONS = Counter("issuer_certificates_revoked_total", "Certificates revoked.")
