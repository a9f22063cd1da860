"""The issuer connects as a role that owns nothing: least privilege.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

The owner runs migrations only; the service role (``ISSUER_DATABASE_APP_ROLE``,
default ``issuer_app``, created NOLOGIN when missing) reads and appends, and may
change only what legitimately changes: a certificate's one-time revocation, a
PENDING request's status and retry bookkeeping (the pending worker), the per-year
counter behind certificate numbers, and an authority's reference data (a competent
authority is renamed, deactivated, or gets a new oficio number pattern; certificates
keep the name they were issued under). No DELETE, no TRUNCATE, no DDL, no trigger
control (shared/grants.py).
"""

from collections.abc import Sequence

from alembic import op

from shared.grants import app_role, ensure_role, grant_statements, revoke_statements

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("authority_tokens", "staff_tokens")
UPDATABLE = {
    "certificates": ("revoked_at", "revocation_reason", "revoked_by"),
    "certificate_requests": ("status", "attempts", "last_error", "updated_at"),
    "certificate_counters": ("last_sequence",),
    "authorities": ("name", "kind", "active", "oficio_pattern"),
}


def upgrade() -> None:
    role = app_role()
    op.execute(ensure_role(role))
    for statement in grant_statements(role, append_only=APPEND_ONLY, updatable_columns=UPDATABLE):
        op.execute(statement)


def downgrade() -> None:
    for statement in revoke_statements(app_role(), [*APPEND_ONLY, *UPDATABLE]):
        op.execute(statement)
