"""Append-only triggers and record_movement(), the one-round-trip write path.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

History is evidence: no code path may rewrite it, so the database itself refuses
UPDATE, DELETE and TRUNCATE on movements, annulments and the access log.

record_movement() does in one round trip what a terminal's POST needs:
idempotency on movement_id, identity resolution (cédula first, then the
document), linking a document to the person, merging two persons when a
movement proves they are one, and the consecutive-direction anomaly. Advisory
locks serialise concurrent writers of the same movement or the same identity,
so 50 simultaneous retries store one row and never create two persons.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("movements", "annulments", "access_log")

FORBID_CHANGE = """
CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed: the registry is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

LOCK_KEYS = """
CREATE FUNCTION movement_lock_keys(p_movement_id uuid, p_national_id text, p_document_key text)
RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT array_agg(k ORDER BY k COLLATE "C")
    FROM unnest(ARRAY[
        'movement:' || p_movement_id::text,
        'identity:CI:' || p_national_id,
        'identity:' || p_document_key
    ]) AS k
    WHERE k IS NOT NULL
$$;
"""

RECORD_MOVEMENT = """
CREATE FUNCTION record_movement(
    p_movement_id uuid, p_direction text, p_occurred_at timestamptz, p_control_point text,
    p_document_type text, p_document_number text, p_issuing_country text,
    p_nationality text, p_national_id text, p_surnames text, p_given_names text,
    p_birth_date date, p_sex text, p_transport_mode text, p_transport_carrier text,
    p_transport_number text, p_origin_country text, p_destination_country text,
    p_observations text, p_content_sha256 text, p_recorded_by uuid, p_request_id text
) RETURNS TABLE (
    created boolean, person_id uuid, recorded_at timestamptz, anomalies text[],
    content_sha256 text
) LANGUAGE plpgsql AS $$
DECLARE
    v_document_key text := p_document_type || ':' || p_issuing_country || ':' || p_document_number;
    v_national_key text := 'CI:' || p_national_id;  -- NULL when there is no cédula
    v_key text;
    v_by_national uuid;
    v_by_document uuid;
    v_person uuid;
    v_previous text;
    v_anomalies text[] := '{}';
BEGIN
    -- Lock the movement id and the identities in one fixed order (the same order
    -- movement_lock_keys() gives batches), so concurrent writers never deadlock.
    FOR v_key IN
        SELECT k FROM unnest(movement_lock_keys(p_movement_id, p_national_id, v_document_key)) k
    LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(v_key, 0));
    END LOOP;

    RETURN QUERY
        SELECT false, m.person_id, m.recorded_at, m.anomalies, m.content_sha256
        FROM movements m WHERE m.movement_id = p_movement_id;
    IF FOUND THEN
        RETURN;
    END IF;

    SELECT p.canonical_id INTO v_by_national
    FROM person_identifiers i JOIN persons p ON p.id = i.person_id
    WHERE i.identifier = v_national_key;
    SELECT p.canonical_id INTO v_by_document
    FROM person_identifiers i JOIN persons p ON p.id = i.person_id
    WHERE i.identifier = v_document_key;

    IF p_national_id IS NOT NULL AND v_by_document IS NOT NULL
       AND v_by_document IS DISTINCT FROM v_by_national
       AND EXISTS (
           SELECT 1 FROM person_identifiers i JOIN persons p ON p.id = i.person_id
           WHERE p.canonical_id = v_by_document AND i.national_id IS NOT NULL
       ) THEN
        -- The document already belongs to someone with another cédula. Two cédulas are
        -- never merged: record under this cédula and flag it for a supervisor.
        v_anomalies := v_anomalies || 'DOCUMENT_HELD_BY_OTHER_PERSON'::text;
        v_by_document := NULL;
    END IF;

    v_person := coalesce(v_by_national, v_by_document);
    IF v_person IS NULL THEN
        v_person := gen_random_uuid();
        INSERT INTO persons (id, canonical_id) VALUES (v_person, v_person);
    ELSIF v_by_national IS NOT NULL AND v_by_document IS NOT NULL
          AND v_by_national <> v_by_document THEN
        -- The document's holder was known only by the document: the same person.
        UPDATE persons SET canonical_id = v_by_national WHERE canonical_id = v_by_document;
    END IF;

    IF p_national_id IS NOT NULL THEN
        INSERT INTO person_identifiers (identifier, person_id, national_id)
        VALUES (v_national_key, v_person, p_national_id)
        ON CONFLICT (identifier) DO NOTHING;
    END IF;
    INSERT INTO person_identifiers
        (identifier, person_id, document_type, document_number, issuing_country)
    VALUES (v_document_key, v_person, p_document_type, p_document_number, p_issuing_country)
    ON CONFLICT (identifier) DO NOTHING;

    -- The previous movement in time, not in upload order: land posts upload late.
    SELECT m.direction INTO v_previous
    FROM movements m JOIN persons p ON p.id = m.person_id
    WHERE p.canonical_id = v_person AND m.occurred_at <= p_occurred_at
      AND NOT EXISTS (SELECT 1 FROM annulments a WHERE a.movement_id = m.movement_id)
    ORDER BY m.occurred_at DESC, m.movement_id DESC
    LIMIT 1;
    IF v_previous = p_direction THEN
        v_anomalies := ('CONSECUTIVE_' || p_direction) || v_anomalies;
    END IF;

    RETURN QUERY
    INSERT INTO movements AS m (
        movement_id, person_id, direction, occurred_at, control_point, document_type,
        document_number, issuing_country, nationality, national_id, surnames, given_names,
        birth_date, sex, transport_mode, transport_carrier, transport_number,
        origin_country, destination_country, observations, anomalies, content_sha256,
        recorded_by, request_id
    ) VALUES (
        p_movement_id, v_person, p_direction, p_occurred_at, p_control_point, p_document_type,
        p_document_number, p_issuing_country, p_nationality, p_national_id, p_surnames,
        p_given_names, p_birth_date, p_sex, p_transport_mode, p_transport_carrier,
        p_transport_number, p_origin_country, p_destination_country, p_observations,
        v_anomalies, p_content_sha256, p_recorded_by, p_request_id
    )
    RETURNING true, m.person_id, m.recorded_at, m.anomalies, m.content_sha256;
END
$$;
"""


def upgrade() -> None:
    op.execute(FORBID_CHANGE)
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION forbid_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION forbid_change()"
        )
    op.execute(LOCK_KEYS)
    op.execute(RECORD_MOVEMENT)


def downgrade() -> None:
    op.execute("DROP FUNCTION record_movement")
    op.execute("DROP FUNCTION movement_lock_keys")
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION forbid_change")
