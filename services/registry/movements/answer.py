"""The one builder of the movement answer: POST, GET, batch, history and stays use it.

Reads select ``MOVEMENT_ROW`` (a flat JSON object, one per movement) with the joins in
``MOVEMENT_JOINS``; the write path builds the same flat row from what it stored. Either
way ``movement_answer`` turns the row into the answer, so a movement looks the same
everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from services.registry.movements import schemas

# Needs `m` (movements) and the joins of MOVEMENT_JOINS: `pc` (the movement's person
# row), `a` (annulment), `c` (annulling client), `prev` (see below).
MOVEMENT_ROW = """
    json_build_object(
        'movement_id', m.movement_id, 'person_id', pc.canonical_id,
        'direction', m.direction, 'occurred_at', m.occurred_at,
        'control_point', m.control_point,
        'document_type', m.document_type, 'document_number', m.document_number,
        'issuing_country', m.issuing_country, 'nationality', m.nationality,
        'national_id', m.national_id, 'surnames', m.surnames,
        'given_names', m.given_names, 'birth_date', m.birth_date, 'sex', m.sex,
        'transport_mode', m.transport_mode, 'transport_carrier', m.transport_carrier,
        'transport_number', m.transport_number,
        'origin_country', m.origin_country, 'destination_country', m.destination_country,
        'observations', m.observations, 'minor', m.minor, 'anomalies', m.anomalies,
        'recorded_at', m.recorded_at,
        'annulment_reason', a.reason, 'annulment_reference', a.reference,
        'annulled_by', coalesce(c.name, a.annulled_by::text), 'annulled_at', a.annulled_at,
        'previous_direction', prev.direction
    )
"""


def utc_timestamp(column: str) -> str:
    """``column`` (timestamptz) as JSON text exactly as pydantic writes a UTC datetime:
    ``2025-03-01T19:05:00Z``, microseconds only when there are some."""
    return (
        f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"extract(microseconds FROM {column})::bigint % 1000000 = 0 THEN '' ELSE "
        f"to_char({column} AT TIME ZONE 'UTC', '.US') END || 'Z'"
    )


# JSON text built by concatenation: twice as fast as json_build_object for a page (which
# looks up how to write each of its ~30 arguments on every row). _value() escapes through
# to_json(); _plain() is only for values whose text needs no escaping (uuid, date,
# timestamp, CHECK-constrained codes).
def _value(expr: str) -> str:
    return f"coalesce(to_json({expr})::text, 'null')"


def _plain(expr: str) -> str:
    return f"coalesce('\"' || ({expr}) || '\"', 'null')"


def _object(*members: tuple[str, str]) -> str:
    return (
        "'{' || "
        + " || ',' || ".join(f"'\"{key}\":' || {value}" for key, value in members)
        + " || '}'"
    )


def _when(condition: str, value: str) -> str:
    return f"CASE WHEN {condition} THEN {value} ELSE 'null' END"


# The movement as the answer (MovementOut), as JSON text, for reads that send PostgreSQL's
# JSON as it is (history pages): `m` the movement, `a`/`c` its annulment and annulling
# client, `canonical.person_id` the canonical person, `prev_direction` the direction of the
# person's previous non-annulled movement (the read-time rule of anomalies_of, in SQL).
MOVEMENT_ANSWER = _object(
    ("movement_id", _plain("m.movement_id")),
    ("person_id", _plain("canonical.person_id")),
    ("direction", _plain("m.direction")),
    ("occurred_at", _plain(utc_timestamp("m.occurred_at"))),
    ("control_point", _value("m.control_point")),
    ("traveller", _object(
        ("document_type", _plain("m.document_type")),
        ("document_number", _value("m.document_number")),
        ("issuing_country", _value("m.issuing_country")),
        ("nationality", _value("m.nationality")),
        ("national_id", _value("m.national_id")),
        ("surnames", _value("m.surnames")),
        ("given_names", _value("m.given_names")),
        ("birth_date", _plain("m.birth_date")),
        ("sex", _plain("m.sex")),
    )),
    ("transport", _when("coalesce(m.transport_mode, '') <> ''", _object(
        ("mode", _plain("m.transport_mode")),
        ("carrier", _value("m.transport_carrier")),
        ("number", _value("m.transport_number")),
    ))),
    ("origin_country", _value("m.origin_country")),
    ("destination_country", _value("m.destination_country")),
    ("observations", _value("m.observations")),
    ("minor", "coalesce(m.minor::text, 'null')"),
    ("anomalies", _value("""CASE WHEN a.annulled_at IS NOT NULL THEN m.anomalies ELSE
        CASE WHEN prev_direction = m.direction
             THEN ARRAY['CONSECUTIVE_' || m.direction] ELSE '{}'::text[] END
        || array_remove(array_remove(m.anomalies, 'CONSECUTIVE_ENTRY'), 'CONSECUTIVE_EXIT')
    END""")),
    ("recorded_at", _plain(utc_timestamp("m.recorded_at"))),
    ("annulment", _when("a.annulled_at IS NOT NULL", _object(
        ("reason", _value("a.reason")),
        ("reference", _value("a.reference")),
        ("annulled_by", _value("coalesce(c.name, a.annulled_by::text)")),
        ("annulled_at", _plain(utc_timestamp("a.annulled_at"))),
    ))),
)  # fmt: skip


def previous_direction(records: str, when: str) -> str:
    """The read-time rule's probe, for a ``LEFT JOIN LATERAL``: the direction of the
    person's previous non-annulled movement before ``m`` in time (time, then id), as the
    whole history stands now, late uploads included. ``records`` are the person's merged
    records (a FROM item with ``id``, aliased ``r``); one backward index probe per record,
    however long the history; ``when`` says for which rows it is needed at all."""
    return f"""(
        SELECT latest.direction
        FROM {records} r CROSS JOIN LATERAL (
            SELECT p.direction, p.occurred_at, p.movement_id FROM movements p
            WHERE p.person_id = r.id
              AND (p.occurred_at, p.movement_id) < (m.occurred_at, m.movement_id)
              AND NOT EXISTS (SELECT 1 FROM annulments pa WHERE pa.movement_id = p.movement_id)
            ORDER BY p.occurred_at DESC, p.movement_id DESC
            LIMIT 1
        ) latest
        WHERE {when}
        ORDER BY latest.occurred_at DESC, latest.movement_id DESC
        LIMIT 1
    )"""  # noqa: S608  # composed from this module's constants, never from input


# `prev`: the read-time rule, for one movement read alone (GET, the POST of a retry).
MOVEMENT_JOINS = f"""
    JOIN persons pc ON pc.id = m.person_id
    LEFT JOIN annulments a ON a.movement_id = m.movement_id
    LEFT JOIN api_clients c ON c.id = a.annulled_by
    LEFT JOIN LATERAL {previous_direction("persons", "r.canonical_id = pc.canonical_id")} prev
        ON true
