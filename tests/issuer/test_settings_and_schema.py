"""Settings refuse unsafe production configurations; models and migrations agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from pydantic import ValidationError

from services.issuer.settings import DEV_SIGNING_P12, IssuerSettings
from shared import migrate
from shared.settings import Environment

PRODUCTION = {
    "environment": Environment.PRODUCTION,
    "database_url": "postgresql://issuer@db/issuer",
    "registry_token": "reg_real",
    "signing_p12_path": Path("/run/secrets/signer.p12"),
    "signing_p12_password": "s3cret",
    "ca_certificate_path": Path("/run/secrets/ca.pem"),
    "seal_key_path": Path("/run/secrets/seal.key.pem"),
    "public_base_url": "https://certificados.migracion.gob.ec",
}


def test_development_defaults_to_the_dev_keys() -> None:
    settings = IssuerSettings(database_url="postgresql://x@y/z")
    assert settings.signing_p12_path == DEV_SIGNING_P12
    assert settings.uses_development_keys
    assert settings.max_body_bytes == 10 * 1024 * 1024
    assert settings.public_url("/v1/verify/X") == "http://127.0.0.1:8002/v1/verify/X"


def test_production_accepts_a_complete_configuration() -> None:
    settings = IssuerSettings(**PRODUCTION)  # type: ignore[arg-type]
    assert not settings.uses_development_keys


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"registry_token": ""}, "registry_token"),
        ({"signing_p12_path": None}, "signing_p12_path"),
        ({"ca_certificate_path": None}, "ca_certificate_path"),
        ({"signing_p12_password": "development"}, "placeholder"),
        ({"public_base_url": None}, "public_base_url"),
        ({"seal_key_path": None}, "seal_key_path"),
    ],
)
def test_production_refuses(change: dict[str, object], complaint: str) -> None:
    values = {**PRODUCTION, **change}
    values = {k: v for k, v in values.items() if v is not None}
    with pytest.raises(ValidationError, match=complaint):
        IssuerSettings(**values)  # type: ignore[arg-type]


def test_models_and_migrations_agree(issuer_database) -> None:
    # `alembic -n issuer check`: raises if autogenerate would produce any operation.
    command.check(migrate.alembic_config("issuer", issuer_database.owner_url))


def test_migrations_are_reversible(pg_server: str) -> None:
    from tests.support.postgres import scratch_database

    with scratch_database(pg_server, "issuer_migrations") as url:
        migrate.upgrade("issuer", url)
        migrate.downgrade("issuer", url, "base")
        migrate.upgrade("issuer", url)


def test_the_cli_needs_only_the_database_url_in_production(monkeypatch) -> None:
    """Migration jobs hold no signing keys or registry token."""
    from shared.settings import database_url_from_env

    monkeypatch.setenv("ISSUER_ENVIRONMENT", "production")
    monkeypatch.setenv("ISSUER_DATABASE_URL", "postgresql://issuer@db/issuer")
    with pytest.raises(ValidationError):
        IssuerSettings()
    assert database_url_from_env("ISSUER_") == "postgresql://issuer@db/issuer"
