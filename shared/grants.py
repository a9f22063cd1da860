"""Least privilege, written into the migrations.

Migrations run as the schema owner. Each service connects as a role that owns
nothing and holds only what this module grants: INSERT and SELECT on tables whose
rows are permanent, UPDATE on the few columns that legitimately change once
(a certificate's revocation, a client's deactivation), USAGE on sequences. Without
ownership it cannot ALTER a table, disable a trigger or TRUNCATE; without superuser
it cannot ``SET session_replication_role``. docs/security.md lists every grant.

The role's name is configuration (``<SERVICE>_DATABASE_APP_ROLE``, default
``<service>_app``), because roles are global to a PostgreSQL cluster: parallel test
runs on one server each grant to their own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def checked_role(name: str) -> str:
    """A role name safe to splice into DDL (it cannot be a bound parameter there)."""
    if not _ROLE_NAME.fullmatch(name):
        raise ValueError(f"not a plain role name: {name!r}")
    return name


def default_app_role(service: str) -> str:
    return f"{service}_app"


def app_role() -> str:
    """The service role of the migration being run (inside an Alembic migration)."""
    from alembic import context

    config = context.config
    service = config.config_ini_section
    configured = config.attributes.get("app_role") or os.environ.get(
        f"{service.upper()}_DATABASE_APP_ROLE"
    )
    return checked_role(configured or default_app_role(service))


def ensure_role(role: str) -> str:
    """Create the role NOLOGIN when missing: deployments create it with a password (or
    CloudNativePG does, as a managed role); this only makes a bare database usable."""
    role = checked_role(role)
    # Two migrations may race to create it (parallel test runs on one server).
    return (
        "DO $$ BEGIN "
        f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
        f'CREATE ROLE "{role}" NOLOGIN; '
        "END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; "
        "END $$"
    )


def grant_statements(
    role: str,
    *,
    append_only: Iterable[str] = (),
    read_only: Iterable[str] = (),
    updatable_columns: dict[str, Sequence[str]] | None = None,
) -> list[str]:
    role = checked_role(role)
    statements = [
        # Before PostgreSQL 15 every role could create tables in public.
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        # Tables later migrations create get the append-only pair; UPDATE stays explicit.
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT ON TABLES TO "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO "{role}"',
    ]
    statements += [f'GRANT SELECT, INSERT ON "{t}" TO "{role}"' for t in append_only]
    statements += [f'GRANT SELECT ON "{t}" TO "{role}"' for t in read_only]
    for table, columns in (updatable_columns or {}).items():
        listed = ", ".join(f'"{c}"' for c in columns)
        statements.append(f'GRANT SELECT, INSERT, UPDATE ({listed}) ON "{table}" TO "{role}"')
    return statements


def revoke_statements(role: str, tables: Iterable[str]) -> list[str]:
    role = checked_role(role)
    return [
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM "{role}"',
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM "{role}"',
        f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{role}"',
        *(f'REVOKE ALL ON "{t}" FROM "{role}"' for t in tables),
        f'REVOKE USAGE ON SCHEMA public FROM "{role}"',
    ]
