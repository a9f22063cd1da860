"""Identity data of record, the minor block, and record_movement() that knows both.

Revision ID: 0004_identity_minors
Revises: 0005
Create Date: 2026-11-28

A typo at the booth must not rename a person. Each identifier row now keeps the
identity data first recorded with it; the person's data of record are those of
their cédula (else of their document), and a movement that disagrees with them
is stored as captured and flagged IDENTITY_DATA_MISMATCH (compared without case,
accents or extra spaces: identity_fold()).

Minors (Reglamento arts. 136-137): the `minor` block is stored with the movement,
append-only like the rest. Its flags are computed by the service (they need the
Ecuador calendar) and arrive as p_flags.

The identifier and lock keys are composed once, in Python (shared/identity.py), and
passed in; lock_in_order() is the one place that orders and takes the locks, for
single movements and batches alike.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_identity_minors"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCENTED = "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿ"
_PLAIN = "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyy"

IDENTITY_FOLD = f"""
CREATE FUNCTION identity_fold(p_value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT upper(btrim(regexp_replace(translate(p_value, '{_ACCENTED}', '{_PLAIN}'),
                                      '\\s+', ' ', 'g')))
$$;
"""

LOCK_IN_ORDER = """
CREATE FUNCTION lock_in_order(p_keys text[]) RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    -- One global order (bytewise) for every writer: concurrent writers queue, never deadlock.
    SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))
    FROM (SELECT DISTINCT k COLLATE "C" AS k FROM unnest(p_keys) AS k ORDER BY 1) AS ordered
$$;
"""

# The data of record of a canonical person: the cédula's row first, else the oldest document.
DATA_OF_RECORD = """
CREATE FUNCTION person_data_of_record(p_person uuid)
RETURNS TABLE (surnames text, given_names text, birth_date date, sex text, nationality text)
LANGUAGE sql STABLE AS $$
    SELECT i.surnames, i.given_names, i.birth_date, i.sex, i.nationality
    FROM person_identifiers i JOIN persons p ON p.id = i.person_id
    WHERE p.canonical_id = p_person AND i.surnames IS NOT NULL
    ORDER BY (i.national_id IS NULL), i.first_seen_at, i.identifier
    LIMIT 1
