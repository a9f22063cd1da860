"""The access log is tamper-evident (issue 9, item 3): rows are sealed at insert and
chained afterwards; a row changed, deleted or inserted by the owner with the triggers
disabled is named by the verifier; the signed head verifies with the published key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from services.registry.access_log.chain import canonical, chain_pending, content_hash
from services.registry.access_log.signing import HeadSignatureInvalid, verify_jws
from services.registry.access_log.verify import check_head, verify_chain
from services.registry.clients.service import create_client
from shared.db import make_engine
from tests.conftest import Tokens
from tests.issuer.helpers import fresh_cedula
from tests.support.factories import movement


@pytest.fixture
async def auditor(registry_engine: AsyncEngine) -> dict[str, str]:
    async with async_sessionmaker(registry_engine, expire_on_commit=False)() as session:
        created = await create_client(session, name="Delegado de protección", scopes="audit:read")
        await session.commit()
    return {"Authorization": f"Bearer {created.token}"}


@pytest.fixture
async def owner(registry_owner_url: str) -> AsyncIterator[AsyncConnection]:
    """The schema owner (a superuser here), inside a transaction rolled back at the end:
    tampering is seen by the verifier on this connection and by nobody else. Call
    :func:`_disable_triggers` only after the test's requests: it locks the tables."""
    engine = make_engine(registry_owner_url, application_name="intruder", pool_size=1)
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()
    await engine.dispose()


async def _disable_triggers(owner: AsyncConnection) -> None:
    await owner.execute(text("ALTER TABLE access_log DISABLE TRIGGER USER"))
    await owner.execute(text("ALTER TABLE access_log_chain DISABLE TRIGGER USER"))


async def _chain(registry: AsyncClient) -> None:
    await chain_pending(registry._transport.app.state.sessionmaker)  # type: ignore[attr-defined]


async def _reads(registry: AsyncClient, tokens: Tokens, count: int = 3) -> str:
    cedula = fresh_cedula()
    # Committed rows outlive the test: a document of its own, not the factory's default.
    stored = movement(traveller={"national_id": cedula, "document_number": f"CH{cedula}"})
    assert (await registry.post("/v1/movements", json=stored, headers=tokens.terminal)).is_success
    for n in range(count):
        body = {
            "identity": {"national_id": cedula},
            "purpose": "CERTIFICATE",
            "reference": f"FGE-2025-{n:06d}-O",
        }
        answer = await registry.post("/v1/history/search", json=body, headers=tokens.reader)
        assert answer.status_code == 200
    return cedula


async def _latest_ids(conn: AsyncConnection, n: int) -> list[int]:
    rows = await conn.scalars(text("SELECT id FROM access_log ORDER BY id DESC LIMIT :n"), {"n": n})
    return sorted(rows.all())


async def test_rows_are_sealed_with_the_documented_canonical_form(
    registry_committing: AsyncClient, committed_tokens: Tokens, registry_owner_url: str
) -> None:
    await _reads(registry_committing, committed_tokens, count=1)
    engine = make_engine(registry_owner_url, application_name="t", pool_size=1)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT id::text, to_char(at AT TIME ZONE 'UTC', "
                    '\'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\'), client_id::text, action, '
                    "identity::text, person_id::text, purpose, reference, movement_count::text, "
                    "request_id, on_behalf_of, content_sha256 "
                    "FROM access_log ORDER BY id DESC LIMIT 1"
                )
            )
        ).one()
    await engine.dispose()
    fields = list(row[:11])
    assert canonical(fields).startswith(f"access_log/v1\n{len(fields[0])}:{fields[0]}\n")
    assert content_hash(fields) == row.content_sha256


async def test_head_is_signed_and_verifies_with_the_published_key(
    registry_committing: AsyncClient, committed_tokens: Tokens, auditor: dict[str, str]
) -> None:
    await _reads(registry_committing, committed_tokens)
    head = (await registry_committing.get("/v1/audit/head", headers=auditor)).json()
    keys = (await registry_committing.get("/v1/audit/keys")).json()

    assert head["rows"] >= 3 and len(head["hash"]) == 64
    payload = verify_jws(head["signature"], keys)
    assert (payload["rows"], payload["hash"]) == (head["rows"], head["hash"])
    assert keys["keys"][0]["kid"] == head["kid"]
    forged = head["signature"][:-4] + ("AAAA" if not head["signature"].endswith("AAAA") else "BBBB")
    with pytest.raises(HeadSignatureInvalid):
        verify_jws(forged, keys)


async def test_head_needs_the_audit_scope(
    registry_committing: AsyncClient, committed_tokens: Tokens
) -> None:
    assert (await registry_committing.get("/v1/audit/head")).status_code == 401
    denied = await registry_committing.get("/v1/audit/head", headers=committed_tokens.reader)
    assert denied.status_code == 403
    assert (await registry_committing.get("/v1/audit/keys")).status_code == 200


async def test_untouched_log_verifies(
    registry_committing: AsyncClient, committed_tokens: Tokens, owner: AsyncConnection
) -> None:
    await _reads(registry_committing, committed_tokens)
    report = await verify_chain(owner)
    assert report.ok, report.problems
    assert report.rows >= 3


