"""``issuer`` command: migrations, development keys, competent authorities and tokens.

Without ISSUER_DATABASE_URL it works on the embedded development database.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.authorities.service import (
    SCOPES,
    CreatedToken,
    UnknownAuthority,
    create_authority,
    create_staff_token,
    create_token,
    deactivate_authority,
    set_callback,
)
from services.issuer.models import AUTHORITY_KINDS
from services.issuer.seal.cli import app as seal_app
from services.issuer.settings import DEV_KEYS_DIRECTORY
from services.issuer.signing import create_development_pki
from shared import migrate
from shared.db import engine_from_settings, make_sessionmaker
from shared.devdb import ServiceDatabase, service_database_from_env
from shared.settings import Environment, database_settings_from_env

T = TypeVar("T")
_SCOPES_HELP = f"Comma-separated: {', '.join(SCOPES)}."

app = typer.Typer(help="Certificate issuer administration.", no_args_is_help=True)
keys = typer.Typer(help="Signing keys.", no_args_is_help=True)
authorities = typer.Typer(help="Competent authorities.", no_args_is_help=True)
tokens = typer.Typer(help="Extra tokens for an authority.")
staff = typer.Typer(help="Tokens of the Subsecretaría's own staff (scope admin).")
app.add_typer(keys, name="keys")
app.add_typer(authorities, name="authorities")
app.add_typer(tokens, name="tokens", no_args_is_help=True)
app.add_typer(staff, name="staff", no_args_is_help=True)
app.add_typer(seal_app, name="seal")


def database() -> ServiceDatabase:
    return service_database_from_env("ISSUER_", "issuer")


def database_url() -> str:
    return database().app_url


@app.command("migrate")
def migrate_command() -> None:
    """Apply the issuer's migrations (alembic upgrade head) as the schema owner
    (ISSUER_DATABASE_OWNER_URL, else ISSUER_DATABASE_URL)."""
    target = database()
    migrate.upgrade("issuer", target.owner_url, app_role=target.app_role)
    typer.echo("issuer database is up to date")


@keys.command("init")
def keys_init(
    directory: Path = typer.Option(DEV_KEYS_DIRECTORY, help="Where to write the keys."),
) -> None:
    """Create a DEVELOPMENT CA and signing identity (kept if they already exist)."""
    pki = create_development_pki(directory)
    typer.echo(f"ca certificate: {pki.ca_cert}")
    typer.echo(f"ca key: {pki.ca_key}")
    typer.echo(f"signing identity (PKCS#12, passphrase 'development'): {pki.signer_p12}")


@authorities.command("create")
def authorities_create(
    name: str = typer.Option(..., help="e.g. 'Fiscalía Provincial de Pichincha'."),
    kind: str = typer.Option(..., help=f"One of {', '.join(AUTHORITY_KINDS)}."),
    oficio_pattern: str | None = typer.Option(
        None, help="Regex the whole oficio number must match (default: Quipux form)."
    ),
    scopes: str = typer.Option("certificates:request", help=_SCOPES_HELP),
    callback_url: str | None = typer.Option(
        None, help="Where to POST when a PENDING request is settled (https://)."
    ),
) -> None:
    """Register an authority and print its first token (shown once) as the last line."""
    try:
        created = _in_transaction(
            lambda session: create_authority(
                session,
                name=name,
                kind=kind,
                oficio_pattern=oficio_pattern,
                scopes=scopes,
                callback_url=callback_url,
                production=_production(),
            )
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if created.callback_secret:
        _print_secret(created.callback_secret)
    _print_token(created)


@authorities.command("set-callback")
def authorities_set_callback(
    name: str = typer.Option(..., help="The authority's name."),
    url: str | None = typer.Option(None, help="The callback URL; omit with --clear."),
    clear: bool = typer.Option(False, "--clear", help="Stop sending callbacks."),
) -> None:
    """Set an authority's callback URL with a new signing secret (printed once, last line)."""
    if bool(url) == clear:
        raise typer.BadParameter("give either --url or --clear")
    try:
        result = _in_transaction(
            lambda session: set_callback(session, name=name, url=url, production=_production())
        )
    except UnknownAuthority as exc:
        raise typer.BadParameter(str(exc), param_hint="--name") from exc
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--url") from exc
    if result.secret is None:
        typer.echo(f"authority {result.authority_id} '{name}': callbacks off")
        return
    typer.echo(f"authority {result.authority_id} '{name}': callbacks to {result.callback_url}")
    _print_secret(result.secret)


@authorities.command("deactivate")
def authorities_deactivate(name: str = typer.Option(...)) -> None:
    """Stop an authority's new requests (they are rejected with AUTHORITY_INACTIVE)."""
    try:
        authority_id = _in_transaction(lambda session: deactivate_authority(session, name=name))
    except UnknownAuthority as exc:
        raise typer.BadParameter(str(exc), param_hint="--name") from exc
    typer.echo(f"authority {authority_id} '{name}' deactivated")


@tokens.command("create")
def tokens_create(
    authority: str = typer.Option(..., help="The authority's name."),
    scopes: str = typer.Option(..., help=_SCOPES_HELP),
) -> None:
    """Create another token for an authority; prints it as the last line."""
    try:
        created = _in_transaction(
            lambda session: create_token(session, authority_name=authority, scopes=scopes)
        )
    except (ValueError, UnknownAuthority) as exc:
        raise typer.BadParameter(str(exc)) from exc
    _print_token(created)


@staff.command("create")
def staff_create(
    name: str = typer.Option(..., help="Who holds it, e.g. 'Dirección de Control'."),
) -> None:
    """Create a staff token (scope admin: revoke certificates); prints it as the last line."""
    created = _in_transaction(lambda session: create_staff_token(session, name=name))
    typer.echo(f"staff token {created.token_id} '{created.name}' scopes=admin")
    typer.echo(created.token)


def _print_secret(secret: str) -> None:
    typer.echo("callback signing secret (Standard Webhooks; shown once, keep it):")
    typer.echo(secret)


def _production() -> bool:
    """Only https:// callbacks in production; read like the database URL, nothing else."""
    return os.environ.get("ISSUER_ENVIRONMENT", "").lower() == Environment.PRODUCTION


def _print_token(created: CreatedToken) -> None:
    typer.echo(
        f"authority {created.authority_id} '{created.authority_name}' "
        f"token {created.token_id} scopes={','.join(created.scopes)}"
    )
    typer.echo(created.token)


def _in_transaction(operation: Callable[[AsyncSession], Awaitable[T]]) -> T:
    url = database_url()  # before the loop: the embedded server is started synchronously

    async def run() -> T:
        engine = engine_from_settings(
            database_settings_from_env("ISSUER_"),
            url=url,
            pool_size=1,
            application_name="issuer-cli",
        )
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await operation(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


if __name__ == "__main__":
    app()
