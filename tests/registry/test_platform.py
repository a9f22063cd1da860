"""Conventions every endpoint shares: health, request ids, size limits, errors, docs."""

from __future__ import annotations

import subprocess
import sys

from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared import migrate
from shared.db import SessionDep
from shared.web import telemetry
from tests.conftest import Tokens
from tests.support.factories import movement
from tests.support.postgres import scratch_database


async def test_livez_and_readyz_need_no_token(registry: AsyncClient) -> None:
    assert (await registry.get("/livez")).json() == {"status": "ok"}
    ready = await registry.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


async def test_readyz_reports_an_unreachable_database() -> None:
    settings = RegistrySettings(database_url="postgresql://nobody@127.0.0.1:1/none")
    app = create_app(settings)
    from shared.db import make_engine

    app.state.engine = make_engine(settings.database_url, application_name="t")
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/livez")).status_code == 200
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_request_id_is_echoed_or_generated(registry: AsyncClient) -> None:
    echoed = await registry.get("/livez", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await registry.get("/livez")
    assert len(generated.headers["x-request-id"]) == 32
    hostile = await registry.get("/livez", headers={"X-Request-ID": "a b\tc<script>"})
    assert hostile.headers["x-request-id"] != "a b\tc<script>"


async def test_bodies_over_the_limit_are_413(registry: AsyncClient, tokens: Tokens) -> None:
    huge = movement(observations="x" * 5_000_000)
    response = await registry.post("/v1/movements", json=huge, headers=tokens.terminal)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 413
    assert response.headers["x-request-id"]


async def test_malformed_json_is_a_problem_not_a_500(registry: AsyncClient, tokens: Tokens) -> None:
    response = await registry.post(
        "/v1/movements",
        content=b'{"movement_id": ',
        headers={**tokens.terminal, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "JSON_INVALID"


async def test_unexpected_errors_are_problems_without_a_trace(registry_settings) -> None:
    app = create_app(registry_settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


def test_fastapi_opentelemetry_is_off_unless_asked_for() -> None:
    """Off, FastAPI skips its per-request lookup of OpenTelemetry's global providers."""
    url = "postgresql://nobody@127.0.0.1:1/none"
    off = telemetry(RegistrySettings(database_url=url))
    assert off == {"tracing": False, "metrics": False, "logs": False}
    assert telemetry(RegistrySettings(database_url=url, opentelemetry=True)) == {}


async def test_openapi_and_docs_are_served(registry: AsyncClient) -> None:
    spec = (await registry.get("/openapi.json")).json()
    assert {"/v1/movements", "/v1/movements/batch", "/v1/history/search", "/v1/control-points",
            "/v1/persons/{person_id}", "/v1/movements/{movement_id}/annulment"} <= set(spec["paths"])  # fmt: skip
    assert "MovementIn" in spec["components"]["schemas"]
    assert (await registry.get("/docs")).status_code == 200


async def test_metrics_count_movements(registry: AsyncClient, tokens: Tokens) -> None:
    await registry.post(
        "/v1/movements", json=movement(control_point="LAND-RUMICHACA"), headers=tokens.terminal
    )
    metrics = (await registry.get("/metrics")).text
    assert (
        'registry_movements_total{control_point="LAND-RUMICHACA",direction="ENTRY",outcome="created"}'
        in metrics
    )


async def test_metrics_time_requests_by_route_template(
    registry: AsyncClient, tokens: Tokens
) -> None:
    created = await registry.post("/v1/movements", json=movement(), headers=tokens.terminal)
    movement_id = created.json()["movement_id"]
    await registry.get(f"/v1/movements/{movement_id}", headers=tokens.terminal)
    await registry.get("/no/such/path/12345")
    await registry.get("/livez")
    metrics = (await registry.get("/metrics")).text
    assert 'http_requests_total{handler="/v1/movements",method="POST",status="201"}' in metrics
    # The template, never the id: a label per movement would grow without bound.
    assert 'handler="/v1/movements/{movement_id}",method="GET",status="200"' in metrics
    assert movement_id not in metrics
    assert 'http_requests_total{handler="none",method="GET",status="404"}' in metrics
    assert "http_request_duration_seconds_bucket{" in metrics
    assert 'handler="/livez"' not in metrics  # probes are not measured


async def test_control_points_are_seeded_with_ecuadors_official_points(
    registry: AsyncClient, tokens: Tokens
) -> None:
    response = await registry.get("/v1/control-points", headers=tokens.terminal)
    items = {i["code"]: i for i in response.json()["items"]}
    assert items["AIR-UIO"]["kind"] == "AIRPORT" and items["AIR-UIO"]["province"] == "Pichincha"
    assert items["LAND-RUMICHACA"]["province"] == "Carchi"
    assert items["LAND-HUAQUILLAS"]["kind"] == "LAND_BORDER"
    assert {"AIRPORT", "SEAPORT", "LAND_BORDER"} == {i["kind"] for i in items.values()}
    assert (await registry.get("/v1/control-points")).status_code == 401


def test_migrations_downgrade_and_upgrade_cleanly(pg_server: str) -> None:
    with scratch_database(pg_server, "registry_migrations") as url:
        migrate.upgrade("registry", url)
        migrate.downgrade("registry", url, "base")
        migrate.upgrade("registry", url)


def test_models_and_migrations_agree(registry_owner_url: str) -> None:
    from alembic import command
    from alembic.util.exc import AutogenerateDiffsDetected

    try:
        command.check(migrate.alembic_config("registry", registry_owner_url))
    except AutogenerateDiffsDetected as exc:  # pragma: no cover - the failure message is the point
        raise AssertionError(f"models and migrations differ: {exc}") from None


def test_cli_creates_a_client_and_prints_the_token_last(registry_db_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.registry.cli", "clients", "create",
         "--name", "Terminal Huaquillas 2", "--scopes", "movements:write"],
        env={"REGISTRY_DATABASE_URL": registry_db_url, "PATH": ""},
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("reg_") and len(token) > 40
    bad = subprocess.run(
        [sys.executable, "-m", "services.registry.cli", "clients", "create",
         "--name", "x", "--scopes", "movements:delete"],
        env={"REGISTRY_DATABASE_URL": registry_db_url, "PATH": ""},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode != 0 and "unknown scopes" in bad.stderr


async def test_pgbouncer_mode_leaves_no_prepared_statements_behind(registry_db_url: str) -> None:
    """Behind PgBouncer (transaction mode) a statement prepared on one server connection
    is gone on the next: the engine must not rely on a statement cache."""
    from shared.db import make_engine

    engine = make_engine(registry_db_url, application_name="t", pgbouncer=True)
    try:
        async with engine.connect() as conn:
            for _ in range(3):
                assert await conn.scalar(text("SELECT CAST(:v AS int) + 1"), {"v": 1}) == 2
            names = (await conn.scalars(text("SELECT name FROM pg_prepared_statements"))).all()
    finally:
        await engine.dispose()
    # Only the statement reading the view itself is alive, under a unique throwaway name.
    assert len(names) <= 1
    assert all(n.startswith("__asyncpg_") and len(n) > 40 for n in names)


async def test_the_commit_happens_before_the_response(registry_settings, registry_engine) -> None:
    """A terminal deletes its offline copy on 201: a commit that fails must not be a 201."""
    app = create_app(registry_settings)
    app.state.engine = registry_engine
    app.state.sessionmaker = async_sessionmaker(registry_engine, expire_on_commit=False)
    app.add_api_route("/commit-fails", _violates_a_deferred_constraint, methods=["POST"])
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/commit-fails")
    assert response.status_code == 500


async def _violates_a_deferred_constraint(session: SessionDep) -> dict[str, str]:
    # A deferred foreign key is only checked at COMMIT, after the endpoint returned.
    await session.execute(text("CREATE TEMP TABLE parent (id int PRIMARY KEY)"))
    await session.execute(
        text("CREATE TEMP TABLE child (p int REFERENCES parent DEFERRABLE INITIALLY DEFERRED)")
    )
    await session.execute(text("INSERT INTO child VALUES (1)"))
    return {"status": "stored"}
