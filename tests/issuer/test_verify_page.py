"""The verification page (GET /v1/verify/{code} for browsers), without a browser:
content negotiation, escaping, the CSP, the Spanish 404. The browser itself is driven in
test_verify_page_browser.py."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.verify.html import PageContext, render_verification_page
from services.issuer.verify.schemas import MaskedSubject, VerificationOut
from tests.conftest import Tokens
from tests.issuer.conftest import Authorities
from tests.issuer.helpers import make_authority
from tests.issuer.verify_page_support import BROWSER_ACCEPT, issue_certificate

HTML = {"Accept": BROWSER_ACCEPT}
HOSTILE = "<script>alert(\"x\")</script> & 'Cía'"


@pytest.fixture
async def issued(
    issuer: AsyncClient,
    authorities: Authorities,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
) -> dict[str, Any]:
    return await issue_certificate(
        issuer,
        registry_committing,
        terminal=committed_tokens.terminal,
        authority=authorities.fiscalia.headers,
    )


def nonce_of(response: Response) -> str:
    csp = response.headers["content-security-policy"]
    found = re.search(r"script-src 'nonce-([A-Za-z0-9_-]{16,})'", csp)
    assert found, csp
    return found.group(1)


async def test_browsers_get_the_page_with_everything_the_json_shows(
    issuer: AsyncClient, issued: dict[str, Any], authorities: Authorities
) -> None:
    response = await issuer.get(issued["verify_url"], headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    verified = (await issuer.get(issued["verify_url"])).json()
    for shown in (
        issued["number"],
        verified["subject"]["full_name"],
        verified["subject"]["identification"],
        issued["sha256"],
        authorities.fiscalia.name,
        issued["oficio_number"],
        issued["verification_code"],
        "Ministerio del Interior — Subsecretaría de Migración",
        "Certificado válido",
        "Verifique el archivo PDF",
        "(hora de Ecuador)",
    ):
        assert shown in page, shown
    assert '<html lang="es">' in page
    assert issued["cedula"] not in page  # only the masked identification
    assert "P**** G**** M**** J***" in page


async def test_the_page_loads_nothing_from_elsewhere_and_runs_only_its_own_code(
    issuer: AsyncClient, issued: dict[str, Any]
) -> None:
    first = await issuer.get(issued["verify_url"], headers=HTML)
    csp = first.headers["content-security-policy"]
    nonce = nonce_of(first)
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert f"style-src 'nonce-{nonce}'" in csp
    assert first.text.count(f'nonce="{nonce}"') == 2  # the <style> and the <script>
    assert len(re.findall(r"<script|<style", first.text)) == 2
    assert nonce_of(await issuer.get(issued["verify_url"], headers=HTML)) != nonce
    links = re.findall(r'(?:src|href|action|data-endpoint)="([^"]*)"', first.text)
    assert links and all(link.startswith(("/", "#", "data:")) for link in links), links
    assert 'data-endpoint="/v1/verify"' in first.text
    assert first.headers["cache-control"] == "no-store"
    assert first.headers["vary"] == "Accept"
    assert first.headers["referrer-policy"] == "no-referrer"
    assert first.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("accept", ["", "*/*", "application/json", "text/html;q=0.5, */*"])
async def test_other_clients_get_json(
    issuer: AsyncClient, issued: dict[str, Any], accept: str
) -> None:
    response = await issuer.get(issued["verify_url"], headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["number"] == issued["number"]
    assert response.headers["vary"] == "Accept"  # same URL, two representations
    assert "content-security-policy" not in response.headers


async def test_client_supplied_text_is_escaped(
    issuer: AsyncClient,
    issuer_session: AsyncSession,
    registry_committing: AsyncClient,
    committed_tokens: Tokens,
) -> None:
    name = f"{HOSTILE} {uuid.uuid4().hex[:6]}"
    # An authority with its own (permissive) oficio pattern may send almost any number.
    hostile = await make_authority(issuer_session, name=name, oficio_pattern=r".+")
    await issuer_session.commit()
    oficio = f'OF-"><img src=x onerror=alert(1)>-{uuid.uuid4().hex[:8]}'
    issued = await issue_certificate(
        issuer,
        registry_committing,
        terminal=committed_tokens.terminal,
        authority=hostile.headers,
        oficio={"number": oficio},
    )
    page = (await issuer.get(issued["verify_url"], headers=HTML)).text
    assert "<script>alert" not in page and "<img" not in page
    # Jinja2's autoescaping (markupsafe) spells quotes as numeric references.
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;Cía&#39;" in page
    assert "OF-&#34;&gt;&lt;img src=x onerror=alert(1)&gt;-" in page


def test_every_field_is_escaped_when_rendered() -> None:
    verification = VerificationOut(
        status="REVOKED",
        number="CMM-2025-<b>",
        issued_at=datetime(2025, 3, 14, 15, 32, tzinfo=UTC),
        authority=HOSTILE,
        oficio_number=HOSTILE,
        subject=MaskedSubject(full_name=HOSTILE, identification=HOSTILE),
        movement_count=3,
        sha256="<i>",
        revoked_at=datetime(2025, 4, 1, 2, 0, tzinfo=UTC),
    )
    context = PageContext(check_pdf_url='/v1/verify"<x>', ca_url="/ca<y>")
    page = render_verification_page(verification, code="<c>", context=context)
    assert "<script>alert" not in page
    for raw in ("<b>", "<i>", "<c>", "<x>", "<y>"):
        assert raw not in page, raw
    assert page.count("&lt;script&gt;") == 4  # authority, oficio, name, identification
    assert "Certificado revocado" in page
    # Ecuador time (UTC−5), in words: the revocation is still 31 March there.
    assert "14 de marzo de 2025, 10:32</time> (hora de Ecuador)" in page
    assert "31 de marzo de 2025, 21:00" in page


async def test_revoked_page_says_so_with_the_date(
    issuer: AsyncClient, issued: dict[str, Any], authorities: Authorities
) -> None:
    revoked = await issuer.post(
        f"/v1/certificates/{issued['certificate_id']}/revocation",
        json={"reason": "Emitido por error"},
        headers=authorities.admin.headers,
    )
    assert revoked.status_code == 200, revoked.text
    page = (await issuer.get(issued["verify_url"], headers=HTML)).text
    assert "Certificado revocado" in page and "no tiene validez" in page
    assert "Fecha de revocación" in page
    assert "Certificado válido" not in page
    assert "Emitido por error" not in page  # the JSON does not expose the reason either


async def test_unknown_code_is_a_spanish_404_page_for_browsers_only(issuer: AsyncClient) -> None:
    page = await issuer.get("/v1/verify/AAAA-BBBB-CCCC-DDDD", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in page.headers
    assert '<html lang="es">' in page.text
    assert "Certificado no encontrado" in page.text
    assert "AAAA-BBBB-CCCC-DDDD" in page.text

    hostile = await issuer.get("/v1/verify/<img src=x onerror=alert(1)>", headers=HTML)
    assert hostile.status_code == 404
    assert "<img src=x" not in hostile.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile.text

    api = await issuer.get("/v1/verify/AAAA-BBBB-CCCC-DDDD")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"
    assert api.headers["vary"] == "Accept"
