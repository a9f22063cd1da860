"""``registry`` command: database migrations and API clients.

Without REGISTRY_DATABASE_URL it works on the embedded development database.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import typer

from services.registry.access_log.signing import create_key_file, load_audit_key
from services.registry.access_log.verify import Report, check_head, verify_chain
from services.registry.clients.service import SCOPES, CreatedClient, create_client
from services.registry.settings import RegistrySettings
from shared import migrate
from shared.db import engine_from_settings, make_sessionmaker
from shared.devdb import ServiceDatabase, service_database_from_env
from shared.settings import database_settings_from_env

app = typer.Typer(help="Movements registry administration.", no_args_is_help=True)
clients = typer.Typer(
    help="API clients (terminals, the issuer, supervisors).", no_args_is_help=True
)
app.add_typer(clients, name="clients")
audit = typer.Typer(help="The access log's hash chain and audit key.", no_args_is_help=True)
app.add_typer(audit, name="audit")


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


@audit.command("verify")
def audit_verify(
    head: Path | None = typer.Option(
        None, help="A head saved from GET /v1/audit/head: the chain must still extend it."
    ),
    keys: Path | None = typer.Option(
        None,
        help="JWKS from GET /v1/audit/keys to check the head's signature (default: the "
        "configured audit key's public half).",
    ),
) -> None:
    """Recompute the access log's hash chain; exit 1 naming the first row that breaks it
    (changed, deleted or inserted behind the service's back) or a saved head it no longer
    extends."""
    saved = json.loads(head.read_text()) if head else None
    jwks = _jwks(keys) if head else None
    report, head_problems = asyncio.run(_verify(database_url(), saved, jwks))
    problems = report.problems + head_problems
    typer.echo(f"access log: {report.rows} rows, {report.chained} chained, head {report.hash}")
    if problems:
        typer.echo(f"TAMPERED: {problems[0]}", err=True)
        for problem in problems[1:]:
            typer.echo(f"  also: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo("OK: every row matches its seal and the chain" + (" and the head" if head else ""))


async def _verify(
    url: str, head: dict[str, Any] | None, jwks: dict[str, Any] | None
) -> tuple[Report, list[str]]:
    engine = engine_from_settings(
        database_settings_from_env("REGISTRY_"), url=url, pool_size=1, application_name="audit"
    )
    try:
        async with engine.connect() as conn:
            report = await verify_chain(conn)
            head_problems: list[str] = []
            if head is not None:
                head_problems = await check_head(conn, head, jwks=jwks)
    finally:
        await engine.dispose()
    return report, head_problems


def _jwks(keys_file: Path | None) -> dict[str, Any]:
    if keys_file is not None:
        loaded: dict[str, Any] = json.loads(keys_file.read_text())
        return loaded
    settings = RegistrySettings()
    return load_audit_key(
        settings.audit_key_path,
        settings.audit_retired_keys_path,
        development=not settings.is_production,
    ).jwks()


@audit.command("create-key")
def audit_create_key(path: Path = typer.Argument(..., help="Where to write the PEM.")) -> None:
    """Create an Ed25519 audit key (PEM, PKCS#8, mode 600); never overwrites one."""
    if path.exists():
        typer.echo(f"{path} exists; kept")
    else:
        create_key_file(path)
        typer.echo(f"audit key written to {path}")
    key = load_audit_key(path, None, development=False)
    typer.echo(f"kid {key.kid}")


if __name__ == "__main__":
    app()
