"""docker-compose.yml: valid for a compose CLI when one is installed, structurally
checked in Python otherwise (the test says which), and consistent with the code."""

from __future__ import annotations

import inspect
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tests.deploy.artefacts import (
    COMPOSE_ENV,
    COMPOSE_FILE,
    DEPLOY,
    PORTS,
    ROOT,
    Doc,
    command_line,
    compose,
    compose_variables,
    dockerfile_stages,
    find,
    interpolate,
)


def compose_cli() -> list[str] | None:
    for argv in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(argv[0]) is None:
            continue
        probe = subprocess.run(
            [*argv, "version"], capture_output=True, text=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return argv
    return None


def test_compose_file_is_valid(tmp_path: Path) -> None:
    cli = compose_cli()
    if cli is None:
        print("compose check: no `docker compose` / `docker-compose`; structural check in Python")
        check_compose_structure(compose())
        return
    print(f"compose check: {' '.join(cli)} config")
    empty_env_file = tmp_path / "empty.env"  # a developer's deploy/.env must not leak in
    empty_env_file.write_text("")
    base = [*cli, "--env-file", str(empty_env_file), "-f", str(COMPOSE_FILE), "config"]
    without_secrets = {k: v for k, v in os.environ.items() if k not in COMPOSE_ENV}

    refused = subprocess.run(
        base, capture_output=True, text=True, timeout=60, env=without_secrets, check=False
    )
    assert refused.returncode != 0, "compose must refuse to run without its secrets"

    resolved = subprocess.run(
        base,
        capture_output=True,
        text=True,
        timeout=60,
        env={**without_secrets, **COMPOSE_ENV},
        check=False,
    )
    assert resolved.returncode == 0, resolved.stderr
    services = yaml.safe_load(resolved.stdout)["services"]
    for service, port in PORTS.items():
        published = {
            (p["published"], p["target"]) if isinstance(p, dict) else tuple(p.split(":"))
            for p in services[service]["ports"]
        }
        assert {(str(a), str(b)) for a, b in published} == {(str(port), str(port))}
    check_compose_structure(compose())


def check_compose_structure(doc: Doc) -> None:
    assert {k for k in doc if not k.startswith("x-")} <= {"services", "volumes", "secrets"}
    services: dict[str, Doc] = doc["services"]
    volumes = doc.get("volumes") or {}
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        if build := service.get("build"):
            context = (COMPOSE_FILE.parent / build["context"]).resolve()
            assert context == ROOT, "the build context is the repository root"
            assert (context / build["dockerfile"]).is_file()
            assert build["target"] in dockerfile_stages()
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            assert rule["condition"] in {
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            }
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], dependency
            if rule["condition"] == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", dependency
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith((".", "/")):
                assert (COMPOSE_FILE.parent / source).exists(), mount
            else:
                assert source in volumes, f"undeclared volume {source}"
        if check := service.get("healthcheck"):
            assert check["test"][0] in {"CMD", "CMD-SHELL"}
        for port in service.get("ports", []):
            assert re.fullmatch(r"\d+:\d+", port), port


def test_compose_secrets_are_required_not_written() -> None:
    for match in compose_variables():
        if re.search(r"PASSWORD|TOKEN|SECRET", match["name"]):
            assert match["op"] == ":?", f"{match[0]}: a secret must be ${{VAR:?...}}"
    for name, service in compose()["services"].items():
        for key, value in service.get("environment", {}).items():
            if re.search(r"PASSWORD|TOKEN|DATABASE_URL", key):
                assert re.search(r"\$\{[A-Z0-9_]+:\?", str(value)), f"{name}.{key} is written out"


def test_compose_databases_are_created_and_migrated_before_the_services() -> None:
    services = compose()["services"]
    init_sql = (DEPLOY / "postgres-init" / "10-create-databases.sh").read_text(encoding="utf-8")
    for service in PORTS:
        assert f"CREATE DATABASE {service} OWNER {service}" in init_sql
        migrate = services[f"{service}-migrate"]
        assert command_line(migrate["command"]) == [service, "migrate"]
        assert services[service]["depends_on"][f"{service}-migrate"] == {
            "condition": "service_completed_successfully"
        }
        environment = services[service]["environment"]
        # The service logs in as a role that owns nothing; migrations run as the owner.
        url = interpolate(environment[f"{service.upper()}_DATABASE_URL"], COMPOSE_ENV)
        assert urlsplit(url).path == f"/{service}" and urlsplit(url).username == f"{service}_app"
        assert f"CREATE ROLE {service}_app LOGIN" in init_sql
        owner = interpolate(environment[f"{service.upper()}_DATABASE_OWNER_URL"], COMPOSE_ENV)
        assert urlsplit(owner).path == f"/{service}" and urlsplit(owner).username == service


def test_compose_ports_and_healthchecks_agree() -> None:
    services = compose()["services"]
    for service, port in PORTS.items():
        assert services[service]["ports"] == [f"{port}:{port}"]
        probe = " ".join(services[service]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/livez" in probe
    assert services["issuer"]["environment"]["ISSUER_REGISTRY_URL"] == "http://registry:8001"
    config = find("ConfigMap", "issuer-config")
    assert (
        config and config["data"]["ISSUER_REGISTRY_URL"] == f"http://registry:{PORTS['registry']}"
    )


def test_compose_key_bootstrap_calls_an_existing_function() -> None:
    (service,) = [
        s
        for s in compose()["services"].values()
        if command_line(s.get("command", []))[:1] == ["python"]
    ]
    assert "create_development_pki" in service["command"][-1]
    try:
        from services.issuer.signing import create_development_pki
    except ImportError as exc:
        print(f"services.issuer.signing is not importable ({exc}); not checked")
        return
    assert "passphrase" in inspect.signature(create_development_pki).parameters
