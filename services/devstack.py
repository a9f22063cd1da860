"""``make run``: both services on one machine with nothing installed beforehand.

Starts the embedded PostgreSQL (unless REGISTRY_DATABASE_URL / ISSUER_DATABASE_URL
point elsewhere), applies both services' migrations, creates development keys and
demo clients when missing, writes ``.data/dev-credentials.json``, and serves the
registry on :8001 and the issuer on :8002 until Ctrl-C.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time

import httpx

from services.devstack_credentials import CREDENTIALS, ensure_credentials
from shared import migrate
from shared.devdb import DATA_DIR, service_database_from_env
from shared.settings import database_url_from_env

log = logging.getLogger("devstack")

KEYS = DATA_DIR / "keys"
REGISTRY_PORT = int(os.environ.get("REGISTRY_PORT", "8001"))
ISSUER_PORT = int(os.environ.get("ISSUER_PORT", "8002"))
HOST = "127.0.0.1"


def _step(message: str) -> None:
    print(f"==> {message}", flush=True)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    DATA_DIR.mkdir(exist_ok=True)
    _step("starting PostgreSQL" + ("" if _external() else " (embedded, data in .data/postgres)"))
    # The owner migrates; the services (and the demo clients below) log in as roles that
    # own nothing and cannot rewrite history (shared/grants.py).
    registry_db = service_database_from_env("REGISTRY_", "registry")
    issuer_db = service_database_from_env("ISSUER_", "issuer")
    registry_url, issuer_url = registry_db.app_url, issuer_db.app_url

    _step("applying migrations")
    migrate.upgrade("registry", registry_db.owner_url, app_role=registry_db.app_role)
    migrate.upgrade("issuer", issuer_db.owner_url, app_role=issuer_db.app_role)

    _step("development keys and demo clients")
    credentials = ensure_credentials(
        registry_url=registry_url,
        issuer_url=issuer_url,
        keys_dir=KEYS,
        registry_base=f"http://{HOST}:{REGISTRY_PORT}",
        issuer_base=f"http://{HOST}:{ISSUER_PORT}",
    )
    public = {**credentials.public, "databases": {"registry": registry_url, "issuer": issuer_url}}
    CREDENTIALS.write_text(json.dumps(public, indent=2) + "\n")
    CREDENTIALS.chmod(0o600)

    # Per-token limits are off on a developer's stack (load tests, demo batches) unless
    # set; public per-address limits stay on, as in production.
    per_token_off = {"REGISTRY_RATE_LIMIT_PER_TOKEN": "off", "ISSUER_RATE_LIMIT_PER_TOKEN": "off"}
    env = {**per_token_off, **os.environ, "PYTHONUNBUFFERED": "1"}
    registry_env = {**env, "REGISTRY_DATABASE_URL": registry_url}
    issuer_env = {
        **env,
        "ISSUER_DATABASE_URL": issuer_url,
        "ISSUER_REGISTRY_URL": f"http://{HOST}:{REGISTRY_PORT}",
        "ISSUER_REGISTRY_TOKEN": credentials.issuer_registry_token,
        "ISSUER_PUBLIC_BASE_URL": os.environ.get(
            "ISSUER_PUBLIC_BASE_URL", f"http://{HOST}:{ISSUER_PORT}"
        ),
        "ISSUER_OFICIO_TRUST_ROOTS_PATH": os.environ.get(
            "ISSUER_OFICIO_TRUST_ROOTS_PATH", credentials.public["demo_oficio_ca"]
        ),
    }
    processes = [
        _serve("services.registry.app:main_app", REGISTRY_PORT, registry_env),
        _serve("services.issuer.app:main_app", ISSUER_PORT, issuer_env),
    ]
    try:
        _wait_ready(credentials.public)
        _banner(credentials.public)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        _step("a service stopped; shutting down the other")
    except KeyboardInterrupt:
        _step("stopping")
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _external() -> bool:
    return bool(database_url_from_env("REGISTRY_") and database_url_from_env("ISSUER_"))


def _serve(factory: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", HOST,
         "--port", str(port), "--no-access-log"],
        env=env,
    )  # fmt: skip


def _wait_ready(credentials: dict[str, object], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    for url in (credentials["registry_url"], credentials["issuer_url"]):
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"{url} did not become ready in {timeout:.0f} s; see its log above"
                )
            time.sleep(0.3)


def _banner(credentials: dict[str, object]) -> None:
    print(
        f"""
  Registry  {credentials["registry_url"]}/docs
  Issuer    {credentials["issuer_url"]}/docs
  Tokens    {CREDENTIALS}  (terminal, supervisor, registry_admin, authority, issuer_admin)
  CA        {credentials["ca_certificate"]}

  Try:  make demo        (in another terminal)
  Stop: Ctrl-C
""",
        flush=True,
    )


if __name__ == "__main__":
    main()
