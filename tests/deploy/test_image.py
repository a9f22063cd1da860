"""The Dockerfile's targets serve the right factory on the right port, and the
commands the deployment runs exist."""

from __future__ import annotations

import importlib
import re
import tomllib
from fnmatch import fnmatch

import pytest

from tests.deploy.artefacts import (
    DEPLOY,
    FACTORIES,
    PORTS,
    ROOT,
    command_line,
    compose,
    compose_service_of,
    dockerfile_stages,
    exec_form,
    healthcheck_command,
    option,
    our_containers,
)


@pytest.mark.parametrize("service", PORTS)
def test_dockerfile_target_serves_the_factory_on_its_port(service: str) -> None:
    stage = dockerfile_stages()[service]
    port = PORTS[service]
    assert stage.last("EXPOSE") == str(port)
    cmd = exec_form(stage.last("CMD") or "null")
    assert cmd[0] == "uvicorn" and "--proxy-headers" in cmd
    assert option(cmd, "--factory") == FACTORIES[service]
    assert option(cmd, "--port") == str(port) and option(cmd, "--host") == "0.0.0.0"
    probe = " ".join(healthcheck_command(stage))
    assert f"http://127.0.0.1:{port}/livez" in probe and probe.startswith("python ")

    runtime = dockerfile_stages()[stage.base]
    assert runtime.base == dockerfile_stages()["builder"].base == "${PYTHON_IMAGE}"
    user = runtime.last("USER") or "root"
    assert re.fullmatch(r"[1-9]\d*(:\d+)?", user), "numeric non-root USER (runAsNonRoot)"


def test_dockerfile_builds_with_frozen_lock_and_no_dev_dependencies() -> None:
    runs = [args for op, args in dockerfile_stages()["builder"].instructions if op == "RUN"]
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs and all("--frozen" in run and "--no-dev" in run for run in syncs)


@pytest.mark.parametrize("service", PORTS)
def test_uvicorn_factory_exists(service: str) -> None:
    module_name, _, attribute = FACTORIES[service].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if service == "registry":
            raise
        print(f"{module_name} is not importable ({exc}); checking the source instead")
        source = ROOT / (module_name.replace(".", "/") + ".py")
        assert f"def {attribute}(" in source.read_text(encoding="utf-8")
        return
    assert callable(getattr(module, attribute))


def test_dockerignore_keeps_out_local_state_but_not_build_inputs() -> None:
    patterns = [
        line.strip()
        for line in (DEPLOY / "dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {".git", ".venv", ".data"} <= set(patterns)
    for op, args in dockerfile_stages()["builder"].instructions:
        if op == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source
                assert not any(fnmatch(source, pattern) for pattern in patterns), source


def test_migration_commands_exist_in_the_clis() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    commands = [(c.service, c.spec["command"]) for c in our_containers() if c.kind == "Job"]
    commands += [
        (ours, command_line(service["command"]))
        for name, service in compose()["services"].items()
        if (ours := compose_service_of(service)) and name.endswith("-migrate")
    ]
    assert len(commands) == 4
    for service, argv in commands:
        assert argv == [service, "migrate"]
        module, _, attribute = scripts[service].partition(":")
        try:
            cli = getattr(importlib.import_module(module), attribute)
        except ImportError as exc:
            if service == "registry":
                raise
            print(f"{module} is not importable ({exc}); console script name checked only")
            continue
        assert "migrate" in {command.name for command in cli.registered_commands}
