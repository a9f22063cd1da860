"""Kubernetes (deploy/k8s): schemas, CloudNativePG, kustomize, and agreement with the code.

Offline: kubernetes-validate's bundled schemas, and kubectl/kustomize only if
installed (the test says which path it took).
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from tests.deploy.artefacts import (
    CNPG_API,
    DEPLOY,
    K8S,
    KUSTOMIZATION,
    PORTS,
    SECRETS_TEMPLATE,
    Doc,
    container_port,
    find,
    kubernetes_environment,
    load_documents,
    manifest_id,
    manifests,
    our_containers,
    probes,
    secret_keys,
    yaml_files,
)
from tests.deploy.codebase import app_routes

# The oldest Kubernetes minor the manifests must be valid for.
K8S_VERSION = "1.30"

# PgBouncer parameters CloudNativePG lets a Pooler set (its admission allowlist, in
# part): anything else is rejected when applied.
CNPG_POOLER_PARAMETERS = frozenset(
    {
        "default_pool_size",
        "idle_transaction_timeout",
        "max_client_conn",
        "max_db_connections",
        "max_prepared_statements",
        "max_user_connections",
        "min_pool_size",
        "query_timeout",
        "query_wait_timeout",
        "reserve_pool_size",
        "server_idle_timeout",
        "server_lifetime",
    }
)


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_parses_into_objects(path: Path) -> None:
    documents = load_documents(path)
    assert documents, f"{path} is empty"
    assert all(isinstance(doc, dict) for doc in documents)


@pytest.mark.parametrize(
    ("path", "doc"), manifests(), ids=[manifest_id(p, d) for p, d in manifests()]
)
def test_manifest_is_valid(path: Path, doc: Doc) -> None:
    assert doc["metadata"]["name"]
    if doc["apiVersion"] == CNPG_API:
        # kubernetes-validate ships the core API schemas only, not CloudNativePG's
        # CRDs: check what the operator needs ourselves instead.
        check_cloudnativepg(doc)
        return
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(p) for p in exc.path)
        pytest.fail(f"{manifest_id(path, doc)} at {where}: {exc.message}")


def check_cloudnativepg(doc: Doc) -> None:
    kind, name, spec = doc["kind"], doc["metadata"]["name"], doc["spec"]
    if kind == "Cluster":
        assert spec["instances"] == 3, "three instances: a primary and two standbys"
        assert spec["storage"]["size"]
        initdb = spec["bootstrap"]["initdb"]
        assert initdb["database"] and initdb["owner"] and initdb["secret"]["name"]
        for role in spec.get("managed", {}).get("roles", []):
            assert role["name"] and role["passwordSecret"]["name"] and role.get("login")
    elif kind == "Pooler":
        assert name != spec["cluster"]["name"], "a Pooler may not share its Cluster's name"
        assert find("Cluster", spec["cluster"]["name"]), "the Pooler's Cluster is defined"
        assert spec["type"] in {"rw", "ro"} and spec["instances"] >= 2
        pgbouncer = spec["pgbouncer"]
        assert pgbouncer["poolMode"] == "transaction"
        parameters = pgbouncer.get("parameters", {})
        assert all(isinstance(v, str) for v in parameters.values()), "map[string]string"
        assert set(parameters) <= CNPG_POOLER_PARAMETERS, set(parameters) - CNPG_POOLER_PARAMETERS
        # asyncpg names its prepared statements: without PgBouncer tracking them,
        # transaction pooling breaks (deploy/README.md).
        assert int(parameters.get("max_prepared_statements", "0")) > 0
        if "template" in spec:
            assert "containers" in spec["template"]["spec"], "PodSpec requires containers"
    elif kind == "Database":
        cluster = find("Cluster", spec["cluster"]["name"])
        assert cluster, "the Database's Cluster is defined"
        owners = {cluster["spec"]["bootstrap"]["initdb"]["owner"]} | {
            role["name"] for role in cluster["spec"].get("managed", {}).get("roles", [])
        }
        assert spec["owner"] in owners
        assert spec["name"] not in {"postgres", "template0", "template1"}
        assert spec.get("databaseReclaimPolicy", "retain") == "retain", "never drop on delete"
    else:
        pytest.fail(f"no structural check for CloudNativePG {kind}")


def test_kustomization_lists_every_manifest_but_the_secret_template() -> None:
    (kustomization,) = load_documents(KUSTOMIZATION)
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {KUSTOMIZATION.name}
    # Applying the template would reset real Secrets to REPLACE_ME on every deploy.
    assert SECRETS_TEMPLATE.name not in listed
    assert listed == on_disk - {SECRETS_TEMPLATE.name}
    assert {image["name"] for image in kustomization["images"]} == {
        "movimientos-registry",
        "movimientos-issuer",
    }

    builder = (
        ["kubectl", "kustomize"]
        if shutil.which("kubectl")
        else ["kustomize", "build"]
        if shutil.which("kustomize")
        else None
    )
    if builder is None:
        print("kustomize check: no kubectl/kustomize on PATH; resource list checked in Python")
        return
    print(f"kustomize check: {' '.join(builder)} {K8S}")
    built = subprocess.run(
        [*builder, str(K8S)], capture_output=True, text=True, timeout=60, check=False
    )
    assert built.returncode == 0, built.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(built.stdout) if doc]
    assert "Secret" not in kinds
    assert {"Deployment", "Job", "Cluster", "Pooler"} <= set(kinds)


def test_kubernetes_ports_and_probes_agree() -> None:
    deployments = [c for c in our_containers() if c.kind == "Deployment"]
    assert {c.service for c in deployments} == set(PORTS)
    for container in deployments:
        port = PORTS[container.service]
        assert [p["containerPort"] for p in container.spec["ports"]] == [port]
        kinds = dict(probes(container))
        assert kinds["livenessProbe"]["path"] == "/livez"
        assert kinds["readinessProbe"]["path"] == "/readyz"
        for probe in kinds.values():
            assert container_port(container, probe["port"]) == port

        service = find("Service", container.service)
        assert service and service["spec"]["type"] == "ClusterIP"
        (exposed,) = service["spec"]["ports"]
        assert exposed["port"] == port
        assert container_port(container, exposed["targetPort"]) == port


def test_selectors_match_their_pods() -> None:
    for service in PORTS:
        deployment = find("Deployment", service)
        assert deployment
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert deployment["spec"]["replicas"] == 2
        for kind in ("Service", "PodDisruptionBudget"):
            found = find(kind, service)
            assert found, f"{kind}/{service}"
            selector = found["spec"]["selector"]
            assert selector.get("matchLabels", selector).items() <= labels.items()
        hpa = find("HorizontalPodAutoscaler", service)
        assert hpa and hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": service,
        }
        assert hpa["spec"]["minReplicas"] >= 2
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


@pytest.mark.parametrize("service", PORTS)
def test_probe_paths_are_routes_of_the_app(service: str) -> None:
    routes = app_routes(service)
    if routes is None:
        return
    used = {"/livez"}  # the Dockerfile and compose health checks
    for container in our_containers():
        if container.service == service:
            used |= {probe["path"] for _, probe in probes(container)}
    assert {"/livez", "/readyz"} <= used
    assert used <= routes, used - routes


def test_issuer_key_files_are_mounted_where_settings_point() -> None:
    (container,) = [c for c in our_containers() if c.where == "issuer.yaml:Deployment/issuer"]
    env = kubernetes_environment(container)
    volumes = {v["name"]: v for v in container.pod["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container.spec["volumeMounts"]}
    for setting in ("ISSUER_SIGNING_P12_PATH", "ISSUER_CA_CERTIFICATE_PATH"):
        path = Path(env[setting])
        volume = mounts[str(path.parent)]
        secret = find("Secret", volume["secret"]["secretName"])
        assert secret
        (item,) = [i for i in volume["secret"]["items"] if i["path"] == path.name]
        assert item["key"] in secret_keys(secret)
    assert "/tmp" in {m["mountPath"] for m in container.spec["volumeMounts"]}
    assert container.spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert container.pod["securityContext"]["runAsNonRoot"] is True


def test_secret_template_holds_only_placeholders() -> None:
    for secret in load_documents(SECRETS_TEMPLATE):
        assert secret["kind"] == "Secret" and secret["metadata"]["namespace"] == "movimientos"
        for key, value in secret.get("stringData", {}).items():
            if key != "username":
                assert "REPLACE_ME" in value, f"{secret['metadata']['name']}.{key}"
        for key, value in secret.get("data", {}).items():
            assert b"REPLACE_ME" in base64.b64decode(value), f"{secret['metadata']['name']}.{key}"


def test_database_urls_point_at_the_pooler_and_the_primary() -> None:
    cluster = find("Cluster", "movimientos-db")
    (pooler,) = [doc for _, doc in manifests() if doc["kind"] == "Pooler"]
    assert cluster and pooler["spec"]["cluster"]["name"] == "movimientos-db"
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    (database,) = [doc for _, doc in manifests() if doc["kind"] == "Database"]
    # Each service has an owner (migrations) and a login role that owns nothing.
    logins = {
        initdb["owner"]: (initdb["database"], initdb["secret"]["name"]),
        "issuer": (database["spec"]["name"], roles["issuer"]["passwordSecret"]["name"]),
        **{
            f"{service}_app": (service, roles[f"{service}_app"]["passwordSecret"]["name"])
            for service in PORTS
        },
    }
    assert set(roles) == {"issuer", "registry_app", "issuer_app"}
    assert initdb["owner"] == "registry"
    for service in PORTS:
        assert not roles[f"{service}_app"]["superuser"]
    for login, (database_name, secret_name) in logins.items():
        secret = find("Secret", secret_name)
        assert secret and secret["type"] == "kubernetes.io/basic-auth"
        values = secret["stringData"]
        assert values["username"] == login
        for key, host in (
            ("pooled-url", pooler["metadata"]["name"]),
            ("direct-url", f"{cluster['metadata']['name']}-rw"),
        ):
            url = urlsplit(values[key])
            assert (url.scheme, url.hostname, url.port) == ("postgresql", host, 5432), key
            assert (url.username, url.password) == (login, values["password"]), key
            assert url.path == f"/{database_name}", key
    for container in our_containers():
        (url_ref,) = [
            item["valueFrom"]["secretKeyRef"]
            for item in container.spec["env"]
            if item["name"].endswith("_DATABASE_URL")
        ]
        if container.kind == "Job":  # migrations: the owner, straight to the primary
            assert url_ref == {"name": f"{container.service}-database", "key": "direct-url"}
        else:  # the service: its own role, through the pooler
            assert url_ref == {"name": f"{container.service}-database-app", "key": "pooled-url"}


def test_secret_volumes_and_references_resolve() -> None:
    for container in our_containers():
        kubernetes_environment(container)  # asserts every env reference
        for volume in container.pod.get("volumes", []):
            if secret_volume := volume.get("secret"):
                secret = find("Secret", secret_volume["secretName"])
                assert secret, volume
                for item in secret_volume.get("items", []):
                    assert item["key"] in secret_keys(secret), item
            if config_volume := volume.get("configMap"):
                assert find("ConfigMap", config_volume["name"]) or config_volume.get("optional")
