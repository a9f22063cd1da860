"""Domain metrics, next to the HTTP ones (shared/http_metrics.py) on /metrics."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram

from shared.http_metrics import labelled

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
    # Counted first, then one labels() per label set: a batch of 1000 has a handful.
    movements: Tally[tuple[str, str, str]] = Tally()
    anomalies: Tally[str] = Tally()
    for movement, outcome, flags in items:
        movements[outcome, movement.direction, movement.control_point] += 1
        if outcome == "created":
            anomalies.update(flags)
    for labels, count in movements.items():
        labelled(MOVEMENTS, *labels).inc(count)
    for anomaly, count in anomalies.items():
        labelled(ANOMALIES, anomaly).inc(count)
