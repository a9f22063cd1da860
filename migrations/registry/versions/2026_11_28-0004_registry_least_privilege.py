"""The registry connects as a role that owns nothing: least privilege.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Until now the service connected as the owner (or the superuser), so a compromised
service could disable the append-only triggers it relies on. From here the owner
runs migrations only; the service role (``REGISTRY_DATABASE_APP_ROLE``, default
``registry_app``, created NOLOGIN when missing) may read, and append to, the tables
below, and change exactly one column: a person's ``canonical_id`` when
record_movement() proves two persons are one. Nothing else: no UPDATE of history,
no DELETE, no TRUNCATE, no DDL, no trigger control (shared/grants.py).
"""

from collections.abc import Sequence

from alembic import op

from shared.grants import app_role, ensure_role, grant_statements, revoke_statements

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("api_clients", "person_identifiers", "movements", "annulments", "access_log")
READ_ONLY = ("control_points",)
UPDATABLE = {"persons": ("canonical_id",)}


def upgrade() -> None:
    role = app_role()
    op.execute(ensure_role(role))
    for statement in grant_statements(
        role, append_only=APPEND_ONLY, read_only=READ_ONLY, updatable_columns=UPDATABLE
    ):
        op.execute(statement)


def downgrade() -> None:
    for statement in revoke_statements(app_role(), [*APPEND_ONLY, *READ_ONLY, *UPDATABLE]):
        op.execute(statement)
