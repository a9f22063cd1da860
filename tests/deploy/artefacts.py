"""Readers for the deployment artefacts under deploy/: YAML, the Dockerfile, compose.

Plain functions over files, so the tests read as statements about the deployment.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
KUSTOMIZATION = K8S / "kustomization.yaml"
SECRETS_TEMPLATE = K8S / "secrets.template.yaml"

# What the deployment promises: each service, its port, and its uvicorn factory.
PORTS = {"registry": 8001, "issuer": 8002}
FACTORIES = {"registry": "services.registry.app:main_app", "issuer": "services.issuer.app:main_app"}
# Image name (before kustomize rewrites it) -> service.
IMAGES = {"movimientos-registry": "registry", "movimientos-issuer": "issuer"}
CNPG_API = "postgresql.cnpg.io/v1"

Doc = dict[str, Any]


# --- YAML -------------------------------------------------------------------------


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


@cache
def load_documents(path: Path) -> tuple[Doc, ...]:
    with path.open(encoding="utf-8") as fh:
        return tuple(doc for doc in yaml.safe_load_all(fh) if doc is not None)


def manifests() -> list[tuple[Path, Doc]]:
    """Every Kubernetes object under deploy/k8s (the Kustomization is not one)."""
    return [
        (path, doc)
        for path in yaml_files()
        if path.is_relative_to(K8S) and path != KUSTOMIZATION
        for doc in load_documents(path)
    ]


def manifest_id(path: Path, doc: Doc) -> str:
    return f"{path.name}:{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def find(kind: str, name: str) -> Doc | None:
    for _, doc in manifests():
        if doc.get("kind") == kind and doc["metadata"]["name"] == name:
            return doc
    return None


def secret_keys(doc: Doc) -> dict[str, str]:
    """A Secret's keys with their (placeholder) values; `data` stays base64."""
    return {**doc.get("data", {}), **doc.get("stringData", {})}


@dataclass(frozen=True)
class Container:
    """A container running one of our images, with where it came from."""

    where: str
    kind: str  # of the workload: Deployment or Job
    service: str
    spec: Doc
    pod: Doc = field(repr=False)


def our_containers() -> Iterator[Container]:
    for path, doc in manifests():
        if doc["kind"] not in {"Deployment", "Job"}:
            continue
        pod = doc["spec"]["template"]["spec"]
        for spec in [*pod.get("initContainers", []), *pod["containers"]]:
            image = spec["image"].split(":")[0]
            if image in IMAGES:
                yield Container(manifest_id(path, doc), doc["kind"], IMAGES[image], spec, pod)


# --- Dockerfile ---------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def last(self, instruction: str) -> str | None:
        found = [args for op, args in self.instructions if op == instruction]
        return found[-1] if found else None


@cache
def dockerfile_stages() -> dict[str, Stage]:
    """Stages by name; comment lines inside continuations are dropped, as Docker does."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in logical:
        op, _, args = line.partition(" ")
        op = op.upper()
        if op == "FROM":
            words = args.split()
            name = words[2] if len(words) > 2 and words[1].upper() == "AS" else words[0]
            current = stages[name] = Stage(name, words[0])
        elif current is not None:
            current.instructions.append((op, args.strip()))
    return stages


def exec_form(args: str) -> list[str]:
    """`CMD ["a", "b"]` -> ["a", "b"]; shell form is refused (no signal forwarding)."""
    parsed = json.loads(args)
    assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed), args
    return parsed


def healthcheck_command(stage: Stage) -> list[str]:
    args = stage.last("HEALTHCHECK")
    assert args, f"stage {stage.name} has no HEALTHCHECK"
    _, _, command = args.partition("CMD ")
    return exec_form(command)


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


# --- compose ------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}")


def compose() -> Doc:
    (doc,) = load_documents(COMPOSE_FILE)
    return doc


def compose_variables() -> list[re.Match[str]]:
    return list(_VARIABLE.finditer(COMPOSE_FILE.read_text(encoding="utf-8")))


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, enough for this file."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if env.get(name):
            return env[name]
        if op in {":-", "-"}:
            return arg
        raise KeyError(f"${{{name}}} is required: {arg}")

    return _VARIABLE.sub(one, value)


def compose_service_of(service: Doc) -> str | None:
    """Which of our services a compose service runs (by its build target), if any."""
    build = service.get("build")
    if isinstance(build, dict) and build.get("dockerfile") == "deploy/Dockerfile":
        target = build.get("target")
        return target if isinstance(target, str) else None
    return None


def command_line(value: str | list[str]) -> list[str]:
    return shlex.split(value) if isinstance(value, str) else value


# --- what a process sees --------------------------------------------------------------

# Dummy values for compose's ${VAR:?...} secrets.
COMPOSE_ENV = {m["name"]: f"dummy-{m['name'].lower()}" for m in compose_variables()}


def container_port(container: Container, port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container.spec["ports"] if p.get("name") == port]
    return int(number)


def probes(container: Container) -> Iterator[tuple[str, Doc]]:
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        if kind in container.spec:
            yield kind, container.spec[kind]["httpGet"]


def kubernetes_environment(container: Container) -> dict[str, str]:
    """What the container's process sees, Secrets taken from the template."""
    env: dict[str, str] = {}
    for source in container.spec.get("envFrom", []):
        for ref_kind, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            if ref := source.get(ref_kind):
                found = find(kind, ref["name"])
                assert found or ref.get("optional"), f"{container.where}: {kind} {ref['name']}"
                if found:
                    env |= found.get("data", {}) | found.get("stringData", {})
    for item in container.spec.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        secret = find("Secret", ref["name"])
        assert secret, f"{container.where}: Secret {ref['name']} is not in the template"
        assert ref["key"] in secret_keys(secret), f"{container.where}: {ref}"
        if ref["key"] in secret.get("stringData", {}):
            env[item["name"]] = secret["stringData"][ref["key"]]
        else:
            env[item["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
    return env


def compose_environment(service: Doc) -> dict[str, str]:
    raw = service.get("environment", {})
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {key: interpolate(str(value), COMPOSE_ENV) for key, value in raw.items()}


def every_environment() -> Iterator[tuple[str, str, dict[str, str]]]:
    for container in our_containers():
        yield container.where, container.service, kubernetes_environment(container)
    for name, service in compose()["services"].items():
        if (ours := compose_service_of(service)) is not None:
            yield f"docker-compose.yml:{name}", ours, compose_environment(service)