async def test_a_changed_row_is_named(
    registry_committing: AsyncClient, committed_tokens: Tokens, owner: AsyncConnection
) -> None:
    await _reads(registry_committing, committed_tokens)
    await _chain(registry_committing)
    victim = (await _latest_ids(owner, 2))[0]
    await _disable_triggers(owner)
    await owner.execute(
        text("UPDATE access_log SET reference = 'nada que ver' WHERE id = :id"), {"id": victim}
    )
    report = await verify_chain(owner)
    assert report.problems[0].startswith(f"row {victim} changed"), report.problems


async def test_a_change_before_chaining_is_named_too(
    registry_committing: AsyncClient, committed_tokens: Tokens, owner: AsyncConnection
) -> None:
    """The seal is written at insert: a row edited before the chainer reached it shows."""
    await _reads(registry_committing, committed_tokens, count=1)
    victim = (await _latest_ids(owner, 1))[0]
    await _disable_triggers(owner)
    await owner.execute(
        text("UPDATE access_log SET purpose = 'OTRO' WHERE id = :id"), {"id": victim}
    )
    assert any(p.startswith(f"row {victim} changed") for p in (await verify_chain(owner)).problems)


async def test_a_deleted_row_is_named(
    registry_committing: AsyncClient, committed_tokens: Tokens, owner: AsyncConnection
) -> None:
    await _reads(registry_committing, committed_tokens)
    await _chain(registry_committing)
    victim = (await _latest_ids(owner, 2))[0]
    await _disable_triggers(owner)
    await owner.execute(text("DELETE FROM access_log WHERE id = :id"), {"id": victim})
    report = await verify_chain(owner)
    assert report.problems[0].startswith(f"row {victim} deleted"), report.problems


async def test_a_row_and_its_link_deleted_are_named_by_the_gap(
    registry_committing: AsyncClient, committed_tokens: Tokens, owner: AsyncConnection
) -> None:
    await _reads(registry_committing, committed_tokens)
    await _chain(registry_committing)
    victim, after = await _latest_ids(owner, 2)
    await _disable_triggers(owner)
    await owner.execute(text("DELETE FROM access_log WHERE id = :id"), {"id": victim})
    await owner.execute(text("DELETE FROM access_log_chain WHERE entry_id = :id"), {"id": victim})
    report = await verify_chain(owner)
    assert "missing" in report.problems[0] and f"row {after}" in report.problems[0]


async def test_an_inserted_row_is_named(
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
    registry_engine: AsyncEngine,
    owner: AsyncConnection,
) -> None:
    # A request that rolls back leaves a gap in the ids: a forger's favourite place.
    async with registry_engine.connect() as conn:
        transaction = await conn.begin()
        client = await conn.scalar(text("SELECT id FROM api_clients LIMIT 1"))
        gap = await conn.scalar(
            text(
                "INSERT INTO access_log (client_id, action, movement_count) "
                "VALUES (:c, 'HISTORY_SEARCH', 0) RETURNING id"
            ),
            {"c": client},
        )
        await transaction.rollback()
    await _reads(registry_committing, committed_tokens, count=1)
    await _chain(registry_committing)
    await _disable_triggers(owner)
    await owner.execute(
        text(
            "INSERT INTO access_log (id, at, client_id, action, movement_count, purpose) "
            "VALUES (:id, now() - interval '1 day', :c, 'HISTORY_SEARCH', 0, 'CERTIFICATE')"
        ),
        {"id": gap, "c": client},
    )
    # Even a forger who seals the row the way the trigger would is caught.
    await owner.execute(
        text(
            "UPDATE access_log a SET content_sha256 = encode(sha256(convert_to("
            "access_log_canonical(a), 'UTF8')), 'hex') WHERE id = :id"
        ),
        {"id": gap},
    )
    report = await verify_chain(owner)
    assert report.problems[0].startswith(f"row {gap} inserted"), report.problems

    await owner.execute(
        text(
            "INSERT INTO access_log (id, client_id, action, movement_count) "
            "VALUES (:id, :c, 'HISTORY_SEARCH', 0)"
        ),
        {"id": gap + 10_000_000, "c": client},
    )
    assert (
        f"row {gap + 10_000_000} inserted behind the service's back: it has no seal"
        in (await verify_chain(owner)).problems
    )


async def test_a_saved_head_must_still_be_extended(
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
    auditor: dict[str, str],
    owner: AsyncConnection,
) -> None:
    await _reads(registry_committing, committed_tokens)
    head = (await registry_committing.get("/v1/audit/head", headers=auditor)).json()
    keys = (await registry_committing.get("/v1/audit/keys")).json()
    assert await check_head(owner, head, jwks=keys) == []

    await _reads(registry_committing, committed_tokens, count=1)
    await _chain(registry_committing)
    assert await check_head(owner, head, jwks=keys) == [], "a longer chain still extends it"

    # Rewriting the chain from some link on (to hide an edit) changes the saved head's link.
    await _disable_triggers(owner)
    await owner.execute(
        text("UPDATE access_log_chain SET chain_sha256 = repeat('0', 64) WHERE position = :p"),
        {"p": head["rows"]},
    )
    problems = await check_head(owner, head, jwks=keys)
    assert problems and "no longer extends the saved head" in problems[0]
    assert await check_head(owner, {**head, "hash": "f" * 64}, jwks=keys) != []
