"""``registry audit verify`` on a database of its own, tampered for good by its owner."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from httpx import ASGITransport, AsyncClient
from typer.testing import CliRunner

from services.registry.access_log.signing import create_key_file
from services.registry.app import create_app
from services.registry.cli import app as cli
from services.registry.clients.service import create_client
from services.registry.settings import RegistrySettings
from shared.db import make_engine, make_sessionmaker
from shared.devdb import ServiceDatabase
from shared.settings import Environment
from tests.support.postgres import run_as_owner, service_database


def _cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


async def _reads_and_head(
    database: ServiceDatabase, key: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Four history reads through the app, then its signed head and published keys."""
    settings = RegistrySettings(
        database_url=database.app_url, environment=Environment.TEST, audit_key_path=key
    )
    engine = make_engine(database.app_url, application_name="t", pool_size=2)
    app = create_app(settings)
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    async with app.state.sessionmaker() as session:
        reader = await create_client(session, name="Lector", scopes="history:read")
        auditor = await create_client(session, name="Auditor", scopes="audit:read")
        await session.commit()
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://r") as registry:
        for n in range(4):
            body = {
                "identity": {"national_id": "1710034065"},
                "purpose": "CERTIFICATE",
                "reference": f"OF-{n}",
            }
            headers = {"Authorization": f"Bearer {reader.token}"}
            assert (
                await registry.post("/v1/history/search", json=body, headers=headers)
            ).is_success
        headers = {"Authorization": f"Bearer {auditor.token}"}
        head = (await registry.get("/v1/audit/head", headers=headers)).json()
        keys = (await registry.get("/v1/audit/keys")).json()
    await engine.dispose()
    return head, keys


def test_verify_names_the_tampered_row_and_checks_a_saved_head(
    pg_server: str, tmp_path: Path
) -> None:
    key = tmp_path / "audit.pem"
    create_key_file(key)
    with service_database(pg_server, "registry") as database:
        head, keys = asyncio.run(_reads_and_head(database, key))
        (tmp_path / "head.json").write_text(json.dumps(head))
        (tmp_path / "keys.json").write_text(json.dumps(keys))
        env = {"REGISTRY_DATABASE_URL": database.app_url, "REGISTRY_AUDIT_KEY_PATH": str(key)}
        saved = ["--head", str(tmp_path / "head.json"), "--keys", str(tmp_path / "keys.json")]

        code, output = _cli(env, "audit", "verify", *saved)
        assert code == 0, output
        assert "4 rows, 4 chained" in output

        # Without --keys the configured key's public half checks the signature.
        code, output = _cli(env, "audit", "verify", "--head", str(tmp_path / "head.json"))
        assert code == 0, output

        victim = head["last_id"] - 2
        asyncio.run(
            run_as_owner(
                database.owner_url,
                "ALTER TABLE access_log DISABLE TRIGGER USER",
                f"UPDATE access_log SET reference = 'OF-otra' WHERE id = {victim}",
                "ALTER TABLE access_log ENABLE TRIGGER USER",
            )
        )
        code, output = _cli(env, "audit", "verify", *saved)
        assert code == 1
        assert f"TAMPERED: row {victim} changed" in output
