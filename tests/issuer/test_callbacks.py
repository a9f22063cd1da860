"""Callbacks when a PENDING request is settled: a durable outbox, Standard Webhooks
signatures, retries with backoff, at least once across an issuer restart."""

from __future__ import annotations

import json
import uuid
from functools import partial

import anyio
import pytest
from httpx import AsyncClient
from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner

from services.issuer.cli import app as issuer_cli
from services.issuer.notifications.callbacks import check_callback_url
from services.issuer.notifications.delivery import CallbackDelivery, backoff_seconds
from tests.conftest import Tokens
from tests.issuer.callback_receiver import callback_receiver
from tests.issuer.conftest import IssuerFactory
from tests.issuer.helpers import certificate_request, fresh_cedula, seed_history

FAST_RETRIES = {"callback_retry_base_seconds": 0.0, "committing": True}


async def _cli(database_url: str, *args: str) -> list[str]:
    invoke = partial(
        CliRunner().invoke, issuer_cli, list(args), env={"ISSUER_DATABASE_URL": database_url}
    )
    result = await anyio.to_thread.run_sync(invoke)
    assert result.exit_code == 0, result.output
    return list(result.output.strip().splitlines())


async def _authority_with_callback(database_url: str, url: str) -> tuple[dict[str, str], str]:
    name = f"Fiscalía con callback {uuid.uuid4().hex[:8]}"
    output = await _cli(
        database_url, "authorities", "create", "--name", name,
        "--kind", "PROSECUTOR_OFFICE", "--callback-url", url,
    )  # fmt: skip
    token, secret = output[-1], output[-3]
    assert secret.startswith("whsec_") and token.startswith("iss_")
    return {"Authorization": f"Bearer {token}"}, secret


async def _deliver_until_done(delivery: CallbackDelivery, rounds: int) -> int:
    delivered = 0
    for _ in range(rounds):
        delivered += await delivery.run_once()
    return delivered


async def test_a_receiver_down_for_three_attempts_gets_every_event_once_signed(
    issuer_factory: IssuerFactory,
    issuer_db_url: str,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
    closed_port: int,
) -> None:
    known = fresh_cedula()  # the registry knows this one as PEREZ GOMEZ
    await seed_history(registry_committing, committed_tokens.terminal, national_id=known, count=2)
    with callback_receiver(fail_first=3) as receiver:
        headers, secret = await _authority_with_callback(issuer_db_url, receiver.url)
        to_issue = certificate_request()
        to_reject = certificate_request(
            subject={"national_id": known, "full_name": "PEDRO PICAPIEDRA"}
        )
        issued_now = certificate_request()

        down = {"registry_http": None, "registry_url": f"http://127.0.0.1:{closed_port}"}
        async with issuer_factory(**down, **FAST_RETRIES) as (_, without_registry):
            pending = []
            for body in (to_issue, to_reject):
                response = await without_registry.post(
                    "/v1/certificate-requests", json=body, headers=headers
                )
                assert response.status_code == 202, response.text
                pending.append(response.json()["request_id"])

        async with issuer_factory(**FAST_RETRIES) as (app, issuer):
            # Issued at once: it never was PENDING, so there is nothing to announce.
            response = await issuer.post(
                "/v1/certificate-requests", json=issued_now, headers=headers
            )
            assert response.status_code == 201
            synchronous = response.json()["request_id"]

            await app.state.pending_worker.run_once()
            # One round: both events are tried once and refused (attempts 1 and 2).
            assert await app.state.callback_delivery.run_once() == 0
            view = await issuer.get(f"/v1/certificate-requests/{pending[0]}", headers=headers)
            assert view.json()["notification"] == {"status": "RETRYING", "attempts": 1}

        # The issuer restarts: a new app instance, nothing in memory, the outbox in PostgreSQL.
        async with issuer_factory(**FAST_RETRIES) as (app, issuer):
            assert await _deliver_until_done(app.state.callback_delivery, rounds=4) == 2
            views = [
                (await issuer.get(f"/v1/certificate-requests/{r}", headers=headers)).json()
                for r in (*pending, synchronous)
            ]

    assert [c.answered for c in receiver.calls] == [503, 503, 503, 204, 204]
    events = {}
    for call in receiver.accepted:
        # Raises unless the signature is the Standard Webhooks one made with our secret.
        payload = Webhook(secret).verify(call.body, call.headers)
        events[call.headers["webhook-id"]] = payload
    assert len(events) == 2, "each event accepted exactly once"
    by_request = {e["request_id"]: e for e in events.values()}
    assert set(by_request) == set(pending)
    issued, rejected = by_request[pending[0]], by_request[pending[1]]
    assert issued["type"] == "certificate_request.issued"
    assert issued["certificate"]["number"] == views[0]["certificate"]["number"]
    assert issued["errors"] == []
    assert rejected["type"] == "certificate_request.rejected"
    assert rejected["certificate"] is None
    assert [e["code"] for e in rejected["errors"]] == ["SUBJECT_NAME_MISMATCH"]

    # Retries keep the webhook-id, so a receiver can deduplicate.
    ids_per_request: dict[str, set[str]] = {}
    for call in receiver.calls:
        request_id = json.loads(call.body)["request_id"]
        ids_per_request.setdefault(request_id, set()).add(call.headers["webhook-id"])
    assert all(len(ids) == 1 for ids in ids_per_request.values())

    notifications = [v["notification"] for v in views]
    assert [n["status"] for n in notifications[:2]] == ["DELIVERED", "DELIVERED"]
    assert sum(n["attempts"] for n in notifications[:2]) == 5
    assert notifications[2] is None


