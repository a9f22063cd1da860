"""Certificates keep the requesting authority's name as printed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

/v1/verify showed the authority's current name; after a rename it no longer matched
the signed PDF. Existing rows are backfilled with the name they were issued under
(the current one: no rename happened before this column existed). The permanence
guard is paused for the backfill only, inside this migration's transaction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("certificates", sa.Column("authority_name", sa.Text(), nullable=True))
    op.execute("ALTER TABLE certificates DISABLE TRIGGER certificates_guard")
    op.execute(
        "UPDATE certificates c SET authority_name = a.name"
        " FROM certificate_requests r JOIN authorities a ON a.id = r.authority_id"
        " WHERE r.id = c.request_id"
    )
    op.execute("ALTER TABLE certificates ENABLE TRIGGER certificates_guard")
    op.alter_column("certificates", "authority_name", nullable=False)


def downgrade() -> None:
    op.drop_column("certificates", "authority_name")
