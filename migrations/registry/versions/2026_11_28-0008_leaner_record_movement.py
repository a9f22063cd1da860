"""A leaner record_movement(): one movement costs half the database CPU it did.

Revision ID: 0008_leaner_record
Revises: 0007_fresh_statistics
Create Date: 2026-11-28

Same rules, same answers, same locks in the same order; less work per call. Measured
on a 20,000-movement database (ANALYZEd) for a new person / a known person / a frequent
traveller (~300 movements), per call of POST /v1/movements:

- backend CPU (/proc/<pid>/schedstat, medians of 12 interleaved rounds on the shared
  2-core machine): PostgreSQL 15 0.89 / 0.88 / 1.14 ms before, 0.42 / 0.44 / 0.48 ms
  after; PostgreSQL 18 (the embedded server) 0.67 / 0.71 / 0.72 ms before,
  0.37 / 0.40 / 0.38 ms after. The client's CPU per call fell from 0.22 to 0.13 ms.
- instructions executed by the backend (callgrind; exact, so it ranks changes of a few
  percent that the shared machine's timings cannot): PostgreSQL 15 2.04 / 2.12 / 2.57 M
  before, 1.00 / 0.92 / 0.95 M after; PostgreSQL 18 1.70 / 1.77 / 2.21 M before,
  0.91 / 0.85 / 0.88 M after.

What paid, largest first:
- (repository.py) One movement is sent as scalar parameters, not as 25 one-element
  arrays: the unnest's plan was made afresh on every call (the arrays' lengths steer its
  estimates, so the cached generic plan never wins) and decodes 25 arrays. -0.6 to
  -0.7 M instructions on both versions. Batches keep the unnest.
- lock_in_order() in PL/pgSQL: PostgreSQL 15 parses and plans a LANGUAGE sql function
  that cannot be inlined on every call (-0.19 M there; about even on 18, which caches
  them). Inlining its query into record_movement() would save another ~0.03 M but keep
  the lock order in two places; it stays the one place.
- The identity data of record are compared folded (identity_fold(): translate and a
  regular expression, 4 calls) only when the captured text differs at all: -0.10 M for
  a known person whose data match. Equal text folds equally, so the result is the same.
- The previous-movement query reads each of the person's ids' timeline index backwards
  and stops at the first movement not annulled, instead of reading and sorting the whole
  history: a traveller with 300 movements costs what a first-time one does (-0.45 M;
  about even for a short history). A new person has no previous movement: skipped.
  OFFSET 0 keeps the annulment check a per-row probe: as an anti-join, PostgreSQL 18
  chose a hash join reading the whole annulments table and all of the person's
  movements on every call.
- The DOCUMENT_HELD_BY_OTHER_PERSON check's subquery left the IF's condition: a
  condition with a subquery is a statement, and with constant-folding of its other terms
  its custom plan always looked cheaper, so PL/pgSQL planned it afresh on every call
  (-0.05 M).
- Identifiers found by the lookup are not inserted again (ON CONFLICT DO NOTHING still
  cost an index probe and a statement); the two lookups are one statement; the retry
  check probes the primary key alone and joins to the person only for a retry (together
  -0.09 to -0.13 M).

Tried and dropped: OUT parameters instead of RETURNS TABLE (no gain, and a new
signature); one INSERT for both identifiers (-2%, harder to read); plan_cache_mode =
force_generic_plan for the unnest (still 0.25 M above the scalar call, and it would
apply to every statement of the session). Left, by weight: the foreign-key checks
(~0.2 M, six per new person), the movements table's CHECK constraints (~0.14 M: the
executor re-reads their stored expressions for every INSERT statement), the executor
start-up of each statement and the commit.

CREATE OR REPLACE keeps owner and grants: the signatures are unchanged, so the app
role executes them as before (functions are executable by PUBLIC, as 0006 left them).
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0008_leaner_record"
down_revision: str | None = "0007_fresh_statistics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCK_IN_ORDER = """
CREATE OR REPLACE FUNCTION lock_in_order(p_keys text[]) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_locked bigint;
BEGIN
    -- One global order (bytewise) for every writer: concurrent writers queue, never deadlock.
    SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) INTO v_locked
    FROM (SELECT DISTINCT k COLLATE "C" AS k FROM unnest(p_keys) AS k ORDER BY 1) AS ordered;
    RETURN v_locked;
