"""Development keys and demo clients for ``make run``, created once and reused.

Tokens are kept in ``.data/dev-credentials.json`` (development only: production
tokens are shown once by the CLI and never stored in clear). On the next run the
file is reused when both databases still know its tokens.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.authorities.service import (
    create_authority,
    create_staff_token,
    create_token,
)
from services.issuer.models import Authority, AuthorityToken, StaffToken
from services.issuer.signing import (
    create_ca,
    create_development_pki,
    issue_signing_certificate,
    write_pkcs12,
)
from services.registry.clients.service import create_client
from services.registry.models import ApiClient
from shared.auth import hash_token
from shared.db import make_engine, make_sessionmaker

CREDENTIALS = Path(".data/dev-credentials.json")

REGISTRY_CLIENTS = {
    # credentials key: (client name, scopes)
    "terminal": ("Terminal de desarrollo (Rumichaca)", "movements:write"),
    "supervisor": ("Supervisor de desarrollo", "movements:correct"),
    "registry_admin": ("Administración del registro (desarrollo)", "admin"),
    "issuer_registry": ("Emisor de certificados", "history:read"),
}
AUTHORITIES = {
    "authority": ("Fiscalía Provincial de Pichincha", "PROSECUTOR_OFFICE", "certificates:request"),
    "second_authority": ("Unidad Judicial Penal de Quito", "JUDICIAL_UNIT", "certificates:request"),
}
# Staff tokens (admin) are their own kind: no authority can hold one.
ISSUER_STAFF = {"issuer_admin": "Subsecretaría de Migración — administración"}


@dataclass(frozen=True)
class Credentials:
    public: dict[str, Any]

    @property
    def issuer_registry_token(self) -> str:
        return str(self.public["tokens"]["issuer_registry"])


def ensure_credentials(
    *, registry_url: str, issuer_url: str, keys_dir: Path, registry_base: str, issuer_base: str
) -> Credentials:
    pki = create_development_pki(keys_dir)
    oficio_ca = _demo_oficio_signer(keys_dir)
    tokens = _reuse(registry_url, issuer_url) or asyncio.run(_create(registry_url, issuer_url))
    return Credentials(
        {
            "registry_url": registry_base,
            "issuer_url": issuer_base,
            "ca_certificate": str(pki.ca_cert.resolve()),
            "tokens": tokens,
            # A stand-in for FirmaEC: the demo signs oficios with it; the issuer trusts it
            # in development (ISSUER_OFICIO_TRUST_ROOTS_PATH).
            "demo_oficio_ca": str(oficio_ca["ca"].resolve()),
            "demo_oficio_signer_p12": str(oficio_ca["p12"].resolve()),
        }
    )


def _demo_oficio_signer(keys_dir: Path) -> dict[str, Path]:
    from cryptography.hazmat.primitives.serialization import Encoding

    ca_path, p12_path = keys_dir / "oficios-ca.pem", keys_dir / "oficio-signer.p12"
    if not (ca_path.exists() and p12_path.exists()):
        ca_cert, ca_key = create_ca("Entidad de Certificación de Prueba (DESARROLLO)")
        cert, key = issue_signing_certificate(ca_cert, ca_key, "Dra. Ana Torres (Fiscal)")
        write_pkcs12(p12_path, key, cert, [ca_cert], b"development")
        ca_path.write_bytes(ca_cert.public_bytes(Encoding.PEM))
    return {"ca": ca_path, "p12": p12_path}


def _reuse(registry_url: str, issuer_url: str) -> dict[str, str] | None:
    if not CREDENTIALS.exists():
        return None
    try:
        tokens = dict(json.loads(CREDENTIALS.read_text())["tokens"])
    except (ValueError, KeyError, TypeError):
        return None
    if set(tokens) != set(REGISTRY_CLIENTS) | set(AUTHORITIES) | set(ISSUER_STAFF):
        return None
    known = asyncio.run(_known(registry_url, issuer_url, tokens))
    return tokens if known else None


async def _known(registry_url: str, issuer_url: str, tokens: dict[str, str]) -> bool:
    registry = make_engine(registry_url, pool_size=1, application_name="devstack")
    issuer = make_engine(issuer_url, pool_size=1, application_name="devstack")
    try:
        async with make_sessionmaker(registry)() as session:
            hashes = [hash_token(tokens[k]) for k in REGISTRY_CLIENTS]
            found = await session.scalars(
                select(ApiClient.id).where(ApiClient.token_hash.in_(hashes))
            )
            if len(found.all()) != len(hashes):
                return False
        async with make_sessionmaker(issuer)() as session:
            hashes = [hash_token(tokens[k]) for k in AUTHORITIES]
            found = await session.scalars(
                select(AuthorityToken.id).where(
                    AuthorityToken.token_hash.in_(hashes), AuthorityToken.active
                )
            )
            staff_hashes = [hash_token(tokens[k]) for k in ISSUER_STAFF]
            staff = await session.scalars(
                select(StaffToken.id).where(StaffToken.token_hash.in_(staff_hashes))
            )
            return len(found.all()) == len(hashes) and len(staff.all()) == len(staff_hashes)
    finally:
        await registry.dispose()
        await issuer.dispose()


async def _create(registry_url: str, issuer_url: str) -> dict[str, str]:
    tokens: dict[str, str] = {}
    registry = make_engine(registry_url, pool_size=1, application_name="devstack")
    issuer = make_engine(issuer_url, pool_size=1, application_name="devstack")
    try:
        async with make_sessionmaker(registry)() as session, session.begin():
            for key, (name, scopes) in REGISTRY_CLIENTS.items():
                tokens[key] = (await create_client(session, name=name, scopes=scopes)).token
        async with make_sessionmaker(issuer)() as session, session.begin():
            for key, (name, kind, scopes) in AUTHORITIES.items():
                tokens[key] = await _authority_token(session, name, kind, scopes)
            for key, name in ISSUER_STAFF.items():
                tokens[key] = (await create_staff_token(session, name=name)).token
    finally:
        await registry.dispose()
        await issuer.dispose()
    return tokens


async def _authority_token(session: AsyncSession, name: str, kind: str, scopes: str) -> str:
    """Authorities are unique by name: after a credentials reset, reuse them with a new token."""
    if await session.scalar(select(Authority.id).where(Authority.name == name)) is None:
        return (await create_authority(session, name=name, kind=kind, scopes=scopes)).token
    return (await create_token(session, authority_name=name, scopes=scopes)).token
