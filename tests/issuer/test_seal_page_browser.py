"""The verification page reads the seal from the URL's fragment (a scanned QR code) and
shows its claims beside our records, in a real headless Chromium."""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import httpx
import pypdfium2 as pdfium
import zxingcpp

from tests.conftest import Tokens
from tests.issuer.conftest import Authorities
from tests.issuer.seal_vectors import _altered
from tests.issuer.test_verify_page_browser import (  # noqa: F401  (fixtures)
    SCREENSHOTS,
    browser,
    served_issuer,
)
from tests.issuer.verify_page_support import issue_certificate

if TYPE_CHECKING:
    from playwright.async_api import Browser


def _scanned(pdf: bytes) -> str:
    image = pdfium.PdfDocument(pdf)[0].render(scale=150 / 72).to_pil()
    [found] = zxingcpp.read_barcodes(image)
    return found.text


async def test_the_page_checks_the_seal_of_the_scanned_qr(
    browser: Browser,  # noqa: F811
    served_issuer: str,  # noqa: F811
    committed_authorities: Authorities,
    registry_committing: httpx.AsyncClient,
    committed_tokens: Tokens,
) -> None:
    async with httpx.AsyncClient(base_url=served_issuer) as api:
        issued = await issue_certificate(
            api,
            registry_committing,
            terminal=committed_tokens.terminal,
            authority=committed_authorities.fiscalia.headers,
        )
    scanned = await anyio.to_thread.run_sync(_scanned, issued["pdf"])
    url, _, seal = scanned.partition("#")
    assert url == issued["verify_url"]

    context = await browser.new_context(locale="es-EC")
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    # What a phone opens: the browser percent-encodes the seal's spaces, and keeps the
    # fragment to itself.
    await page.goto(scanned)
    card = page.locator("#sello")
    await card.get_by_text("El sello del código QR es válido").wait_for()
    text = await card.inner_text()
    assert issued["number"] in text and committed_authorities.fiscalia.name in text
    assert "✗" not in text and text.count("✓") == 7

    # A forged seal on the genuine URL: refused, on the same page.
    await page.goto(f"{url}#{_altered(seal)}")
    await card.get_by_text("NO es válido").wait_for()

    # A typed code (no fragment): no seal card.
    await page.goto(url)
    await page.get_by_role("heading", name="Certificado válido").wait_for()
    assert await card.is_hidden()
    assert not problems, problems  # a CSP violation would show here
    await context.close()

    # On a phone the comparison fits the screen.
    phone = await browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    phone_page = await phone.new_page()
    await phone_page.goto(scanned)
    await phone_page.locator("#sello").get_by_text("es válido").wait_for()
    await phone_page.screenshot(path=SCREENSHOTS / "verify-seal-phone.png", full_page=True)
    widths = await phone_page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    await phone.close()
