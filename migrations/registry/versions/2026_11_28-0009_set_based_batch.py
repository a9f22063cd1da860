"""A batch is recorded set-based: record_movements() judges all its movements at once.

Revision ID: 0009_set_batch
Revises: 0008_leaner_record
Create Date: 2026-11-28

record_movements() takes the batch's locks (lock_in_order(), the one global order),
then resolves every identifier of the batch in one statement and, when the batch holds
only the ordinary cases, records it in one more: new persons and identifiers inserted
set-wise, the data of record and the previous movement read once per row by the
executor instead of by a PL/pgSQL call, the movements inserted by one INSERT ... SELECT.
The answers are those of record_movement() called row after row in batch order:

- a movement_id already stored answers what is stored (a retry); its row touches nothing;
- a person known by neither identifier is created once, by the batch's first row of them
  (keyed by cédula, else by document); their later rows are judged against that row's
  identity data, as its identifiers' data of record;
- a known person's data of record cannot change inside an ordinary batch (a cédula row
  sorts first; a new document of a cédula holder does not displace it);
- the previous movement of a row is the latest, in time, of the person's stored ones
  and of the batch's *earlier* rows of that person: what one-by-one posting would see.

Everything else goes row by row through record_movement(), in batch order, as before:
a movement_id twice in the batch, a cédula whose document is known as another person
(a merge or DOCUMENT_HELD_BY_OTHER_PERSON), a document sent with a cédula and without
it, or with two cédulas. Those batches cost what they did.

SECURITY INVOKER like record_movement(): the app role inserts as it did; executable by
PUBLIC as 0006 left the other functions.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_set_batch"
down_revision: str | None = "0008_leaner_record"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = (
    "record_movements(uuid[], text[], timestamptz[], text[], text[], text[], text[], "
    "text[], text[], text[], text[], date[], text[], text[], text[], text[], text[], "
    "text[], text[], jsonb[], text[], text[], text[], text[], text[], uuid, text)"
)

RECORD_MOVEMENTS = """
CREATE FUNCTION record_movements(
    p_movement_id uuid[], p_direction text[], p_occurred_at timestamptz[],
    p_control_point text[], p_document_type text[], p_document_number text[],
    p_issuing_country text[], p_nationality text[], p_national_id text[],
    p_surnames text[], p_given_names text[], p_birth_date date[], p_sex text[],
    p_transport_mode text[], p_transport_carrier text[], p_transport_number text[],
    p_origin_country text[], p_destination_country text[], p_observations text[],
    p_minor jsonb[], p_flags text[], p_national_key text[], p_document_key text[],
    p_lock_keys text[], p_content_sha256 text[], p_recorded_by uuid, p_request_id text
) RETURNS TABLE (
    ord bigint, created boolean, person_id uuid, recorded_at timestamptz, anomalies text[],
    content_sha256 text
) LANGUAGE plpgsql
-- Every read below is meant as an index probe. Planned with the unnest's default
-- estimate (10 rows) and a small persons table's statistics, a persons scan per row
-- looks cheaper: measured, it made a batch of known travellers cost 3x more each
-- time the table doubled.
SET enable_seqscan = off
AS $$
DECLARE
    v_stored boolean[];
    v_by_national uuid[];
    v_by_document uuid[];
    v_row_by_row boolean;
