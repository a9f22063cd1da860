"""Issued certificates are permanent; settled requests are final.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

A certificate is evidence handed to a court: the database itself refuses to
delete one or to change anything but its one-time revocation. A request that
was issued or rejected is final too, so no code path can issue it twice or
rewrite why it was rejected.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CERTIFICATE_GUARD = """
CREATE FUNCTION certificates_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION '% on certificates is not allowed: certificates are permanent', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'certificate % is already revoked', OLD.number
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (to_jsonb(NEW) - 'revoked_at' - 'revocation_reason' - 'revoked_by')
       IS DISTINCT FROM (to_jsonb(OLD) - 'revoked_at' - 'revocation_reason' - 'revoked_by') THEN
        RAISE EXCEPTION 'only the revocation of a certificate may be recorded'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
"""

REQUEST_GUARD = """
CREATE FUNCTION certificate_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION '% on certificate_requests is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.status <> 'PENDING' THEN
        RAISE EXCEPTION 'certificate request % is % and final', OLD.id, OLD.status
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
"""


def upgrade() -> None:
    op.execute(CERTIFICATE_GUARD)
    op.execute(REQUEST_GUARD)
    for table in ("certificates", "certificate_requests"):
        op.execute(
            f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_guard()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_guard()"
        )


def downgrade() -> None:
    for table in ("certificates", "certificate_requests"):
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER {table}_guard ON {table}")
        op.execute(f"DROP FUNCTION {table}_guard()")
