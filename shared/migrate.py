"""Run a service's Alembic migrations from code (make run, tests, the CLI)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from shared.settings import asyncpg_url

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(service: str, database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"), ini_section=service)
    config.set_main_option("script_location", str(ROOT / "migrations" / service))
    config.attributes["database_url"] = database_url
    return config


def upgrade(
    service: str, database_url: str, revision: str = "head", *, app_role: str | None = None
) -> None:
    """``database_url`` is the schema owner's; ``app_role`` the role the service connects
    as (default: ``<SERVICE>_DATABASE_APP_ROLE`` or ``<service>_app``, shared/grants.py)."""
    command.upgrade(_with_role(alembic_config(service, database_url), app_role), revision)


def downgrade(
    service: str, database_url: str, revision: str, *, app_role: str | None = None
) -> None:
    command.downgrade(_with_role(alembic_config(service, database_url), app_role), revision)


def _with_role(config: Config, app_role: str | None) -> Config:
    if app_role:
        config.attributes["app_role"] = app_role
    return config


def run_env(metadata: MetaData, url_variable: str) -> None:
    """Body of each ``migrations/<service>/env.py``: online, async, one transaction."""
    import os

    from alembic import context

    # The owner runs migrations: <SERVICE>_DATABASE_OWNER_URL when the service's own URL
    # is a least-privileged role (the usual case outside a laptop).
    url = (
        context.config.attributes.get("database_url")
        or os.environ.get(url_variable.replace("_DATABASE_URL", "_DATABASE_OWNER_URL"))
        or os.environ.get(url_variable)
    )
    if not url:
        raise SystemExit(f"set {url_variable} to the database to migrate")

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            compare_type=True,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(asyncpg_url(url), poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    existing = context.config.attributes.get("connection")
    if existing is not None:
        do_run(existing)
    else:
        asyncio.run(run())
