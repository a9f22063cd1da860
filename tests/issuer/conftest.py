"""Issuer fixtures: its own scratch database, a development PKI, a test CA for the
authorities' signed oficios, and the issuer app talking to the REAL registry app
in-process (``registry_committing``, with a ``history:read`` token).

As for the registry, each test runs in an outer transaction of the issuer database
that is rolled back; ``*_committing`` fixtures use a real pool (concurrency, workers)
and unique data instead.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from services.issuer.app import attach_runtime, create_app
from services.issuer.key_material import KeyMaterial, load_key_material
from services.issuer.settings import IssuerSettings
from services.issuer.signing import (
    DevelopmentPki,
    SigningIdentity,
    create_ca,
    create_development_pki,
    issue_signing_certificate,
    load_signer,
    write_pkcs12,
)
from shared.db import make_engine
from shared.devdb import ServiceDatabase
from shared.settings import Environment
from tests.conftest import Tokens
from tests.issuer.helpers import AuthorityCredentials, make_authority, make_staff
from tests.support.postgres import service_database

ISSUER_URL = "https://certificados.test"


@pytest.fixture(scope="session")
def issuer_database(pg_server: str) -> Iterator[ServiceDatabase]:
    with service_database(pg_server, "issuer") as database:
        yield database


@pytest.fixture(scope="session")
def issuer_db_url(issuer_database: ServiceDatabase) -> str:
    """What the issuer connects as: its own role, which owns nothing."""
    return issuer_database.app_url


@pytest.fixture(scope="session")
def dev_pki(tmp_path_factory: pytest.TempPathFactory) -> DevelopmentPki:
    return create_development_pki(tmp_path_factory.mktemp("issuer-keys"))


@dataclass(frozen=True)
class AuthorityPki:
    """A CA standing in for Ecuador's (trusted), its judge, and a rogue CA's signer."""

    ca: x509.Certificate
    trust_bundle: Path
    judge: SigningIdentity
    rogue: SigningIdentity


def _signer(directory: Path, ca: tuple[Any, Any], name: str) -> SigningIdentity:
    cert, key = issue_signing_certificate(ca[0], ca[1], name)
    write_pkcs12(directory / "signer.p12", key, cert, [ca[0]], b"secret")
    return load_signer(directory / "signer.p12", b"secret")


@pytest.fixture(scope="session")
def authority_pki(tmp_path_factory: pytest.TempPathFactory) -> AuthorityPki:
    ca = create_ca("CA de Pruebas de la Judicatura", organization="Judicatura (PRUEBAS)")
    rogue_ca = create_ca("CA Desconocida", organization="Nadie")
    bundle = tmp_path_factory.mktemp("oficio-trust") / "trusted.pem"
    bundle.write_bytes(ca[0].public_bytes(Encoding.PEM))
    return AuthorityPki(
        ca=ca[0],
        trust_bundle=bundle,
        judge=_signer(tmp_path_factory.mktemp("judge"), ca, "Dra. Ana Torres (PRUEBAS)"),
        rogue=_signer(tmp_path_factory.mktemp("rogue"), rogue_ca, "Impostor"),
    )


def settings_for(
    database_url: str, pki: DevelopmentPki, authority_pki: AuthorityPki, **overrides: Any
) -> IssuerSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "environment": Environment.TEST,
        "registry_url": "http://registry.test",
        "public_base_url": ISSUER_URL,
        "signing_p12_path": pki.signer_p12,
        "signing_p12_password": pki.passphrase.decode(),
        "ca_certificate_path": pki.ca_cert,
        "seal_key_path": pki.seal_key,
        "oficio_trust_roots_path": authority_pki.trust_bundle,
        "pending_poll_seconds": 0.2,
        **overrides,
    }
    return IssuerSettings(**values)


@pytest.fixture(scope="session")
def key_material(
    issuer_db_url: str, dev_pki: DevelopmentPki, authority_pki: AuthorityPki
) -> KeyMaterial:
    # Loaded once, as the app's lifespan does.
    return load_key_material(settings_for(issuer_db_url, dev_pki, authority_pki))


@pytest.fixture
def reader_token(committed_tokens: Tokens) -> str:
    return committed_tokens.reader["Authorization"].removeprefix("Bearer ")


@pytest.fixture
def issuer_settings(
    issuer_db_url: str, dev_pki: DevelopmentPki, authority_pki: AuthorityPki, reader_token: str
) -> IssuerSettings:
    return settings_for(issuer_db_url, dev_pki, authority_pki, registry_token=reader_token)


@pytest.fixture
async def issuer_engine(issuer_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(issuer_db_url, pool_size=5, application_name="issuer-tests")
    yield engine
    await engine.dispose()


@pytest.fixture
async def issuer_connection(issuer_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with issuer_engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


def savepoint_sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def issuer_session(issuer_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session inside the test's outer transaction (for helpers and asserts)."""
    async with savepoint_sessions(issuer_connection)() as session:
        yield session


