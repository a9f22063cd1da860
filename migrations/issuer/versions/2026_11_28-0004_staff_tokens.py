"""Staff tokens are their own kind: an authority's token can never carry ``admin``.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Before this, ``admin`` was a scope any authority's token could be given, and such a
token could revoke every other authority's certificates. Existing admin tokens move
to ``staff_tokens`` under the same id (so ``certificates.revoked_by`` keeps pointing
at who revoked), and authority tokens lose the scope; a token left with no scope is
deactivated.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_tokens",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("scopes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_tokens_token_hash")),
    )
    # A token that held only `admin` becomes a staff token (same id, same hash). One that
    # also requested certificates keeps that scope only; its staff row exists just so that
    # `certificates.revoked_by` still names it, and cannot authenticate.
    op.execute(
        "INSERT INTO staff_tokens (id, name, token_hash, scopes, active, created_at)"
        " SELECT t.id, a.name,"
        " CASE WHEN t.scopes = ARRAY['admin'] THEN t.token_hash ELSE 'retired:' || t.id END,"
        " ARRAY['admin'], t.active AND t.scopes = ARRAY['admin'], t.created_at"
        " FROM authority_tokens t JOIN authorities a ON a.id = t.authority_id"
        " WHERE 'admin' = ANY(t.scopes)"
    )
    op.execute(
        "UPDATE authority_tokens SET"
        " token_hash = CASE WHEN scopes = ARRAY['admin'] THEN 'moved-to-staff:' || id"
        " ELSE token_hash END,"
        " active = active AND scopes <> ARRAY['admin'],"
        " scopes = array_remove(scopes, 'admin')"
        " WHERE 'admin' = ANY(scopes)"
    )
    op.create_check_constraint(
        op.f("ck_authority_tokens_authority_scopes"),
        "authority_tokens",
        "scopes <@ ARRAY['certificates:request']::text[]",
    )
    op.drop_constraint(
        "fk_certificates_revoked_by_authority_tokens", "certificates", type_="foreignkey"
    )
    op.create_foreign_key(
        op.f("fk_certificates_revoked_by_staff_tokens"),
        "certificates",
        "staff_tokens",
        ["revoked_by"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_certificates_revoked_by_staff_tokens"), "certificates", type_="foreignkey"
    )
    op.drop_constraint(
        op.f("ck_authority_tokens_authority_scopes"), "authority_tokens", type_="check"
    )
    op.execute(
        "UPDATE authority_tokens t SET scopes = ARRAY['admin'], token_hash = s.token_hash,"
        " active = s.active FROM staff_tokens s WHERE s.id = t.id"
    )
    op.create_foreign_key(
        "fk_certificates_revoked_by_authority_tokens",
        "certificates",
        "authority_tokens",
        ["revoked_by"],
        ["id"],
    )
    op.drop_table("staff_tokens")
