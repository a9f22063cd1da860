"""The services' own database roles cannot rewrite history (issue 9, item 1).

Connecting with the service's credentials, every way of changing or hiding a row of
an append-only table is refused by PostgreSQL itself: no UPDATE, DELETE or TRUNCATE
privilege, no ownership (so no ALTER, no trigger control), no superuser (so no
``session_replication_role``). The owner, who can do all that, is still stopped by
the append-only triggers unless it disables them on purpose.
"""

from __future__ import annotations

import asyncpg
import pytest

from shared.devdb import ServiceDatabase

REGISTRY_APPEND_ONLY = ("movements", "annulments", "access_log", "person_identifiers")
ISSUER_PERMANENT = ("certificates", "certificate_requests", "authority_tokens", "staff_tokens")


def _attempts(table: str) -> list[str]:
    return [
        f"UPDATE {table} SET {_a_column(table)} = {_a_column(table)}",
        f"DELETE FROM {table}",
        f"TRUNCATE {table} CASCADE",
        f"ALTER TABLE {table} DISABLE TRIGGER ALL",
        f"ALTER TABLE {table} DISABLE TRIGGER USER",
        f"ALTER TABLE {table} ADD COLUMN intruder text",
        f"ALTER TABLE {table} OWNER TO CURRENT_USER",
        f"DROP TABLE {table} CASCADE",
        f"CREATE RULE intruder AS ON INSERT TO {table} DO INSTEAD NOTHING",
        f"COMMENT ON TABLE {table} IS 'intruder'",
    ]


def _a_column(table: str) -> str:
    return {
        "movements": "observations",
        "annulments": "reason",
        "access_log": "reference",
        "person_identifiers": "national_id",
        "certificates": "number",
        "certificate_requests": "oficio_number",
        "authority_tokens": "scopes",
        "staff_tokens": "scopes",
    }[table]


SESSION_ATTEMPTS = [
    "SET session_replication_role = replica",
    "CREATE TABLE intruder (id int)",
    "CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE ROLE intruder",
    "ALTER ROLE CURRENT_USER SUPERUSER",
    "CREATE EXTENSION IF NOT EXISTS dblink",
]


async def _refused(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        with pytest.raises(asyncpg.PostgresError) as raised:
            await conn.execute(statement)
        assert raised.value.sqlstate in {"42501", "0A000"}, (statement, raised.value)
    finally:
        await conn.close()


@pytest.mark.parametrize("table", REGISTRY_APPEND_ONLY)
async def test_registry_role_cannot_touch_history(
    registry_database: ServiceDatabase, table: str
) -> None:
    for statement in _attempts(table):
        await _refused(registry_database.app_url, statement)


@pytest.mark.parametrize("table", ISSUER_PERMANENT)
async def test_issuer_role_cannot_touch_certificates(
    issuer_database: ServiceDatabase, table: str
) -> None:
    for statement in _attempts(table):
        await _refused(issuer_database.app_url, statement)


@pytest.mark.parametrize("statement", SESSION_ATTEMPTS)
async def test_service_roles_cannot_escape(
    registry_database: ServiceDatabase, issuer_database: ServiceDatabase, statement: str
) -> None:
    await _refused(registry_database.app_url, statement)
    await _refused(issuer_database.app_url, statement)


@pytest.mark.parametrize("database", ["registry_database", "issuer_database"])
async def test_service_role_owns_nothing_and_is_not_privileged(
    request: pytest.FixtureRequest, database: str
) -> None:
    target: ServiceDatabase = request.getfixturevalue(database)
    conn = await asyncpg.connect(target.app_url)
    try:
        owned = await conn.fetchval(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        flags = await conn.fetchrow(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication "
            "FROM pg_roles WHERE rolname = current_user"
        )
        may_create = await conn.fetchval("SELECT has_schema_privilege('public', 'CREATE')")
    finally:
        await conn.close()
    assert owned == 0
    assert not any(flags.values())
    assert not may_create


async def test_issuer_role_may_revoke_but_not_rewrite_a_certificate(
    issuer_database: ServiceDatabase,
) -> None:
    """Column grants: the revocation columns are writable, nothing else of the row."""
    conn = await asyncpg.connect(issuer_database.app_url)
    try:
        privileges = {
            column: await conn.fetchval(
                "SELECT has_column_privilege('certificates', $1, 'UPDATE')", column
            )
            for column in ("revoked_at", "revocation_reason", "revoked_by", "pdf", "sha256")
        }
    finally:
        await conn.close()
    assert privileges == {
        "revoked_at": True,
        "revocation_reason": True,
        "revoked_by": True,
        "pdf": False,
        "sha256": False,
    }


async def test_the_owner_is_still_stopped_by_the_triggers(
    registry_database: ServiceDatabase,
) -> None:
    conn = await asyncpg.connect(registry_database.owner_url)
    try:
        async with conn.transaction():
            client = await conn.fetchval(
                "INSERT INTO api_clients (name, token_hash, scopes) "
                "VALUES ('owner test', md5(random()::text), '{admin}') RETURNING id"
            )
            await conn.execute(
                "INSERT INTO access_log (client_id, action, movement_count) VALUES ($1, 'TEST', 0)",
                client,
            )
            for statement in ("UPDATE access_log SET purpose = 'x'", "DELETE FROM access_log"):
                with pytest.raises(asyncpg.PostgresError, match="append-only"):
                    async with conn.transaction():
                        await conn.execute(statement)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        await conn.close()


class _Rollback(Exception):
    pass
