"""Every environment variable the deployment sets is a setting of the service it
reaches, and loads: a misspelt name would be silently ignored by pydantic-settings."""

from __future__ import annotations

import os

import pytest

from shared.settings import asyncpg_url
from tests.deploy.artefacts import PORTS, every_environment
from tests.deploy.codebase import load_settings, setting_names


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in list(os.environ):
        if key.startswith(("REGISTRY_", "ISSUER_")):
            monkeypatch.delenv(key)
    return monkeypatch


def test_every_environment_variable_is_a_setting() -> None:
    names = {service: setting_names(service) for service in PORTS}
    unknown = [
        f"{where}: {key}"
        for where, service, env in every_environment()
        for key in env
        if key not in names[service]
    ]
    assert not unknown, "not settings (silently ignored by the app):\n" + "\n".join(unknown)


def test_every_environment_loads_as_settings(clean_environment: pytest.MonkeyPatch) -> None:
    """Types, ranges and the production rules, as the app itself would apply them."""
    for where, service, env in every_environment():
        with clean_environment.context() as monkeypatch:
            settings = load_settings(monkeypatch, service, env)
        if settings is None:
            continue
        # Everything but compose's key bootstrap (which reads one setting) is production.
        if not where.endswith(":issuer-keys"):
            assert settings.is_production, where
            asyncpg_url(settings.database_url)