$$;
"""

RECORD_MOVEMENT = """
CREATE FUNCTION record_movement(
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
    v_person uuid;
    v_previous text;
    v_record record;
    v_anomalies text[] := '{}';
BEGIN
    PERFORM lock_in_order(p_lock_keys);

    RETURN QUERY
        SELECT false, p.canonical_id, m.recorded_at, m.anomalies, m.content_sha256
        FROM movements m JOIN persons p ON p.id = m.person_id
        WHERE m.movement_id = p_movement_id;
    IF FOUND THEN
        RETURN;
    END IF;

    SELECT p.canonical_id INTO v_by_national
    FROM person_identifiers i JOIN persons p ON p.id = i.person_id
    WHERE i.identifier = p_national_key;
    SELECT p.canonical_id INTO v_by_document
    FROM person_identifiers i JOIN persons p ON p.id = i.person_id
    WHERE i.identifier = p_document_key;

    IF p_national_key IS NOT NULL AND v_by_document IS NOT NULL
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
    ELSE
        IF v_by_national IS NOT NULL AND v_by_document IS NOT NULL
           AND v_by_national <> v_by_document THEN
            -- The document's holder was known only by the document: the same person.
            UPDATE persons SET canonical_id = v_by_national WHERE canonical_id = v_by_document;
        END IF;
        -- A known person keeps the name they were first recorded with; a booth typo is
        -- stored as captured and flagged, never adopted.
        SELECT * INTO v_record FROM person_data_of_record(v_person);
        IF FOUND AND (
            identity_fold(p_surnames) IS DISTINCT FROM identity_fold(v_record.surnames)
            OR identity_fold(p_given_names) IS DISTINCT FROM identity_fold(v_record.given_names)
            OR p_birth_date IS DISTINCT FROM v_record.birth_date
            OR p_sex IS DISTINCT FROM v_record.sex
        ) THEN
            v_anomalies := v_anomalies || 'IDENTITY_DATA_MISMATCH'::text;
        END IF;
    END IF;

    IF p_national_key IS NOT NULL THEN
        INSERT INTO person_identifiers (
            identifier, person_id, national_id,
            surnames, given_names, birth_date, sex, nationality
        ) VALUES (
            p_national_key, v_person, p_national_id,
            p_surnames, p_given_names, p_birth_date, p_sex, p_nationality
        )
        ON CONFLICT (identifier) DO NOTHING;
    END IF;
    INSERT INTO person_identifiers (
        identifier, person_id, document_type, document_number, issuing_country,
        surnames, given_names, birth_date, sex, nationality
    ) VALUES (
        p_document_key, v_person, p_document_type, p_document_number, p_issuing_country,
        p_surnames, p_given_names, p_birth_date, p_sex, p_nationality
    )
    ON CONFLICT (identifier) DO NOTHING;

    -- What is known now, at insert time: the previous movement in time (not in upload
    -- order). Reads recompute it over the whole history, late uploads included.
    SELECT m.direction INTO v_previous
    FROM movements m JOIN persons p ON p.id = m.person_id
    WHERE p.canonical_id = v_person AND m.occurred_at <= p_occurred_at
      AND NOT EXISTS (SELECT 1 FROM annulments a WHERE a.movement_id = m.movement_id)
    ORDER BY m.occurred_at DESC, m.movement_id DESC
    LIMIT 1;
    IF v_previous = p_direction THEN
        v_anomalies := ('CONSECUTIVE_' || p_direction) || v_anomalies;
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

_IDENTITY_COLUMNS = ("surnames", "given_names", "birth_date", "sex", "nationality")

# Existing identifiers get the data of the first movement recorded with them.
BACKFILL = """
UPDATE person_identifiers i
SET (surnames, given_names, birth_date, sex, nationality) = (
    SELECT m.surnames, m.given_names, m.birth_date, m.sex, m.nationality
    FROM movements m
    WHERE (i.national_id IS NOT NULL AND m.national_id = i.national_id)
       OR (i.national_id IS NULL AND m.document_type = i.document_type
           AND m.document_number = i.document_number AND m.issuing_country = i.issuing_country)
    ORDER BY m.recorded_at, m.movement_id
    LIMIT 1
)
"""

OLD_RECORD_MOVEMENT_SIGNATURE = (
    "record_movement(uuid, text, timestamptz, text, text, text, text, text, text, text, "
    "text, date, text, text, text, text, text, text, text, text, uuid, text)"
)


def upgrade() -> None:
    op.add_column("movements", sa.Column("minor", postgresql.JSONB(), nullable=True))
    op.add_column("person_identifiers", sa.Column("surnames", sa.Text(), nullable=True))
    op.add_column("person_identifiers", sa.Column("given_names", sa.Text(), nullable=True))
    op.add_column("person_identifiers", sa.Column("birth_date", sa.Date(), nullable=True))
    op.add_column("person_identifiers", sa.Column("sex", sa.Text(), nullable=True))
    op.add_column("person_identifiers", sa.Column("nationality", sa.Text(), nullable=True))
    op.execute(BACKFILL)
    op.execute(f"DROP FUNCTION {OLD_RECORD_MOVEMENT_SIGNATURE}")
    op.execute("DROP FUNCTION movement_lock_keys")
    op.execute(IDENTITY_FOLD)
    op.execute(LOCK_IN_ORDER)
    op.execute(DATA_OF_RECORD)
    op.execute(RECORD_MOVEMENT)


def _revision_0002():  # type: ignore[no-untyped-def]
    path = Path(__file__).with_name("2026_11_22-0002_append_only_and_record_movement.py")
    spec = importlib.util.spec_from_file_location("registry_revision_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    op.execute("DROP FUNCTION record_movement")
    op.execute("DROP FUNCTION person_data_of_record")
    op.execute("DROP FUNCTION lock_in_order")
    op.execute("DROP FUNCTION identity_fold")
    previous = _revision_0002()
    op.execute(previous.LOCK_KEYS)
    op.execute(previous.RECORD_MOVEMENT)
    for column in _IDENTITY_COLUMNS:
        op.drop_column("person_identifiers", column)
    op.drop_column("movements", "minor")
