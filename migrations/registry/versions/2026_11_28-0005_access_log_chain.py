"""Tamper-evident access log: each row sealed at insert, then chained in order.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Every access_log row gets, at INSERT time and from a trigger the service cannot
skip, ``content_sha256``: the SHA-256 of its canonical content (format in
services/registry/access_log/chain.py, which recomputes it independently). The
chain itself lives in ``access_log_chain``, append-only too: link N holds row N's
content hash, the previous link's hash and SHA-256 of both. A chainer links rows
after they commit, in id order, so the hot paths never wait for each other: the
only serialisation is a shared advisory lock each insert holds until it commits,
which lets the chainer learn, by taking it exclusively for an instant, that every
id below the current one is final (committed or rolled back for good).

``id`` is therefore drawn by that trigger, after the lock, instead of by an
identity default evaluated before it. ``on_behalf_of`` records the authority an
intermediary (the issuer) read for.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.grants import app_role

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# pg_advisory_xact_lock key shared with services/registry/access_log/chain.py.
WRITERS_LOCK = 7_283_917_204

FIELD = r"""
CREATE FUNCTION access_log_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT E'\n' || CASE WHEN v IS NULL THEN '~' ELSE length(v)::text || ':' || v END
$$
"""

CANONICAL = r"""
CREATE FUNCTION access_log_canonical(r access_log) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT 'access_log/v1'
        || access_log_field(r.id::text)
        || access_log_field(to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        || access_log_field(r.client_id::text)
        || access_log_field(r.action)
        || access_log_field(r.identity::text)
        || access_log_field(r.person_id::text)
        || access_log_field(r.purpose)
        || access_log_field(r.reference)
        || access_log_field(r.movement_count::text)
        || access_log_field(r.request_id)
        || access_log_field(r.on_behalf_of)
$$;
"""

SEAL = f"""
CREATE FUNCTION access_log_seal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Held until this transaction ends: the chainer's barrier (see the docstring).
    PERFORM pg_advisory_xact_lock_shared({WRITERS_LOCK});
    NEW.id := nextval('access_log_id_seq');
    NEW.at := coalesce(NEW.at, now());
    NEW.content_sha256 := encode(sha256(convert_to(access_log_canonical(NEW), 'UTF8')), 'hex');
    RETURN NEW;
END
$$;
"""


def upgrade() -> None:
    role = app_role()
    op.add_column("access_log", sa.Column("on_behalf_of", sa.Text(), nullable=True))
    op.add_column("access_log", sa.Column("content_sha256", sa.Text(), nullable=True))
    op.execute("ALTER TABLE access_log ALTER COLUMN id DROP IDENTITY")
    op.execute("CREATE SEQUENCE access_log_id_seq OWNED BY access_log.id")
    op.execute(
        "SELECT setval('access_log_id_seq', coalesce((SELECT max(id) FROM access_log), 0) + 1,"
        " false)"
    )
    op.execute(f'GRANT USAGE ON SEQUENCE access_log_id_seq TO "{role}"')
    op.execute(FIELD)
    op.execute(CANONICAL)
    op.execute(SEAL)
    # Rows written before this revision are sealed as they stand now.
    op.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_append_only")
    op.execute(
        "UPDATE access_log a SET content_sha256 ="
        " encode(sha256(convert_to(access_log_canonical(a), 'UTF8')), 'hex')"
    )
    op.execute("ALTER TABLE access_log ENABLE TRIGGER access_log_append_only")
    op.execute(
        "CREATE TRIGGER access_log_seal BEFORE INSERT ON access_log "
        "FOR EACH ROW EXECUTE FUNCTION access_log_seal()"
    )
    op.create_index(
        "ix_access_log_person_id_at", "access_log", ["person_id", "at", "id"], unique=False
    )

    op.create_table(
        "access_log_chain",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("content_sha256", sa.Text(), nullable=False),
        sa.Column("prev_sha256", sa.Text(), nullable=False),
        sa.Column("chain_sha256", sa.Text(), nullable=False),
        sa.Column(
            "chained_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_access_log_chain")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_access_log_chain_entry_id")),
    )
    op.execute(
        "CREATE TRIGGER access_log_chain_append_only BEFORE UPDATE OR DELETE ON access_log_chain "
        "FOR EACH ROW EXECUTE FUNCTION forbid_change()"
    )
    op.execute(
        "CREATE TRIGGER access_log_chain_no_truncate BEFORE TRUNCATE ON access_log_chain "
        "FOR EACH STATEMENT EXECUTE FUNCTION forbid_change()"
    )
    op.execute(f'GRANT SELECT, INSERT ON access_log_chain TO "{role}"')


def downgrade() -> None:
    op.drop_table("access_log_chain")
    op.drop_index("ix_access_log_person_id_at", table_name="access_log")
    op.execute("DROP TRIGGER access_log_seal ON access_log")
    op.execute("DROP FUNCTION access_log_seal()")
    op.execute("DROP FUNCTION access_log_canonical(access_log)")
    op.execute("DROP FUNCTION access_log_field(text)")
    op.execute("ALTER TABLE access_log ALTER COLUMN id DROP DEFAULT")
    op.execute("DROP SEQUENCE access_log_id_seq")
    op.execute("ALTER TABLE access_log ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY")
    op.execute(
        "SELECT setval(pg_get_serial_sequence('access_log', 'id'),"
        " coalesce((SELECT max(id) FROM access_log), 0) + 1, false)"
    )
    op.drop_column("access_log", "content_sha256")
    op.drop_column("access_log", "on_behalf_of")
