"""Issuer schema: authorities and their tokens, certificate requests, certificates and
the per-year counter behind gapless certificate numbers.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 10:23:37.205999
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authorities",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("oficio_pattern", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('JUDICIAL_UNIT', 'PROSECUTOR_OFFICE', 'COMPTROLLER', 'OTHER_COMPETENT')",
            name=op.f("ck_authorities_kind"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorities")),
        sa.UniqueConstraint("name", name=op.f("uq_authorities_name")),
    )
    op.create_table(
        "certificate_counters",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_certificate_counters")),
    )
    op.create_table(
        "authority_tokens",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_authority_tokens_authority_id_authorities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authority_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_authority_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_authority_tokens_authority_id"), "authority_tokens", ["authority_id"], unique=False
    )
    op.create_table(
        "certificate_requests",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("oficio_number", sa.Text(), nullable=False),
        sa.Column("oficio", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("oficio_pdf_sha256", sa.Text(), nullable=True),
        sa.Column("subject", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "errors",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("content_sha256", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('ISSUED', 'PENDING', 'REJECTED')",
            name=op.f("ck_certificate_requests_status"),
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_certificate_requests_authority_id_authorities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_requests")),
        sa.UniqueConstraint(
            "authority_id", "oficio_number", name="uq_certificate_requests_authority_oficio"
        ),
    )
    op.create_index(
        "ix_certificate_requests_pending",
        "certificate_requests",
        ["updated_at"],
        unique=False,
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("verification_code", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_name", sa.Text(), nullable=False),
        sa.Column("movement_count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revocation_reason IS NULL)",
            name=op.f("ck_certificates_revocation_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["certificate_requests.id"],
            name=op.f("fk_certificates_request_id_certificate_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"],
            ["authority_tokens.id"],
            name=op.f("fk_certificates_revoked_by_authority_tokens"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
        sa.UniqueConstraint("request_id", name=op.f("uq_certificates_request_id")),
        sa.UniqueConstraint("sha256", name=op.f("uq_certificates_sha256")),
        sa.UniqueConstraint("verification_code", name=op.f("uq_certificates_verification_code")),
        sa.UniqueConstraint("year", "sequence", name="uq_certificates_year_sequence"),
    )


def downgrade() -> None:
    op.drop_table("certificates")
    op.drop_index(
        "ix_certificate_requests_pending",
        table_name="certificate_requests",
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_table("certificate_requests")
    op.drop_index(op.f("ix_authority_tokens_authority_id"), table_name="authority_tokens")
    op.drop_table("authority_tokens")
    op.drop_table("certificate_counters")
    op.drop_table("authorities")
