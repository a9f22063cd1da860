"""Statistics that do not wait for autovacuum: a fresh database is fast from its first batch.

Revision ID: 0007_fresh_statistics
Revises: 0004_identity_minors
Create Date: 2026-11-28

Measured on a freshly migrated database, 1000-movement batches fell from ~1,300 to
~150 movements/s within 30 batches, and stayed there until autovacuum first analyzed
the tables (about two minutes); ANALYZE after the first batches kept them at
~1,200-1,700. Plans made while the tables looked empty (a sequential scan of
person_identifiers behind person_data_of_record(), the foreign-key checks' cached
plans) scale with the table. refresh_statistics_if_stale() ANALYZEs the three tables
the write path reads once their rows changed by more than 500 + 20% since the last
analyze; the registry calls it every few seconds, off the request path. It runs as the
owner (SECURITY DEFINER, only the app role may call it): the app role owns nothing.
"""

from collections.abc import Sequence

from alembic import op

from shared.grants import app_role

revision: str = "0007_fresh_statistics"
down_revision: str | None = "0004_identity_minors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFRESH = """
CREATE FUNCTION refresh_statistics_if_stale() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    v_table text;
    v_analyzed integer := 0;
BEGIN
    -- One caller at a time (several workers may call it); the others skip.
    IF NOT pg_try_advisory_xact_lock(hashtextextended('refresh_statistics_if_stale', 0)) THEN
        RETURN 0;
    END IF;
    FOR v_table IN
        SELECT s.relname
        FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.relid IN ('movements'::regclass, 'persons'::regclass,
                          'person_identifiers'::regclass)
          AND s.n_mod_since_analyze > 500 + 0.2 * greatest(c.reltuples, 0)
    LOOP
        EXECUTE format('ANALYZE %I', v_table);
        v_analyzed := v_analyzed + 1;
    END LOOP;
    RETURN v_analyzed;
END
$$;
"""


def upgrade() -> None:
    op.execute(REFRESH)
    op.execute("REVOKE EXECUTE ON FUNCTION refresh_statistics_if_stale() FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION refresh_statistics_if_stale() TO "{app_role()}"')


def downgrade() -> None:
    op.execute("DROP FUNCTION refresh_statistics_if_stale()")