"""

_CONSECUTIVE = ("CONSECUTIVE_ENTRY", "CONSECUTIVE_EXIT")

AnomaliesAt = Literal["insert", "read"]


def anomalies_of(row: Mapping[str, Any], *, at: AnomaliesAt) -> list[str]:
    """Insert-time anomalies as stored, or with the consecutive-direction ones recomputed
    from ``previous_direction``. Annulled movements are outside the timeline: they keep
    what was flagged when they were recorded."""
    stored = list(row["anomalies"])
    if at == "insert" or row.get("annulled_at") is not None:
        return stored
    derived = (
        [f"CONSECUTIVE_{row['direction']}"]
        if row.get("previous_direction") == row["direction"]
        else []
    )
    return derived + [a for a in stored if a not in _CONSECUTIVE]


def movement_answer(row: Mapping[str, Any], *, at: AnomaliesAt = "read") -> schemas.MovementOut:
    annulment = None
    if row.get("annulled_at") is not None:
        annulment = {
            "reason": row["annulment_reason"],
            "reference": row["annulment_reference"],
            "annulled_by": row["annulled_by"],
            "annulled_at": row["annulled_at"],
        }
    transport = None
    if row.get("transport_mode"):
        transport = {
            "mode": row["transport_mode"],
            "carrier": row["transport_carrier"],
            "number": row["transport_number"],
        }
    traveller = {name: row[name] for name in schemas.TravellerOut.model_fields}
    return schemas.MovementOut.model_validate(
        {
            "movement_id": row["movement_id"],
            "person_id": row["person_id"],
            "direction": row["direction"],
            "occurred_at": row["occurred_at"],
            "control_point": row["control_point"],
            "traveller": traveller,
            "transport": transport,
            "origin_country": row["origin_country"],
            "destination_country": row["destination_country"],
            "observations": row["observations"],
            "minor": row.get("minor"),
            "anomalies": anomalies_of(row, at=at),
            "recorded_at": row["recorded_at"],
            "annulment": annulment,
        }
    )


def row_from_input(
    movement: schemas.MovementIn,
    *,
    person_id: UUID,
    recorded_at: datetime,
    anomalies: list[str],
) -> dict[str, Any]:
    """The flat row of a movement just stored, without reading it back."""
    t, tr = movement.traveller, movement.transport
    return {
        "movement_id": movement.movement_id, "person_id": person_id,
        "direction": movement.direction, "occurred_at": movement.occurred_at,
        "control_point": movement.control_point, **t.model_dump(),
        "transport_mode": tr.mode if tr else None,
        "transport_carrier": tr.carrier if tr else None,
        "transport_number": tr.number if tr else None,
        "origin_country": movement.origin_country,
        "destination_country": movement.destination_country,
        "observations": movement.observations,
        "minor": movement.minor.model_dump(mode="json") if movement.minor else None,
        "anomalies": anomalies, "recorded_at": recorded_at,
    }  # fmt: skip
