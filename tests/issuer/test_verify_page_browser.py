"""The verification page in a real headless Chromium (Debian's package), as a phone that
scanned the certificate's QR code sees it: the issuer served on a real socket, a real
certificate issued through the API, its PDF uploaded through the page's form.

Screenshots land in .data/screenshots/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Tokens
from tests.e2e.conftest import free_port, serving
from tests.issuer.conftest import Authorities, IssuerFactory
from tests.issuer.verify_page_support import issue_certificate

if TYPE_CHECKING:
    from playwright.async_api import Browser, ViewportSize

pytestmark = pytest.mark.browser

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# The closed network: no update checks, no QUIC, nothing phoning home.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}


def chromium_path() -> str:
    for candidate in (*CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("Chromium not installed: apt-get install chromium (CI installs it)")


@contextlib.asynccontextmanager
async def _no_lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The factory has wired the runtime already; the real lifespan would also start a
    # pending worker on the shared test database and issue other tests' requests.
    yield


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async_api = pytest.importorskip("playwright.async_api")
    async with async_api.async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def served_issuer(issuer_factory: IssuerFactory) -> AsyncIterator[str]:
    """The issuer on a real 127.0.0.1 socket, committing to the test database."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    async with issuer_factory(committing=True, public_base_url=base_url) as (app, _):
        app.router.lifespan_context = _no_lifespan
        async with serving(app, port) as url:
            yield url


async def test_verification_page_in_chromium(
    browser: Browser,
    served_issuer: str,
    committed_authorities: Authorities,
    registry_committing: httpx.AsyncClient,
    committed_tokens: Tokens,
    tmp_path: Path,
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with httpx.AsyncClient(base_url=served_issuer) as api:
        issued = await issue_certificate(
            api,
            registry_committing,
            terminal=committed_tokens.terminal,
            authority=committed_authorities.fiscalia.headers,
        )
        verified = (await api.get(issued["verify_url"])).json()
        # Another genuine certificate, for someone else.
        other = await issue_certificate(
            api,
            registry_committing,
            terminal=committed_tokens.terminal,
            authority=committed_authorities.fiscalia.headers,
        )
    assert issued["verify_url"].startswith(served_issuer)

    context = await browser.new_context(locale="es-EC")
    page = await context.new_page()
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    # 1. The page a scanned QR code opens.
    response = await page.goto(issued["verify_url"])
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    status = page.get_by_role("heading", name="Certificado válido")
    await status.wait_for()
    assert await page.get_by_text("válido", exact=False).first.is_visible()
    body = await page.inner_text("body")
    for shown in (
        issued["number"],
        verified["subject"]["full_name"],
        verified["subject"]["identification"],
        issued["sha256"],
        committed_authorities.fiscalia.name,
    ):
        assert shown in body, shown
    assert issued["cedula"] not in body
    await page.screenshot(path=SCREENSHOTS / "verify-valid.png", full_page=True)

    # 2. The PDF check: the genuine file, then one with a byte flipped in the signed range.
    genuine = tmp_path / "certificado.pdf"
    genuine.write_bytes(issued["pdf"])
    tampered = tmp_path / "certificado-alterado.pdf"
    flipped = bytearray(issued["pdf"])
    flipped[600] ^= 0x01
    tampered.write_bytes(bytes(flipped))
    result = page.locator("#pdf-result")

    await page.set_input_files("#pdf-archivo", genuine)
    await page.get_by_role("button", name="Verificar archivo").click()
    await result.get_by_text("idéntico al certificado emitido y su firma es válida").wait_for()
    assert issued["number"] in await result.inner_text()
    assert await result.get_attribute("class") == "result result--ok"
    await page.screenshot(path=SCREENSHOTS / "verify-pdf-match.png", full_page=True)

    # A genuine certificate, but not the one this page shows: a warning, never success.
    another = tmp_path / "otro-certificado.pdf"
    another.write_bytes(other["pdf"])
    await page.set_input_files("#pdf-archivo", another)
    await page.get_by_role("button", name="Verificar archivo").click()
    await result.get_by_text("NO es el que muestra esta página").first.wait_for()
    assert await result.get_attribute("class") == "result result--warn"
    shown = await result.inner_text()
    assert other["number"] in shown and "firma es válida" not in shown
    await page.screenshot(path=SCREENSHOTS / "verify-pdf-other-certificate.png", full_page=True)

    await page.set_input_files("#pdf-archivo", tampered)
    await page.get_by_role("button", name="Verificar archivo").click()
    await result.get_by_text("NO corresponde a un certificado emitido").wait_for()
    await page.screenshot(path=SCREENSHOTS / "verify-pdf-mismatch.png", full_page=True)

    # 3. Revoked by an administrator: the same URL now says so.
    async with httpx.AsyncClient(base_url=served_issuer) as api:
        revoked = await api.post(
            f"/v1/certificates/{issued['certificate_id']}/revocation",
            json={"reason": "Emitido por error"},
            headers=committed_authorities.admin.headers,
        )
    assert revoked.status_code == 200, revoked.text
    await page.reload()
    await page.get_by_role("heading", name="Certificado revocado").wait_for()
    assert await page.get_by_text("revocado", exact=False).first.is_visible()
    await page.screenshot(path=SCREENSHOTS / "verify-revoked.png", full_page=True)
    assert not problems, problems  # e.g. a CSP violation would be logged here

    # 4. An unknown code (its 404 is the one console error Chromium logs).
    missing = await page.goto(f"{served_issuer}/v1/verify/AAAA-BBBB-CCCC-DDDD")
    assert missing is not None and missing.status == 404
    await page.get_by_role("heading", name="Certificado no encontrado").wait_for()
    await page.screenshot(path=SCREENSHOTS / "verify-not-found.png", full_page=True)
    await context.close()

    # 5. A phone: nothing wider than the screen.
    phone = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="es-EC"
    )
    phone_page = await phone.new_page()
    phone_page.on("request", lambda request: requested.append(request.url))
    for url, shot in (
        (issued["verify_url"], "verify-revoked-phone.png"),
        (f"{served_issuer}/v1/verify/AAAA-BBBB-CCCC-DDDD", "verify-not-found-phone.png"),
    ):
        await phone_page.goto(url)
        widths = await phone_page.evaluate(
            "[document.scrollingElement.scrollWidth, window.innerWidth]"
        )
        assert widths[0] <= widths[1], f"{url} scrolls sideways on a phone: {widths}"
        await phone_page.screenshot(path=SCREENSHOTS / shot, full_page=True)
    await phone.close()

    hosts = {urlsplit(url).hostname for url in requested}
    assert hosts == {"127.0.0.1"}, requested


async def test_valid_certificate_on_a_phone(
    browser: Browser,
    served_issuer: str,
    committed_authorities: Authorities,
    registry_committing: httpx.AsyncClient,
    committed_tokens: Tokens,
) -> None:
    async with httpx.AsyncClient(base_url=served_issuer) as api:
        issued = await issue_certificate(
            api,
            registry_committing,
            terminal=committed_tokens.terminal,
            authority=committed_authorities.juzgado.headers,
            movements=5,
        )
    phone = await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="es-EC"
    )
    page = await phone.new_page()
    await page.goto(issued["verify_url"])
    await page.get_by_role("heading", name="Certificado válido").wait_for()
    widths = await page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    await page.screenshot(path=SCREENSHOTS / "verify-valid-phone.png", full_page=True)
    await phone.close()
