"""Each movement stores the JSON text of what never changes in its answer.

Revision ID: 0010_answer_head
Revises: 0009_set_batch
Create Date: 2026-11-28

A history page is written by PostgreSQL as the answer's JSON text. Profiled on a page
of 50 movements (backend CPU, one connection), building that text took 0.63 of the
statement's 1.53 ms: about thirty to_json()/to_char() calls per movement, for fields that
are the same on every read because a movement is never edited. ``answer_head`` holds
them, written once when the row is inserted: ``"direction":...`` up to ``"recorded_at":...``
(MovementOut's fields from direction to recorded_at, in its order, comma-separated, no
braces). A read adds only what can change: the canonical person, the read-time anomalies
and the annulment (services/registry/movements/answer.py).

A STORED generated column, so nothing can write it but PostgreSQL, from the row's own
columns: it cannot disagree with them, the write paths (record_movement(),
record_movements(), COPY) are unchanged, and adding it fills every existing row in the
same table rewrite (no UPDATE: the append-only trigger stays untouched).

movement_answer_head() is declared IMMUTABLE, which a generated column requires, although
to_char() and to_json() are only STABLE in the catalog: they are STABLE for the settings
some of their uses read (locale-dependent patterns like TMMonth, DateStyle for dates in
JSON). This function uses none of those: timestamps are rendered in UTC with numeric
patterns, the birth date with to_char's numeric pattern (never through DateStyle), text
through to_json() (escaping only) and jsonb through its own output. The same row always
gives the same text, on any server with any settings.

The cost: the text is about 400 bytes per movement on disk (measured in docs/performance.md),
computed once per insert instead of once per read.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_answer_head"
down_revision: str | None = "0009_set_batch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A UTC timestamp exactly as pydantic writes one: 2025-03-01T19:05:00Z, microseconds only
# when there are some.
_UTC = """'"' || to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
       || CASE WHEN extract(microseconds FROM {0})::bigint % 1000000 = 0 THEN ''
               ELSE to_char({0} AT TIME ZONE 'UTC', '.US') END || 'Z"'"""


def _text(column: str) -> str:
    return f"coalesce(to_json({column})::text, 'null')"


ANSWER_HEAD = f"""
CREATE FUNCTION movement_answer_head(
    direction text, occurred_at timestamptz, control_point text, document_type text,
    document_number text, issuing_country text, nationality text, national_id text,
    surnames text, given_names text, birth_date date, sex text, transport_mode text,
    transport_carrier text, transport_number text, origin_country text,
    destination_country text, observations text, minor jsonb, recorded_at timestamptz
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT '"direction":"' || direction || '"'
    || ',"occurred_at":' || {_UTC.format("occurred_at")}
    || ',"control_point":' || {_text("control_point")}
    || ',"traveller":{{"document_type":' || coalesce('"' || document_type || '"', 'null')
    || ',"document_number":' || {_text("document_number")}
    || ',"issuing_country":' || {_text("issuing_country")}
    || ',"nationality":' || {_text("nationality")}
    || ',"national_id":' || {_text("national_id")}
    || ',"surnames":' || {_text("surnames")}
    || ',"given_names":' || {_text("given_names")}
    || ',"birth_date":' || coalesce('"' || to_char(birth_date, 'YYYY-MM-DD') || '"', 'null')
    || ',"sex":' || coalesce('"' || sex || '"', 'null')
    || '}},"transport":' || CASE WHEN coalesce(transport_mode, '') <> '' THEN
           '{{"mode":"' || transport_mode || '"'
           || ',"carrier":' || {_text("transport_carrier")}
           || ',"number":' || {_text("transport_number")} || '}}'
       ELSE 'null' END
    || ',"origin_country":' || {_text("origin_country")}
    || ',"destination_country":' || {_text("destination_country")}
    || ',"observations":' || {_text("observations")}
    || ',"minor":' || coalesce(minor::text, 'null')
    || ',"recorded_at":' || {_UTC.format("recorded_at")}
$$;
"""

ADD_COLUMN = """
ALTER TABLE movements ADD COLUMN answer_head text NOT NULL GENERATED ALWAYS AS (
    movement_answer_head(
        direction, occurred_at, control_point, document_type, document_number,
        issuing_country, nationality, national_id, surnames, given_names, birth_date, sex,
        transport_mode, transport_carrier, transport_number, origin_country,
        destination_country, observations, minor, recorded_at
    )
) STORED
"""


def upgrade() -> None:
    op.execute(ANSWER_HEAD)
    op.execute(ADD_COLUMN)


def downgrade() -> None:
    op.execute("ALTER TABLE movements DROP COLUMN answer_head")
    op.execute("DROP FUNCTION movement_answer_head")
