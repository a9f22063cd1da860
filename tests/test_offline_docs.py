"""/docs works on a closed network: a headless Chromium that can reach nothing but
127.0.0.1 renders both services' Swagger UI (operations listed, Authorize usable when
the document declares a security scheme). Government intranets have no internet, so
nothing may come from a CDN.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from services.issuer.app import create_app as create_issuer_app
from services.issuer.settings import IssuerSettings
from services.registry.app import create_app as create_registry_app
from services.registry.settings import RegistrySettings
from shared.settings import Environment
from tests.e2e.conftest import free_port, serving
from tests.issuer.test_verify_page_browser import CHROMIUM_ARGS, chromium_path

if TYPE_CHECKING:
    from playwright.async_api import Page, Route

pytestmark = pytest.mark.browser

NOWHERE = "postgresql://nobody@127.0.0.1:1/none"  # the docs never touch the database
# Names that do not resolve, besides the interception below: a second lock on the door.
OFFLINE_ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


@contextlib.asynccontextmanager
async def _no_lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


def _apps() -> dict[str, FastAPI]:
    return {
        "registry": create_registry_app(
            RegistrySettings(database_url=NOWHERE, environment=Environment.TEST)
        ),
        "issuer": create_issuer_app(
            IssuerSettings(database_url=NOWHERE, environment=Environment.TEST)
        ),
    }


@pytest.fixture(params=["registry", "issuer"])
async def served(request: pytest.FixtureRequest) -> AsyncIterator[tuple[FastAPI, str]]:
    app = _apps()[request.param]
    app.router.lifespan_context = _no_lifespan
    async with serving(app, free_port()) as url:
        yield app, url


@pytest.fixture
async def offline_page() -> AsyncIterator[tuple[Page, list[str]]]:
    """A page whose every request off 127.0.0.1 is refused and recorded."""
    executable = chromium_path()
    async_api = pytest.importorskip("playwright.async_api")
    refused: list[str] = []

    async def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            refused.append(route.request.url)
            await route.abort("internetdisconnected")

    async with async_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=OFFLINE_ARGS)
        try:
            context = await browser.new_context()
            await context.route("**/*", only_loopback)
            yield await context.new_page(), refused
        finally:
            await browser.close()


async def test_swagger_ui_renders_every_operation_offline(
    served: tuple[FastAPI, str], offline_page: tuple[Page, list[str]]
) -> None:
    app, url = served
    page, refused = offline_page
    document = app.openapi()
    operations = sum(len(item) for item in document["paths"].values())

    await page.goto(f"{url}/docs")
    await page.wait_for_selector(".opblock", timeout=30_000)

    assert await page.locator(".opblock").count() == operations
    assert app.title in await page.locator(".info .title").inner_text()
    schemes = document.get("components", {}).get("securitySchemes", {})
    if schemes:  # the bearer scheme: Authorize takes a token and shows it as set
        await page.locator("button.authorize").first.click()
        await page.locator(".modal-ux input").first.fill("a-token")
        await page.locator(".modal-ux button.authorize").first.click()
        await page.wait_for_selector(".modal-ux h6:has-text('Authorized')", timeout=10_000)
    assert refused == [], f"the docs reached for the network: {refused}"


async def test_no_page_needs_a_cdn(served: tuple[FastAPI, str]) -> None:
    """Swagger UI's HTML names only the service's own assets; ReDoc (whose logo comes from
    a CDN) is not served."""
    _app, url = served
    async with httpx.AsyncClient(base_url=url) as client:
        docs = (await client.get("/docs")).text
        assert (await client.get("/redoc")).status_code == 404
        for asset in re.findall(r'(?:src|href)="([^"]+)"', docs):
            assert asset.startswith("/"), asset
            assert (await client.get(asset)).status_code == 200, asset
