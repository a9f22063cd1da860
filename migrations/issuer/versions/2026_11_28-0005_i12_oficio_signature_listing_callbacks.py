"""Oficio signature details, listing requests, and callbacks with a durable outbox.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

- ``certificate_requests.oficio_signature``: who signed the oficio's PDF, for the view.
- An index for GET /v1/certificate-requests (one authority's requests, newest first).
- ``authorities.callback_url`` / ``callback_secret``: where and how to notify.
- ``certificate_requests.include_stay_summary`` and ``certificates.stay_summary``: the
  RESUMEN DE PERMANENCIA asked for, and as printed.
- ``notifications``: the outbox, written with the status change it announces. Rows are
  updated as deliveries are tried; they are never deleted by the service.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "certificate_requests",
        sa.Column("oficio_signature", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.create_index(
        "ix_certificate_requests_authority_created",
        "certificate_requests",
        ["authority_id", sa.text("created_at DESC"), sa.text("id DESC")],
    )
    op.add_column(
        "certificate_requests",
        sa.Column(
            "include_stay_summary", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column(
        "certificates",
        sa.Column("stay_summary", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column("authorities", sa.Column("callback_url", sa.Text(), nullable=True))
    op.add_column("authorities", sa.Column("callback_secret", sa.Text(), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("certificate_request_id", sa.Uuid(), nullable=False),
        sa.Column("authority_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'RETRYING'"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('RETRYING', 'DELIVERED', 'FAILED')", name=op.f("ck_notifications_status")
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_notifications_authority_id_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["certificate_request_id"],
            ["certificate_requests.id"],
            name=op.f("fk_notifications_certificate_request_id_certificate_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "certificate_request_id", name=op.f("uq_notifications_certificate_request_id")
        ),
    )
    op.create_index(
        "ix_notifications_due",
        "notifications",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'RETRYING'"),
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_table("notifications")
    op.drop_column("authorities", "callback_secret")
    op.drop_column("authorities", "callback_url")
    op.drop_column("certificates", "stay_summary")
    op.drop_column("certificate_requests", "include_stay_summary")
    op.drop_index("ix_certificate_requests_authority_created", table_name="certificate_requests")
    op.drop_column("certificate_requests", "oficio_signature")
