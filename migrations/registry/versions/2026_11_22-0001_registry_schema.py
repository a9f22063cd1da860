"""registry schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 10:15:46.949450
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
        "api_clients",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_clients_token_hash")),
    )
    op.create_table(
        "control_points",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("province", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('AIRPORT', 'SEAPORT', 'LAND_BORDER')", name=op.f("ck_control_points_kind")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_control_points")),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("canonical_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["canonical_id"], ["persons.id"], name=op.f("fk_persons_canonical_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    op.create_index("ix_persons_canonical_id", "persons", ["canonical_id"], unique=False)
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("identity", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("movement_count", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["api_clients.id"], name=op.f("fk_access_log_client_id_api_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_client_id_at", "access_log", ["client_id", "at"], unique=False)
    op.create_table(
        "movements",
        sa.Column("movement_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("control_point", sa.Text(), nullable=False),
        sa.Column("document_type", sa.Text(), nullable=False),
        sa.Column("document_number", sa.Text(), nullable=False),
        sa.Column("issuing_country", sa.Text(), nullable=False),
        sa.Column("nationality", sa.Text(), nullable=False),
        sa.Column("national_id", sa.Text(), nullable=True),
        sa.Column("surnames", sa.Text(), nullable=False),
        sa.Column("given_names", sa.Text(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=False),
        sa.Column("transport_mode", sa.Text(), nullable=True),
        sa.Column("transport_carrier", sa.Text(), nullable=True),
        sa.Column("transport_number", sa.Text(), nullable=True),
        sa.Column("origin_country", sa.Text(), nullable=True),
        sa.Column("destination_country", sa.Text(), nullable=True),
        sa.Column("observations", sa.Text(), nullable=True),
        sa.Column("anomalies", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("content_sha256", sa.Text(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.CheckConstraint("direction IN ('ENTRY', 'EXIT')", name=op.f("ck_movements_direction")),
        sa.CheckConstraint(
            "document_type IN ('PASSPORT', 'NATIONAL_ID', 'TRAVEL_DOCUMENT', 'OTHER')",
            name=op.f("ck_movements_document_type"),
        ),
        sa.CheckConstraint("sex IN ('F', 'M', 'X')", name=op.f("ck_movements_sex")),
        sa.CheckConstraint(
            "transport_mode IS NULL OR transport_mode IN ('AIR', 'SEA', 'LAND')",
            name=op.f("ck_movements_transport_mode"),
        ),
        sa.ForeignKeyConstraint(
            ["control_point"],
            ["control_points.code"],
            name=op.f("fk_movements_control_point_control_points"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_movements_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["api_clients.id"], name=op.f("fk_movements_recorded_by_api_clients")
        ),
        sa.PrimaryKeyConstraint("movement_id", name=op.f("pk_movements")),
    )
    op.create_index(
        "ix_movements_person_timeline",
        "movements",
        ["person_id", "occurred_at", "movement_id"],
        unique=False,
    )
    op.create_table(
        "person_identifiers",
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("national_id", sa.Text(), nullable=True),
        sa.Column("document_type", sa.Text(), nullable=True),
        sa.Column("document_number", sa.Text(), nullable=True),
        sa.Column("issuing_country", sa.Text(), nullable=True),
        sa.Column(
            "first_seen_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_identifiers_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("identifier", name=op.f("pk_person_identifiers")),
    )
    op.create_index(
        "ix_person_identifiers_person_id", "person_identifiers", ["person_id"], unique=False
    )
    op.create_table(
        "annulments",
        sa.Column("movement_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("annulled_by", sa.Uuid(), nullable=False),
        sa.Column(
            "annulled_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["annulled_by"], ["api_clients.id"], name=op.f("fk_annulments_annulled_by_api_clients")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["movements.movement_id"],
            name=op.f("fk_annulments_movement_id_movements"),
        ),
        sa.PrimaryKeyConstraint("movement_id", name=op.f("pk_annulments")),
    )


def downgrade() -> None:
    op.drop_table("annulments")
    op.drop_index("ix_person_identifiers_person_id", table_name="person_identifiers")
    op.drop_table("person_identifiers")
    op.drop_index("ix_movements_person_timeline", table_name="movements")
    op.drop_table("movements")
    op.drop_index("ix_access_log_client_id_at", table_name="access_log")
    op.drop_table("access_log")
    op.drop_index("ix_persons_canonical_id", table_name="persons")
    op.drop_table("persons")
    op.drop_table("control_points")
    op.drop_table("api_clients")
