"""Certificate numbers reserved in a short transaction; leases on pending requests.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28

- ``certificate_reservations``: the number, verification code and date taken for a
  request before its PDF is rendered and signed. The year's counter is locked only while
  it is taken; a request whose issuer died in between is finished by the pending worker
  with the same number. Append-only.
- ``certificate_requests.claimed_until``: who is issuing a PENDING request (the POST
  that received it, or a worker) until when; the worker claims only expired leases.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.grants import app_role, grant_statements

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REQUEST_COLUMNS = ("status", "errors", "attempts", "last_error", "updated_at", "claimed_until")


def upgrade() -> None:
    op.add_column(
        "certificate_requests",
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "certificate_reservations",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("verification_code", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["certificate_requests.id"],
            name=op.f("fk_certificate_reservations_request_id_certificate_requests"),
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_certificate_reservations")),
        sa.UniqueConstraint("number", name=op.f("uq_certificate_reservations_number")),
        sa.UniqueConstraint(
            "verification_code", name=op.f("uq_certificate_reservations_verification_code")
        ),
        sa.UniqueConstraint("year", "sequence", name="uq_certificate_reservations_year_sequence"),
    )
    role = app_role()
    for statement in grant_statements(
        role,
        append_only=("certificate_reservations",),
        updatable_columns={"certificate_requests": REQUEST_COLUMNS},
    ):
        op.execute(statement)


def downgrade() -> None:
    role = app_role()
    op.execute(f'REVOKE UPDATE ("claimed_until") ON "certificate_requests" FROM "{role}"')
    op.drop_table("certificate_reservations")
    op.drop_column("certificate_requests", "claimed_until")
