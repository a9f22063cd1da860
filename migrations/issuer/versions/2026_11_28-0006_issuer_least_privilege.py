"""The issuer connects as a role that owns nothing: least privilege.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

The owner runs migrations only; the service role (``ISSUER_DATABASE_APP_ROLE``,
default ``issuer_app``, created NOLOGIN when missing) reads and appends, and may
change only what legitimately changes: a certificate's one-time revocation, a
PENDING request's status and retry bookkeeping (the pending worker), the per-year
counter behind certificate numbers, an authority's reference data (a competent
authority is renamed, deactivated, gets a new oficio number pattern or callback;
certificates keep the name they were issued under), and the callback outbox's delivery
bookkeeping. No DELETE, no TRUNCATE, no DDL, no trigger
control (shared/grants.py).
"""

from collections.abc import Sequence

from alembic import op

from shared.grants import app_role, ensure_role, grant_statements, revoke_statements

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("authority_tokens", "staff_tokens")
UPDATABLE = {
    "certificates": ("revoked_at", "revocation_reason", "revoked_by"),
    # A PENDING request becomes ISSUED, or REJECTED with its errors once the registry
    # answers (SUBJECT_NAME_MISMATCH); the pending worker keeps its retry bookkeeping.
    "certificate_requests": ("status", "errors", "attempts", "last_error", "updated_at"),
    "certificate_counters": ("last_sequence",),
    "authorities": (
        "name", "kind", "active", "oficio_pattern", "callback_url", "callback_secret",
    ),
    "notifications": ("status", "attempts", "next_attempt_at", "last_error", "delivered_at"),
}  # fmt: skip


def upgrade() -> None:
    role = app_role()
    op.execute(ensure_role(role))
    for statement in grant_statements(role, append_only=APPEND_ONLY, updatable_columns=UPDATABLE):
        op.execute(statement)


def downgrade() -> None:
    for statement in revoke_statements(app_role(), [*APPEND_ONLY, *UPDATABLE]):
        op.execute(statement)