IssuerFactory = Callable[..., contextlib.AbstractAsyncContextManager[tuple[FastAPI, AsyncClient]]]


@pytest.fixture
def issuer_factory(
    issuer_settings: IssuerSettings,
    issuer_engine: AsyncEngine,
    issuer_connection: AsyncConnection,
    key_material: KeyMaterial,
    registry_committing: AsyncClient,
) -> IssuerFactory:
    """``async with issuer_factory(**setting_overrides) as (app, client)``.

    ``committing=True`` gives the app a real pool (requests commit, run concurrently);
    ``registry_http=None`` makes a real httpx client for ``registry_url`` (e.g. a closed
    port) instead of the in-process registry; ``keys`` replaces the session's key material.
    """

    @contextlib.asynccontextmanager
    async def factory(
        *,
        committing: bool = False,
        registry_http: Any = registry_committing,
        keys: KeyMaterial = key_material,
        **overrides: Any,
    ) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
        settings = issuer_settings.model_copy(update=overrides)
        async with contextlib.AsyncExitStack() as stack:
            if registry_http is None:
                registry_http = await stack.enter_async_context(httpx.AsyncClient())
            callback_http = await stack.enter_async_context(httpx.AsyncClient())
            app = create_app(settings, registry_http=registry_http)
            sessions = (
                async_sessionmaker(issuer_engine, expire_on_commit=False)
                if committing
                else savepoint_sessions(issuer_connection)
            )
            attach_runtime(
                app,
                engine=issuer_engine,
                sessionmaker=sessions,
                keys=keys,
                registry_http=registry_http,
                callback_http=callback_http,
            )
            client = AsyncClient(transport=ASGITransport(app=app), base_url=ISSUER_URL)
            async with client:
                yield app, client

    return factory


@pytest.fixture
async def issuer_app_and_client(
    issuer_factory: IssuerFactory,
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    async with issuer_factory() as pair:
        yield pair


@pytest.fixture
def issuer_app(issuer_app_and_client: tuple[FastAPI, AsyncClient]) -> FastAPI:
    return issuer_app_and_client[0]


@pytest.fixture
def issuer(issuer_app_and_client: tuple[FastAPI, AsyncClient]) -> AsyncClient:
    """The issuer app, every request's session joined to the test's rolled-back transaction."""
    return issuer_app_and_client[1]


@dataclass(frozen=True)
class Authorities:
    fiscalia: AuthorityCredentials
    juzgado: AuthorityCredentials
    admin: AuthorityCredentials


async def _authorities(session: AsyncSession) -> Authorities:
    authorities = Authorities(
        fiscalia=await make_authority(session),
        juzgado=await make_authority(session, kind="JUDICIAL_UNIT"),
        admin=await make_staff(session),
    )
    await session.commit()
    return authorities


@pytest.fixture
async def authorities(issuer_session: AsyncSession) -> Authorities:
    return await _authorities(issuer_session)


@pytest.fixture
async def committed_authorities(issuer_engine: AsyncEngine) -> Authorities:
    async with async_sessionmaker(issuer_engine, expire_on_commit=False)() as session:
        return await _authorities(session)


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (connection refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
