"""Both apps for schemathesis, in-process (ASGI) on real PostgreSQL, with real tokens.

The apps run their own lifespans (engine, pools, key material) on schemathesis's event
loop thread; the issuer reads the REAL registry app through an in-process transport, so
valid certificate requests reach 201. Tokens come from the CLIs' service functions.
Seed data (movements, persons, certificates) gives path parameters that exist, so GETs
reach 200 as well as 404.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
from schemathesis.python import asgi

from services.issuer.app import create_app as create_issuer_app
from services.issuer.authorities.service import create_authority, create_staff_token
from services.issuer.settings import IssuerSettings
from services.issuer.signing import create_development_pki
from services.registry.app import create_app as create_registry_app
from services.registry.clients.service import create_client
from services.registry.settings import RegistrySettings
from shared import migrate
from shared.db import make_engine, make_sessionmaker
from shared.settings import Environment
from tests.fuzz import strategies
from tests.support.factories import a_cedula, at, movement
from tests.support.postgres import scratch_database

REGISTRY_BASE = "http://testserver"


@dataclass
class Seeds:
    """What exists, for path parameters and valid bodies; filled by the fixtures."""

    cedulas: list[str] = field(default_factory=list)
    movement_ids: list[str] = field(default_factory=list)
    person_ids: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)
    certificate_ids: list[str] = field(default_factory=list)
    verification_codes: list[str] = field(default_factory=list)
    pdfs: list[bytes] = field(default_factory=list)


SEEDS = Seeds()


class DeferredApp:
    """An ASGI app whose target a fixture sets. The schemas are loaded when the tests are
    collected (one test per operation), the apps need a database that only fixtures make.
    (``schemathesis.pytest.from_fixture`` would defer the loading instead, but it does not
    run under pytest 9.)"""

    target: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.target is not None, "the *_under_fuzz fixture sets the app"
        await self.target(scope, receive, send)


# "METHOD path status" -> how many generated requests got that answer (docs/reliability.md).
ANSWERS: Counter[str] = Counter()
SUMMARY = Path(".data/fuzz/answers.json")


@pytest.fixture(scope="session", autouse=True)
def _answers_summary() -> Iterator[None]:
    yield
    if ANSWERS:
        SUMMARY.parent.mkdir(parents=True, exist_ok=True)
        SUMMARY.write_text(json.dumps(dict(sorted(ANSWERS.items())), indent=1) + "\n")


REGISTRY_APP = DeferredApp()
ISSUER_APP = DeferredApp()


SEED_CEDULAS = [a_cedula(5_000_000 + i) for i in range(3)]


def load_schema(app: Any, deferred: DeferredApp, examples: dict[tuple[str, str], Any]) -> Any:
    """The app's OpenAPI document as it serves it at /openapi.json, plus one valid
    request body per operation in ``examples`` (schemathesis's examples phase sends it
    first, so every run reaches the 2xx path at least once)."""
    document = app.openapi()
    for (method, path), body in examples.items():
        content = document["paths"][path][method.lower()]["requestBody"]["content"]
        content["application/json"]["example"] = body
    schema = schemathesis.openapi.from_dict(document)
    schema.app = deferred
    return schema


async def _registry_token(url: str) -> str:
    engine = make_engine(url, pool_size=1, application_name="fuzz")
    async with make_sessionmaker(engine)() as session, session.begin():
        scopes = "movements:write,history:read,movements:correct,admin"
        created = await create_client(session, name="Fuzzer", scopes=scopes)
    await engine.dispose()
    return created.token


async def _authority_tokens(url: str) -> tuple[str, str]:
    engine = make_engine(url, pool_size=1, application_name="fuzz")
    async with make_sessionmaker(engine)() as session, session.begin():
        authority = await create_authority(
            session, name="Fiscalía (fuzz)", kind="PROSECUTOR_OFFICE"
        )
        admin = await create_staff_token(session, name="Subsecretaría (fuzz)")
    await engine.dispose()
    return authority.token, admin.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class App:
    app: Any
    headers: dict[str, str]
    admin_headers: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def registry_under_fuzz(pg_server: str) -> Iterator[App]:
    with scratch_database(pg_server, "registry_fuzz") as url:
        migrate.upgrade("registry", url)
        token = asyncio.run(_registry_token(url))
        settings = RegistrySettings(
            database_url=url, environment=Environment.TEST, rate_limit_per_token="off"
        )
        app = create_registry_app(settings)
        REGISTRY_APP.target = app
        with asgi.get_client(REGISTRY_APP) as client:  # the lifespan, on schemathesis's loop
            _seed_registry(client, bearer(token))
        yield App(app, bearer(token))
        asgi.shutdown_lifespans()


def _seed_registry(client: asgi.ASGIClient, headers: dict[str, str]) -> None:
    SEEDS.cedulas[:] = SEED_CEDULAS
    for i, cedula in enumerate(SEEDS.cedulas):
        body = movement(
            occurred_at=at(i * 10),
            traveller={"national_id": cedula, "document_number": f"SEED{i}"},
        )
        answer = client.post("/v1/movements", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        SEEDS.movement_ids.append(body["movement_id"])
        SEEDS.person_ids.append(answer.json()["person_id"])


@pytest.fixture(scope="session")
def issuer_under_fuzz(
    pg_server: str, registry_under_fuzz: App, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    pki = create_development_pki(Path(tmp_path_factory.mktemp("fuzz-keys")))
    registry_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=registry_under_fuzz.app), base_url=REGISTRY_BASE
    )
    with scratch_database(pg_server, "issuer_fuzz") as url:
        migrate.upgrade("issuer", url)
        authority, admin = asyncio.run(_authority_tokens(url))
        settings = IssuerSettings(
            database_url=url,
            environment=Environment.TEST,
            registry_url=REGISTRY_BASE,
            registry_token=registry_under_fuzz.headers["Authorization"].removeprefix("Bearer "),
            signing_p12_path=pki.signer_p12,
            signing_p12_password=pki.passphrase.decode(),
            ca_certificate_path=pki.ca_cert,
            seal_key_path=pki.seal_key,
            pending_poll_seconds=0.5,
            # The fuzzer is one token sending hundreds of requests a second: limits would
            # turn most of its cases into 429s (tested in tests/issuer/test_abuse.py).
            rate_limit_per_token="off",
            rate_limit_public="off",
        )
        app = create_issuer_app(settings, registry_http=registry_http)
        ISSUER_APP.target = app
        with asgi.get_client(ISSUER_APP) as client:
            _seed_issuer(client, bearer(authority))
        yield App(app, bearer(authority), bearer(admin))
        asgi.shutdown_lifespans()


def _seed_issuer(client: asgi.ASGIClient, headers: dict[str, str]) -> None:
    for n in range(2):
        body = strategies.certificate_request(n + 1, SEEDS.cedulas[n], prefix="SEED")
        answer = client.post("/v1/certificate-requests", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        certificate = answer.json()["certificate"]
        SEEDS.request_ids.append(answer.json()["request_id"])
        SEEDS.certificate_ids.append(certificate["certificate_id"])
        SEEDS.verification_codes.append(certificate["verification_code"])
        pdf_path = urlsplit(certificate["pdf_url"]).path
        SEEDS.pdfs.append(client.get(pdf_path, headers=headers).content)