END
$$;
"""

RECORD_MOVEMENT = """
CREATE OR REPLACE FUNCTION record_movement(
    p_movement_id uuid, p_direction text, p_occurred_at timestamptz, p_control_point text,
    p_document_type text, p_document_number text, p_issuing_country text,
    p_nationality text, p_national_id text, p_surnames text, p_given_names text,
    p_birth_date date, p_sex text, p_transport_mode text, p_transport_carrier text,
    p_transport_number text, p_origin_country text, p_destination_country text,
    p_observations text, p_minor jsonb, p_flags text[], p_national_key text,
    p_document_key text, p_lock_keys text[], p_content_sha256 text, p_recorded_by uuid,
    p_request_id text
) RETURNS TABLE (
    created boolean, person_id uuid, recorded_at timestamptz, anomalies text[],
    content_sha256 text
) LANGUAGE plpgsql AS $$
DECLARE
    v_by_national uuid;
    v_by_document uuid;
    v_document_known boolean;
    v_person uuid;
    v_person_known boolean;
    v_previous text;
    v_record record;
    v_anomalies text[] := '{}';
BEGIN
    PERFORM lock_in_order(p_lock_keys);

    -- Exactly once per movement_id. Nearly every call is a first delivery: probe the
    -- primary key alone, and join to the person only for a retry.
    PERFORM FROM movements m WHERE m.movement_id = p_movement_id;
    IF FOUND THEN
        RETURN QUERY
            SELECT false, p.canonical_id, m.recorded_at, m.anomalies, m.content_sha256
            FROM movements m JOIN persons p ON p.id = m.person_id
            WHERE m.movement_id = p_movement_id;
        RETURN;
    END IF;

    SELECT (SELECT p.canonical_id FROM person_identifiers i JOIN persons p ON p.id = i.person_id
            WHERE i.identifier = p_national_key),
           (SELECT p.canonical_id FROM person_identifiers i JOIN persons p ON p.id = i.person_id
            WHERE i.identifier = p_document_key)
    INTO v_by_national, v_by_document;
    v_document_known := v_by_document IS NOT NULL;

    -- Only this rare case needs the query below. Kept out of the IF's condition: a
    -- condition with a subquery is a statement planned afresh on every call.
    IF p_national_key IS NOT NULL AND v_by_document IS NOT NULL
       AND v_by_document IS DISTINCT FROM v_by_national THEN
        IF EXISTS (
            SELECT 1 FROM person_identifiers i JOIN persons p ON p.id = i.person_id
            WHERE p.canonical_id = v_by_document AND i.national_id IS NOT NULL
        ) THEN
            -- The document already belongs to someone with another cédula. Two cédulas
            -- are never merged: record under this cédula and flag it for a supervisor.
            v_anomalies := v_anomalies || 'DOCUMENT_HELD_BY_OTHER_PERSON'::text;
            v_by_document := NULL;
        END IF;
    END IF;

    v_person := coalesce(v_by_national, v_by_document);
    v_person_known := v_person IS NOT NULL;
    IF NOT v_person_known THEN
        v_person := gen_random_uuid();
        INSERT INTO persons (id, canonical_id) VALUES (v_person, v_person);
    ELSE
        IF v_by_national IS NOT NULL AND v_by_document IS NOT NULL
           AND v_by_national <> v_by_document THEN
            -- The document's holder was known only by the document: the same person.
            UPDATE persons SET canonical_id = v_by_national WHERE canonical_id = v_by_document;
        END IF;
        -- A known person keeps the name they were first recorded with; a booth typo is
        -- stored as captured and flagged, never adopted. Folding is needed only when the
        -- captured text differs at all.
        SELECT * INTO v_record FROM person_data_of_record(v_person);
        IF FOUND AND (
            (p_surnames IS DISTINCT FROM v_record.surnames
             AND identity_fold(p_surnames) IS DISTINCT FROM identity_fold(v_record.surnames))
            OR (p_given_names IS DISTINCT FROM v_record.given_names
                AND identity_fold(p_given_names)
                    IS DISTINCT FROM identity_fold(v_record.given_names))
            OR p_birth_date IS DISTINCT FROM v_record.birth_date
            OR p_sex IS DISTINCT FROM v_record.sex
        ) THEN
            v_anomalies := v_anomalies || 'IDENTITY_DATA_MISMATCH'::text;
        END IF;
    END IF;

    -- An identifier found above is already stored (rows are never deleted).
    IF p_national_key IS NOT NULL AND v_by_national IS NULL THEN
        INSERT INTO person_identifiers (
            identifier, person_id, national_id,
            surnames, given_names, birth_date, sex, nationality
        ) VALUES (
            p_national_key, v_person, p_national_id,
            p_surnames, p_given_names, p_birth_date, p_sex, p_nationality
        )
        ON CONFLICT (identifier) DO NOTHING;
    END IF;
    IF NOT v_document_known THEN
        INSERT INTO person_identifiers (
            identifier, person_id, document_type, document_number, issuing_country,
            surnames, given_names, birth_date, sex, nationality
        ) VALUES (
            p_document_key, v_person, p_document_type, p_document_number, p_issuing_country,
            p_surnames, p_given_names, p_birth_date, p_sex, p_nationality
        )
        ON CONFLICT (identifier) DO NOTHING;
    END IF;

    -- What is known now, at insert time: the previous movement in time (not in upload
    -- order). Reads recompute it over the whole history, late uploads included. A new
    -- person has none. Each of the person's ids reads its timeline index backwards and
    -- stops at the first movement not annulled, so a frequent traveller costs what a
    -- first-time one does (OFFSET 0 keeps the annulment check a probe of its primary key
    -- per movement read: as a join, the planner may hash the whole annulments table).
    IF v_person_known THEN
        SELECT latest.direction INTO v_previous
        FROM persons p
        CROSS JOIN LATERAL (
            SELECT m.direction, m.occurred_at, m.movement_id
            FROM movements m
            WHERE m.person_id = p.id AND m.occurred_at <= p_occurred_at
              AND NOT EXISTS (
                  SELECT FROM annulments a WHERE a.movement_id = m.movement_id OFFSET 0
              )
            ORDER BY m.occurred_at DESC, m.movement_id DESC
            LIMIT 1
        ) AS latest
        WHERE p.canonical_id = v_person
        ORDER BY latest.occurred_at DESC, latest.movement_id DESC
        LIMIT 1;
        IF v_previous = p_direction THEN
            v_anomalies := ('CONSECUTIVE_' || p_direction) || v_anomalies;
        END IF;
    END IF;
    v_anomalies := v_anomalies || coalesce(p_flags, '{}');

    RETURN QUERY
    INSERT INTO movements AS m (
        movement_id, person_id, direction, occurred_at, control_point, document_type,
        document_number, issuing_country, nationality, national_id, surnames, given_names,
        birth_date, sex, transport_mode, transport_carrier, transport_number,
        origin_country, destination_country, observations, minor, anomalies,
        content_sha256, recorded_by, request_id
    ) VALUES (
        p_movement_id, v_person, p_direction, p_occurred_at, p_control_point, p_document_type,
        p_document_number, p_issuing_country, p_nationality, p_national_id, p_surnames,
        p_given_names, p_birth_date, p_sex, p_transport_mode, p_transport_carrier,
        p_transport_number, p_origin_country, p_destination_country, p_observations,
        p_minor, v_anomalies, p_content_sha256, p_recorded_by, p_request_id
    )
    RETURNING true, m.person_id, m.recorded_at, m.anomalies, m.content_sha256;
END
$$;
"""


def upgrade() -> None:
    op.execute(LOCK_IN_ORDER)
    op.execute(RECORD_MOVEMENT)


def _revision_0006() -> ModuleType:
    path = Path(__file__).with_name("2026_11_28-0006_identity_of_record_and_minors.py")
    spec = importlib.util.spec_from_file_location("registry_revision_0006", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    previous = _revision_0006()
    for definition in (previous.LOCK_IN_ORDER, previous.RECORD_MOVEMENT):
        op.execute(definition.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
