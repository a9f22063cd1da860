"""Domain metrics, next to the HTTP ones the instrumentator exposes on /metrics."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram

if TYPE_CHECKING:
    from services.registry.movements.schemas import MovementIn

MOVEMENTS = Counter(
    "registry_movements_total",
    "Movements received, by outcome, direction and control point.",
    ["outcome", "direction", "control_point"],
)
ANOMALIES = Counter("registry_anomalies_total", "Anomalies flagged on new movements.", ["anomaly"])
BATCH_SIZE = Histogram(
    "registry_batch_size", "Items per batch upload.", buckets=(1, 10, 50, 100, 250, 500, 1000)
)
ANNULMENTS = Counter("registry_annulments_total", "Movements annulled.")
HISTORY_SEARCHES = Counter(
    "registry_history_searches_total", "History searches, by purpose.", ["purpose"]
)


def observe_recorded(items: Iterable[tuple[MovementIn, str, list[str]]]) -> None:
    for movement, outcome, anomalies in items:
        MOVEMENTS.labels(outcome, movement.direction, movement.control_point).inc()
        if outcome == "created":
            for anomaly in anomalies:
                ANOMALIES.labels(anomaly).inc()
