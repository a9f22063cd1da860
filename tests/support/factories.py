"""Small builders for test data: valid by default, override what the test is about."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def a_cedula(seed: int) -> str:
    """A valid cédula (province 17) derived from ``seed``: the check digit is the one
    digit that python-stdnum accepts."""
    from stdnum.ec import ci

    body = f"17{seed % 10_000_000:07d}"
    return next(body + d for d in "0123456789" if ci.is_valid(body + d))


def movement(**overrides: Any) -> dict[str, Any]:
    traveller = {
        "document_type": "PASSPORT",
        "document_number": "AB123456",
        "issuing_country": "ECU",
        "nationality": "ECU",
        "national_id": "1710034065",
        "surnames": "PEREZ GOMEZ",
        "given_names": "MARIA JOSE",
        "birth_date": "1990-05-01",
        "sex": "F",
    }
    traveller.update(overrides.pop("traveller", {}))
    body: dict[str, Any] = {
        "movement_id": str(uuid.uuid4()),
        "direction": "ENTRY",
        "occurred_at": "2025-03-01T14:05:00-05:00",
        "control_point": "AIR-UIO",
        "traveller": traveller,
        "transport": {"mode": "AIR", "carrier": "AV", "number": "AV8374"},
        "origin_country": "COL",
        "destination_country": None,
        "observations": None,
    }
    body.update(overrides)
    return body


def at(days: int, hour: int = 12) -> str:
    """An RFC 3339 timestamp ``days`` after 2020-01-01 at ``hour`` Ecuador time."""
    moment = datetime(2020, 1, 1, hour, tzinfo=UTC) + timedelta(days=days, hours=5)
    return moment.isoformat()
