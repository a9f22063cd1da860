"""``registry`` command: database migrations and API clients.

Without REGISTRY_DATABASE_URL it works on the embedded development database.
"""

from __future__ import annotations

import asyncio

import typer

from services.registry.clients.service import SCOPES, CreatedClient, create_client
from shared import migrate
from shared.db import engine_from_settings, make_sessionmaker
from shared.devdb import ServiceDatabase, service_database_from_env
from shared.settings import database_settings_from_env

app = typer.Typer(help="Movements registry administration.", no_args_is_help=True)
clients = typer.Typer(
    help="API clients (terminals, the issuer, supervisors).", no_args_is_help=True
)
app.add_typer(clients, name="clients")


def database() -> ServiceDatabase:
    return service_database_from_env("REGISTRY_", "registry")


def database_url() -> str:
    return database().app_url


@app.command("migrate")
def migrate_command() -> None:
    """Apply the registry's migrations (alembic upgrade head) as the schema owner
    (REGISTRY_DATABASE_OWNER_URL, else REGISTRY_DATABASE_URL)."""
    target = database()
    migrate.upgrade("registry", target.owner_url, app_role=target.app_role)
    typer.echo("registry database is up to date")


@clients.command("create")
def create_command(
    name: str = typer.Option(..., help="Who the client is, e.g. 'Terminal Rumichaca 3'."),
    scopes: str = typer.Option(..., help=f"Comma-separated: {', '.join(SCOPES)}."),
) -> None:
    """Create a client and print its token (shown once) as the last line."""
    try:
        created = asyncio.run(_create(database_url(), name, scopes))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--scopes") from exc
    typer.echo(f"client {created.client_id} '{created.name}' scopes={','.join(created.scopes)}")
    typer.echo(created.token)


async def _create(url: str, name: str, scopes: str) -> CreatedClient:
    engine = engine_from_settings(
        database_settings_from_env("REGISTRY_"),
        url=url,
        pool_size=1,
        application_name="registry-cli",
    )
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            return await create_client(session, name=name, scopes=scopes)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    app()
