"""What the code says: settings, routes and factories, with a documented fallback
for the issuer while it is being written."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic_settings import BaseSettings

# The issuer's settings as agreed, used only while services.issuer is not importable.
ISSUER_SETTINGS_AS_AGREED = frozenset(
    {
        "ISSUER_DATABASE_URL",
        "ISSUER_ENVIRONMENT",
        "ISSUER_DATABASE_POOL_SIZE",
        "ISSUER_LOG_LEVEL",
        "ISSUER_MAX_BODY_BYTES",
        "ISSUER_REGISTRY_URL",
        "ISSUER_REGISTRY_TOKEN",
        "ISSUER_REGISTRY_TIMEOUT_SECONDS",
        "ISSUER_PUBLIC_BASE_URL",
        "ISSUER_SIGNING_P12_PATH",
        "ISSUER_SIGNING_P12_PASSWORD",
        "ISSUER_CA_CERTIFICATE_PATH",
        "ISSUER_SEAL_KEY_PATH",
        "ISSUER_OFICIO_TRUST_ROOTS_PATH",
        "ISSUER_REQUIRE_SIGNED_OFICIO",
        "ISSUER_OFICIO_MAX_AGE_DAYS",
        "ISSUER_PENDING_POLL_SECONDS",
        "ISSUER_CERTIFICATE_NUMBER_PREFIX",
    }
)


def settings_class(service: str) -> type[BaseSettings] | None:
    module, name = {
        "registry": ("services.registry.settings", "RegistrySettings"),
        "issuer": ("services.issuer.settings", "IssuerSettings"),
    }[service]
    try:
        cls: type[BaseSettings] = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        if service == "registry":
            raise
        print(f"{module} is not importable ({exc}); using the agreed list of settings")
        return None
    return cls


def setting_names(service: str) -> frozenset[str]:
    cls = settings_class(service)
    if cls is None:
        return ISSUER_SETTINGS_AS_AGREED
    prefix = cls.model_config.get("env_prefix", "")
    return frozenset(f"{prefix}{field}".upper() for field in cls.model_fields)


def app_routes(service: str) -> set[str] | None:
    try:
        module = importlib.import_module(f"services.{service}.app")
    except ImportError as exc:
        if service == "registry":
            raise
        print(f"services.{service}.app is not importable ({exc}); routes not checked")
        return None
    cls = settings_class(service)
    assert cls is not None
    # Explicit development settings: the routes are the same, and no database is needed.
    app: FastAPI = module.create_app(cls(environment="development", database_url=""))
    return {getattr(route, "path", "") for route in app.routes}


def load_settings(monkeypatch: pytest.MonkeyPatch, service: str, env: dict[str, str]) -> Any:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    cls = settings_class(service)
    return None if cls is None else cls()