async def test_gives_up_after_the_retry_window(
    issuer_factory: IssuerFactory, issuer_db_url: str, closed_port: int
) -> None:
    headers, _ = await _authority_with_callback(
        issuer_db_url, f"http://127.0.0.1:{closed_port}/nobody-listens"
    )
    down = {"registry_http": None, "registry_url": f"http://127.0.0.1:{closed_port}"}
    async with issuer_factory(**down, **FAST_RETRIES) as (_, without_registry):
        response = await without_registry.post(
            "/v1/certificate-requests", json=certificate_request(), headers=headers
        )
        request_url = f"/v1/certificate-requests/{response.json()['request_id']}"
    async with issuer_factory(callback_give_up_after_seconds=0, **FAST_RETRIES) as (app, issuer):
        await app.state.pending_worker.run_once()
        assert await app.state.callback_delivery.run_once() == 0
        view = (await issuer.get(request_url, headers=headers)).json()
    assert view["status"] == "ISSUED"
    assert view["notification"] == {"status": "FAILED", "attempts": 1}


@pytest.mark.parametrize(
    ("url", "production", "accepted"),
    [
        ("https://fiscalia.gob.ec/hooks", True, True),
        ("https://fiscalia.gob.ec/hooks", False, True),
        ("http://127.0.0.1:9000/hooks", False, True),
        ("http://localhost:9000/hooks", False, True),
        ("http://127.0.0.1:9000/hooks", True, False),
        ("http://fiscalia.gob.ec/hooks", False, False),
        ("https://user:pw@fiscalia.gob.ec/hooks", True, False),
        ("ftp://fiscalia.gob.ec/", False, False),
        ("not a url", False, False),
    ],
)
def test_callback_url_rules(url: str, production: bool, accepted: bool) -> None:
    try:
        check_callback_url(url, production=production)
    except ValueError:
        assert not accepted
    else:
        assert accepted


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    for attempts, low, high in ((1, 2.5, 5), (3, 10, 20), (30, 1800, 3600)):
        delay = backoff_seconds(attempts, base=5, cap=3600)
        assert low <= delay <= high


async def test_set_callback_prints_a_new_secret(issuer_db_url: str) -> None:
    headers, first = await _authority_with_callback(issuer_db_url, "https://a.example/hooks")
    del headers
    name_line = (await _cli(issuer_db_url, "authorities", "create", "--name",
                            f"Sin callback {uuid.uuid4().hex[:8]}", "--kind", "OTHER_COMPETENT"))  # fmt: skip
    assert not any(line.startswith("whsec_") for line in name_line)
    name = name_line[-2].split("'")[1]
    output = await _cli(
        issuer_db_url, "authorities", "set-callback", "--name", name,
        "--url", "http://127.0.0.1:8999/hooks",
    )  # fmt: skip
    assert output[-1].startswith("whsec_") and output[-1] != first
    cleared = await _cli(issuer_db_url, "authorities", "set-callback", "--name", name, "--clear")
    assert "callbacks off" in cleared[-1]
