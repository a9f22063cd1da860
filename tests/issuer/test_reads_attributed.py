"""The issuer's reads of the registry are attributed to the authority and the oficio
that caused them (issue 9, item 4): the registry's access report shows both."""

from __future__ import annotations

from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tokens
from tests.issuer.conftest import Authorities
from tests.issuer.helpers import certificate_request, fresh_cedula, seed_history


async def test_registry_logs_the_oficio_and_the_authority(
    issuer: AsyncClient,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
    registry_engine: AsyncEngine,
) -> None:
    cedula = fresh_cedula()
    await seed_history(registry_committing, committed_tokens.terminal, national_id=cedula, count=2)
    body = certificate_request(national_id=cedula)
    response = await issuer.post(
        "/v1/certificate-requests", json=body, headers=authorities.fiscalia.headers
    )
    assert response.status_code == 201, response.text

    async with registry_engine.connect() as conn:
        logged = (
            await conn.execute(
                text(
                    "SELECT purpose, reference, on_behalf_of FROM access_log "
                    "WHERE action = 'HISTORY_SEARCH' AND identity->>'national_id' = :c"
                ),
                {"c": cedula},
            )
        ).all()
    assert [tuple(row) for row in logged] == [
        ("CERTIFICATE", body["oficio"]["number"], authorities.fiscalia.name)
    ]
