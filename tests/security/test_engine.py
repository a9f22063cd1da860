"""One engine builder honours every database setting (issue 9, item 2): apps, CLIs and
workers all build theirs with shared.db.engine_from_settings."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import engine_from_settings
from shared.devdb import ServiceDatabase
from shared.settings import DatabaseSettings, database_settings_from_env


async def _connect_params(engine: AsyncEngine) -> tuple[dict[str, Any], dict[str, str]]:
    seen: dict[str, Any] = {}

    @event.listens_for(engine.sync_engine, "do_connect")
    def capture(dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        seen.update(cparams)

    async with engine.connect() as conn:
        shown = {
            name: await conn.scalar(text(f"SHOW {name}"))
            for name in ("statement_timeout", "idle_in_transaction_session_timeout", "role")
        }
        shown["current_user"] = await conn.scalar(text("SELECT current_user"))
    await engine.dispose()
    return seen, shown


async def test_direct_connection_gets_timeouts_cache_and_pool(
    registry_database: ServiceDatabase,
) -> None:
    settings = DatabaseSettings(
        database_url=registry_database.app_url,
        database_pool_size=7,
        database_max_overflow=3,
        database_statement_cache_size=42,
        database_statement_timeout_ms=1500,
        database_idle_in_transaction_timeout_ms=2500,
    )
    engine = engine_from_settings(settings, application_name="engine-test")
    assert (engine.pool.size(), engine.pool._max_overflow) == (7, 3)  # type: ignore[attr-defined]
    params, shown = await _connect_params(engine)
    assert params["statement_cache_size"] == 42
    assert params["server_settings"]["application_name"] == "engine-test"
    assert shown["statement_timeout"] == "1500ms"
    assert shown["idle_in_transaction_session_timeout"] == "2500ms"
    assert shown["current_user"] == registry_database.app_role


async def test_pgbouncer_setting_reaches_the_engine_from_the_environment(
    registry_database: ServiceDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the CLIs read (only the database settings) carries PgBouncer mode too."""
    monkeypatch.setenv("REGISTRY_DATABASE_URL", registry_database.app_url)
    monkeypatch.setenv("REGISTRY_DATABASE_PGBOUNCER", "true")
    monkeypatch.setenv("REGISTRY_DATABASE_STATEMENT_TIMEOUT_MS", "1500")
    engine = engine_from_settings(
        database_settings_from_env("REGISTRY_"), application_name="cli", pool_size=1
    )
    params, shown = await _connect_params(engine)
    assert params["statement_cache_size"] == 0
    assert params["prepared_statement_cache_size"] == 0
    assert params["prepared_statement_name_func"]() != params["prepared_statement_name_func"]()
    # PgBouncer refuses startup parameters it does not track: only application_name.
    assert set(params["server_settings"]) == {"application_name"}
    assert shown["statement_timeout"] != "1500ms"


async def test_role_setting_switches_role_after_login(
    registry_database: ServiceDatabase,
) -> None:
    """A login user that is a member of the service role works as that role."""
    settings = DatabaseSettings(
        database_url=registry_database.owner_url, database_role=registry_database.app_role
    )
    _, shown = await _connect_params(engine_from_settings(settings, application_name="t"))
    assert shown["current_user"] == registry_database.app_role


def test_services_build_their_engines_in_one_place() -> None:
    """No other module calls create_async_engine: the settings cannot be bypassed."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2]
    callers = [
        str(path.relative_to(root))
        for folder in ("services", "shared")
        for path in (root / folder).rglob("*.py")
        if "create_async_engine(" in path.read_text()
    ]
    assert callers == ["shared/db.py"] or sorted(callers) == ["shared/db.py", "shared/migrate.py"]


def test_service_urls_keep_host_socket_and_database() -> None:
    from shared.devdb import with_user

    socket_url = "postgresql://postgres@/registry?host=%2Ftmp%2Fpg"
    assert (
        with_user(socket_url, "registry_app")
        == "postgresql://registry_app@/registry?host=%2Ftmp%2Fpg"
    )
    tcp = with_user("postgresql://postgres:x@127.0.0.1:5432/issuer", "issuer_app", "p@ss")
    assert tcp == "postgresql://issuer_app:p%40ss@127.0.0.1:5432/issuer"