BEGIN
    -- Every key of the batch at once, before anything is read: two batches sharing
    -- travellers queue on the first shared key instead of deadlocking.
    PERFORM lock_in_order(string_to_array(array_to_string(p_lock_keys, ' '), ' '));

    -- Each row's retry status and its identifiers' persons as the batch starts.
    WITH batch AS (
        SELECT t.*
        FROM unnest(p_movement_id, p_national_key, p_document_key)
             WITH ORDINALITY AS t(movement_id, national_key, document_key, ord)
    ),
    -- One index probe per distinct identifier (LIMIT 1 keeps it a probe: as a join, the
    -- planner may hash all of persons for a few hundred identifiers).
    known AS (
        SELECT k.identifier, found.canonical_id
        FROM (
            SELECT DISTINCT u.identifier
            FROM unnest(p_national_key || p_document_key) AS u(identifier)
            WHERE u.identifier IS NOT NULL
        ) AS k
        CROSS JOIN LATERAL (
            SELECT p.canonical_id
            FROM person_identifiers i JOIN persons p ON p.id = i.person_id
            WHERE i.identifier = k.identifier
            LIMIT 1
        ) AS found
    ),
    resolved AS (
        SELECT b.*, n.canonical_id AS by_national, d.canonical_id AS by_document,
               EXISTS (SELECT FROM movements m WHERE m.movement_id = b.movement_id) AS stored
        FROM batch b
        LEFT JOIN known n ON n.identifier = b.national_key
        LEFT JOIN known d ON d.identifier = b.document_key
    )
    SELECT array_agg(r.stored ORDER BY r.ord), array_agg(r.by_national ORDER BY r.ord),
           array_agg(r.by_document ORDER BY r.ord),
           count(DISTINCT r.movement_id) < count(*)
           OR bool_or(NOT r.stored AND r.national_key IS NOT NULL
                      AND r.by_document IS DISTINCT FROM r.by_national
                      AND r.by_document IS NOT NULL)
           OR EXISTS (
               SELECT FROM resolved f WHERE NOT f.stored
               GROUP BY f.document_key
               HAVING count(DISTINCT coalesce(f.national_key, '')) > 1
           )
    INTO v_stored, v_by_national, v_by_document, v_row_by_row
    FROM resolved r;

    IF v_row_by_row THEN
        RETURN QUERY
        SELECT t.ord, r.created, r.person_id, r.recorded_at, r.anomalies, r.content_sha256
        FROM unnest(
            p_movement_id, p_direction, p_occurred_at, p_control_point, p_document_type,
            p_document_number, p_issuing_country, p_nationality, p_national_id, p_surnames,
            p_given_names, p_birth_date, p_sex, p_transport_mode, p_transport_carrier,
            p_transport_number, p_origin_country, p_destination_country, p_observations,
            p_minor, p_flags, p_national_key, p_document_key, p_lock_keys, p_content_sha256
        ) WITH ORDINALITY AS t(
            movement_id, direction, occurred_at, control_point, document_type,
            document_number, issuing_country, nationality, national_id, surnames,
            given_names, birth_date, sex, transport_mode, transport_carrier,
            transport_number, origin_country, destination_country, observations, minor,
            flags, national_key, document_key, lock_keys, content_sha256, ord
        )
        CROSS JOIN LATERAL record_movement(
            t.movement_id, t.direction, t.occurred_at, t.control_point, t.document_type,
            t.document_number, t.issuing_country, t.nationality, t.national_id,
            t.surnames, t.given_names, t.birth_date, t.sex, t.transport_mode,
            t.transport_carrier, t.transport_number, t.origin_country,
            t.destination_country, t.observations, t.minor,
            string_to_array(t.flags, ' '), t.national_key, t.document_key,
            string_to_array(t.lock_keys, ' '), t.content_sha256, p_recorded_by,
            p_request_id
        ) AS r
        ORDER BY t.ord;
        RETURN;
    END IF;

    RETURN QUERY
    WITH batch AS (
        SELECT t.*
        FROM unnest(
            p_movement_id, p_direction, p_occurred_at, p_control_point, p_document_type,
            p_document_number, p_issuing_country, p_nationality, p_national_id, p_surnames,
            p_given_names, p_birth_date, p_sex, p_transport_mode, p_transport_carrier,
            p_transport_number, p_origin_country, p_destination_country, p_observations,
            p_minor, p_flags, p_national_key, p_document_key, p_content_sha256, v_stored,
            v_by_national, v_by_document
        ) WITH ORDINALITY AS t(
            movement_id, direction, occurred_at, control_point, document_type,
            document_number, issuing_country, nationality, national_id, surnames,
            given_names, birth_date, sex, transport_mode, transport_carrier,
            transport_number, origin_country, destination_country, observations, minor,
            flags, national_key, document_key, content_sha256, stored, by_national,
            by_document, ord
        )
    ),
    -- One new person per cédula (else document) that no identifier of theirs resolves.
    newcomers AS MATERIALIZED (
        SELECT k.person_key, gen_random_uuid() AS id
        FROM (
            SELECT DISTINCT coalesce(b.national_key, b.document_key) AS person_key
            FROM batch b
            WHERE NOT b.stored AND b.by_national IS NULL AND b.by_document IS NULL
        ) AS k
    ),
    new_persons AS (
        INSERT INTO persons (id, canonical_id) SELECT n.id, n.id FROM newcomers n
    ),
    fresh AS MATERIALIZED (
        SELECT b.*, coalesce(b.by_national, b.by_document, n.id) AS person,
               n.id IS NOT NULL AS newcomer,
               row_number() OVER (
                   PARTITION BY coalesce(b.by_national, b.by_document, n.id) ORDER BY b.ord
               ) AS nth
        FROM batch b
        LEFT JOIN newcomers n
               ON n.person_key = coalesce(b.national_key, b.document_key)
              AND b.by_national IS NULL AND b.by_document IS NULL
        WHERE NOT b.stored
    ),
    -- Each identifier not yet stored, with the identity data of its first row.
    new_identifiers AS (
        INSERT INTO person_identifiers (
            identifier, person_id, national_id, document_type, document_number,
            issuing_country, surnames, given_names, birth_date, sex, nationality
        )
        SELECT DISTINCT ON (i.identifier)
               i.identifier, i.person, i.national_id, i.document_type, i.document_number,
               i.issuing_country, i.surnames, i.given_names, i.birth_date, i.sex,
               i.nationality
        FROM (
            SELECT f.national_key AS identifier, f.person, f.national_id,
                   NULL::text AS document_type, NULL::text AS document_number,
                   NULL::text AS issuing_country, f.surnames, f.given_names, f.birth_date,
                   f.sex, f.nationality, f.ord
            FROM fresh f WHERE f.national_key IS NOT NULL AND f.by_national IS NULL
            UNION ALL
            SELECT f.document_key, f.person, NULL, f.document_type, f.document_number,
                   f.issuing_country, f.surnames, f.given_names, f.birth_date, f.sex,
                   f.nationality, f.ord
            FROM fresh f WHERE f.by_document IS NULL
        ) AS i
        ORDER BY i.identifier, i.ord
        ON CONFLICT (identifier) DO NOTHING
    ),
    -- A known person's data of record as stored; a newcomer's are their first row's.
    of_record AS (
        SELECT k.person, d.surnames, d.given_names, d.birth_date, d.sex
        FROM (SELECT DISTINCT f.person FROM fresh f WHERE NOT f.newcomer) AS k
        CROSS JOIN LATERAL person_data_of_record(k.person) AS d
        UNION ALL
        SELECT f.person, f.surnames, f.given_names, f.birth_date, f.sex
        FROM fresh f WHERE f.newcomer AND f.nth = 1
    ),
    -- The previous movement each row would see posted alone: the latest, in time, of
    -- the person's stored movements (a probe of each of their ids' timeline index, as in
    -- record_movement()) and of the batch's earlier rows of that person.
    stored_previous AS (
        SELECT f.ord, latest.direction, latest.occurred_at, latest.movement_id
        FROM fresh f
        CROSS JOIN LATERAL (
            SELECT l.direction, l.occurred_at, l.movement_id
            FROM persons p
            CROSS JOIN LATERAL (
                SELECT m.direction, m.occurred_at, m.movement_id
                FROM movements m
                WHERE m.person_id = p.id AND m.occurred_at <= f.occurred_at
                  AND NOT EXISTS (
                      SELECT FROM annulments a WHERE a.movement_id = m.movement_id OFFSET 0
                  )
                ORDER BY m.occurred_at DESC, m.movement_id DESC
                LIMIT 1
            ) AS l
            WHERE p.canonical_id = f.person
            ORDER BY l.occurred_at DESC, l.movement_id DESC
            LIMIT 1
        ) AS latest
        WHERE NOT f.newcomer
    ),
    batch_previous AS (
        SELECT DISTINCT ON (f.ord) f.ord, e.direction, e.occurred_at, e.movement_id
        FROM fresh f
        JOIN fresh e ON e.person = f.person AND e.ord < f.ord AND e.occurred_at <= f.occurred_at
        ORDER BY f.ord, e.occurred_at DESC, e.movement_id DESC
    ),
    judged AS (
        SELECT f.*,
               CASE WHEN previous.direction = f.direction
                    THEN ARRAY['CONSECUTIVE_' || f.direction] ELSE '{}'::text[] END
               || CASE WHEN (f.newcomer AND f.nth = 1) OR r.person IS NULL THEN '{}'::text[]
                       WHEN (f.surnames IS DISTINCT FROM r.surnames
                             AND identity_fold(f.surnames) IS DISTINCT FROM
                                 identity_fold(r.surnames))
                         OR (f.given_names IS DISTINCT FROM r.given_names
                             AND identity_fold(f.given_names) IS DISTINCT FROM
                                 identity_fold(r.given_names))
                         OR f.birth_date IS DISTINCT FROM r.birth_date
                         OR f.sex IS DISTINCT FROM r.sex
                       THEN ARRAY['IDENTITY_DATA_MISMATCH'] ELSE '{}'::text[] END
               || coalesce(string_to_array(f.flags, ' '), '{}') AS anomalies
        FROM fresh f
        LEFT JOIN of_record r ON r.person = f.person
        LEFT JOIN stored_previous s ON s.ord = f.ord
        LEFT JOIN batch_previous e ON e.ord = f.ord
        CROSS JOIN LATERAL (
            SELECT CASE WHEN e.ord IS NULL THEN s.direction
                        WHEN s.ord IS NULL THEN e.direction
                        WHEN (e.occurred_at, e.movement_id) > (s.occurred_at, s.movement_id)
                        THEN e.direction ELSE s.direction END AS direction
        ) AS previous
    ),
    inserted AS (
        INSERT INTO movements AS m (
            movement_id, person_id, direction, occurred_at, control_point, document_type,
            document_number, issuing_country, nationality, national_id, surnames,
            given_names, birth_date, sex, transport_mode, transport_carrier,
            transport_number, origin_country, destination_country, observations, minor,
            anomalies, content_sha256, recorded_by, request_id
        )
        SELECT j.movement_id, j.person, j.direction, j.occurred_at, j.control_point,
               j.document_type, j.document_number, j.issuing_country, j.nationality,
               j.national_id, j.surnames, j.given_names, j.birth_date, j.sex,
               j.transport_mode, j.transport_carrier, j.transport_number,
               j.origin_country, j.destination_country, j.observations, j.minor,
               j.anomalies, j.content_sha256, p_recorded_by, p_request_id
        FROM judged j
        ORDER BY j.ord
        RETURNING m.movement_id, m.person_id, m.recorded_at, m.anomalies, m.content_sha256
    )
    SELECT b.ord, i.movement_id IS NOT NULL,
           coalesce(i.person_id, retried.person_id),
           coalesce(i.recorded_at, retried.recorded_at),
           coalesce(i.anomalies, retried.anomalies),
           coalesce(i.content_sha256, retried.content_sha256)
    FROM batch b
    LEFT JOIN inserted i ON i.movement_id = b.movement_id AND NOT b.stored
    LEFT JOIN LATERAL (
        SELECT p.canonical_id AS person_id, m.recorded_at, m.anomalies, m.content_sha256
        FROM movements m JOIN persons p ON p.id = m.person_id
        WHERE m.movement_id = b.movement_id
    ) AS retried ON b.stored
    ORDER BY b.ord;
END
$$;
"""


def upgrade() -> None:
    op.execute(RECORD_MOVEMENTS)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {SIGNATURE}")
