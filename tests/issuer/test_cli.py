"""The ``issuer`` command against the test database."""

from __future__ import annotations

import uuid
from functools import partial
from pathlib import Path
from typing import Any

import anyio
from typer.testing import CliRunner

from services.issuer.cli import app
from shared.devdb import ServiceDatabase
from tests.issuer.conftest import IssuerFactory
from tests.issuer.helpers import certificate_request


async def _issuer_cli(database_url: str, *args: str, **env: str) -> Any:
    runner = CliRunner()
    env = {"ISSUER_DATABASE_URL": database_url, **env}
    invoke = partial(runner.invoke, app, list(args), env=env)
    # The CLI runs its own event loop (asyncio.run): keep it off this one.
    result = await anyio.to_thread.run_sync(invoke)
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()


async def test_authorities_and_tokens(issuer_db_url: str, issuer_factory: IssuerFactory) -> None:
    name = f"Unidad Judicial de Pruebas {uuid.uuid4().hex[:6]}"
    created = await _issuer_cli(
        issuer_db_url, "authorities", "create", "--name", name, "--kind", "JUDICIAL_UNIT"
    )
    token = created[-1]
    assert token.startswith("iss_")
    admin = (await _issuer_cli(issuer_db_url, "staff", "create", "--name", "Control"))[-1]
    assert admin.startswith("iss_") and admin != token

    authority = {"Authorization": f"Bearer {token}"}
    async with issuer_factory(committing=True) as (_, issuer):
        unknown = f"/v1/certificate-requests/{uuid.uuid4()}"
        assert (await issuer.get(unknown, headers=authority)).status_code == 404
        revocation = await issuer.post(
            f"/v1/certificates/{uuid.uuid4()}/revocation",
            json={"reason": "prueba"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert revocation.status_code == 404

        await _issuer_cli(issuer_db_url, "authorities", "deactivate", "--name", name)
        response = await issuer.post(
            "/v1/certificate-requests", json=certificate_request(), headers=authority
        )
        assert response.status_code == 422
        assert [e["code"] for e in response.json()["errors"]] == ["AUTHORITY_INACTIVE"]


async def test_refuses_bad_input(issuer_db_url: str) -> None:
    runner = CliRunner()
    env = {"ISSUER_DATABASE_URL": issuer_db_url}
    for args in (
        ["authorities", "create", "--name", "X", "--kind", "EMBASSY"],
        ["authorities", "create", "--name", "X", "--kind", "COMPTROLLER", "--oficio-pattern", "("],
        ["authorities", "create", "--name", "X", "--kind", "COMPTROLLER", "--scopes", "root"],
        ["tokens", "create", "--authority", "Nadie", "--scopes", "certificates:request"],
        # An authority's token can never carry admin: staff tokens are another kind.
        ["authorities", "create", "--name", "X", "--kind", "COMPTROLLER", "--scopes", "admin"],
        ["authorities", "deactivate", "--name", "Nadie"],
    ):
        result = await anyio.to_thread.run_sync(partial(runner.invoke, app, args, env=env))
        assert result.exit_code == 2, (args, result.output)


async def test_migrate_and_keys_init(issuer_database: ServiceDatabase, tmp_path: Path) -> None:
    # Migrations run as the owner; the service's own URL could not (it owns nothing).
    owner = {
        "ISSUER_DATABASE_OWNER_URL": issuer_database.owner_url,
        "ISSUER_DATABASE_APP_ROLE": issuer_database.app_role,
    }
    migrated = await _issuer_cli(issuer_database.app_url, "migrate", **owner)
    assert migrated[-1] == "issuer database is up to date"
    issuer_db_url = issuer_database.app_url
    output = await _issuer_cli(issuer_db_url, "keys", "init", "--directory", str(tmp_path))
    assert any(str(tmp_path / "signer.p12") in line for line in output)
    assert (tmp_path / "ca.pem").exists()
