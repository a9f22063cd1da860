"""``make run``: both services on one machine with nothing installed beforehand.

Starts the embedded PostgreSQL (unless REGISTRY_DATABASE_URL / ISSUER_DATABASE_URL
point elsewhere), applies both services' migrations, creates development keys and
demo clients when missing, writes ``.data/dev-credentials.json``, and serves the
registry on :8001 and the issuer on :8002 until SIGINT (Ctrl-C), SIGTERM or
SIGHUP. One service dying leaves the other up and is reported (see ``supervisor``).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from typing import Any

import httpx

from services.devstack.credentials import CREDENTIALS, Credentials, ensure_credentials
from services.devstack.supervisor import Service, Supervisor
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


def _exit_on(signum: int, _frame: object) -> None:
    # Before the services run, a stop is an exit: atexit then stops the embedded
    # PostgreSQL (Python's default for SIGTERM would skip it and leave it running).
    raise SystemExit(128 + signum)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on)
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

    services = [
        Service("registry", _uvicorn("services.registry.app:main_app", REGISTRY_PORT),
                {**_base_env(), "REGISTRY_DATABASE_URL": registry_url}),
        Service("issuer", _uvicorn("services.issuer.app:main_app", ISSUER_PORT),
                _issuer_env(issuer_url, credentials)),
    ]  # fmt: skip
    with Supervisor(services, say=_step) as supervisor:
        if _wait_ready(supervisor, credentials.public):
            _banner(credentials.public)
            supervisor.wait()
        if supervisor.stop_signal is not None:
            _step(f"{supervisor.stop_signal.name}: stopping the services, then PostgreSQL")
    if supervisor.stop_signal is None:
        raise SystemExit("every service stopped; see the messages above")


def _external() -> bool:
    return bool(database_url_from_env("REGISTRY_") and database_url_from_env("ISSUER_"))


def _base_env() -> dict[str, str]:
    # Per-token limits are off on a developer's stack (load tests, demo batches) unless
    # set; public per-address limits stay on, as in production.
    per_token_off = {"REGISTRY_RATE_LIMIT_PER_TOKEN": "off", "ISSUER_RATE_LIMIT_PER_TOKEN": "off"}
    return {**per_token_off, **os.environ, "PYTHONUNBUFFERED": "1"}


def _issuer_env(issuer_url: str, credentials: Credentials) -> dict[str, str]:
    """What the issuer needs to reach the registry; a value the user set is kept."""
    defaults = {
        "ISSUER_REGISTRY_URL": f"http://{HOST}:{REGISTRY_PORT}",
        "ISSUER_REGISTRY_TOKEN": credentials.issuer_registry_token,
        "ISSUER_PUBLIC_BASE_URL": f"http://{HOST}:{ISSUER_PORT}",
        "ISSUER_OFICIO_TRUST_ROOTS_PATH": credentials.public["demo_oficio_ca"],
    }
    env = _base_env()
    return {**env, **{k: v for k, v in defaults.items() if not env.get(k)}} | {
        "ISSUER_DATABASE_URL": issuer_url
    }


def _uvicorn(factory: str, port: int) -> list[str]:
    # --no-proxy-headers: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1,
    # i.e. from every client of this stack, which could then pick the address its public
    # limits count. Proxies are trusted only as *_TRUSTED_PROXIES says (none by default).
    return [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", HOST,
            "--port", str(port), "--no-access-log", "--no-proxy-headers"]  # fmt: skip


def _wait_ready(
    supervisor: Supervisor, credentials: dict[str, object], timeout: float = 180.0
) -> bool:
    """Wait for every service that is still running to answer /readyz; False on a stop."""
    deadline = time.monotonic() + timeout
    pending = {s.name: str(credentials[f"{s.name}_url"]) for s in supervisor.services}
    while pending:
        for name, url in list(pending.items()):
            service = next(s for s in supervisor.services if s.name == name)
            if not service.running or _ready(url):
                pending.pop(name)
        if not supervisor.wait(0.3):
            return False
        if pending and time.monotonic() > deadline:
            _step(f"{', '.join(pending)} did not become ready in {timeout:.0f} s; see the log")
            return True
    return True


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _banner(credentials: dict[str, Any]) -> None:
    print(
        f"""
  Registry  {credentials["registry_url"]}/docs
  Issuer    {credentials["issuer_url"]}/docs
  Tokens    {CREDENTIALS}  ({", ".join(credentials["tokens"])})
  CA        {credentials["ca_certificate"]}

  Try:  make demo        (in another terminal)
  Stop: Ctrl-C, or kill -TERM {os.getpid()}
""",
        flush=True,
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C while setting up: atexit still stops PostgreSQL
        raise SystemExit(130) from None
