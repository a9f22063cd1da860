"""Where certificates are made: rendered *and signed* in worker processes, at a lower
priority, so the event loop keeps both its GIL and the CPU.

Rendering (reportlab, ~100 ms for 50 movements) and signing (pyHanko, ~100 ms) are both
mostly pure-Python CPU work. Rendering moved here first; signing stayed in threads of the
server ("the key stays here"), and on two cores two signing threads still took turns on
the interpreter lock with the event loop: ``GET /livez`` had a p99 of ~200 ms while 20
certificates were being issued. Now the server ships ~4 kB of content to a process of a
small pool (``ISSUER_RENDER_PROCESSES``) and gets the signed PDF back.

Why the signing key may live in these processes too: they are part of the issuer, not
another service. Same host, same user, spawned by the server and ended with it; each
loads the same PKCS#12 file with the same password from the server's own settings, once,
in its initializer (the key is never sent over the pipe: only content goes in, only the
signed PDF comes out). Nothing can read the key there that could not read it from the
server's memory or its key file.

The processes run ``nice``-d (``ISSUER_RENDER_NICENESS``): when the cores are busy (the
registry, PostgreSQL, several issuances) the kernel runs the event loop first, and a
probe or a cheap request does not queue behind a PDF. The pool is bounded: further
certificates queue for a free process (STYLE.md habit 19).

Errors cross the process boundary pickled, so the worker converts what must be told
apart before it leaves: a timestamp authority (TSA) failure becomes
:class:`TimestampFailed`, which the service maps to ``TimestampUnavailable``.

``ISSUER_RENDER_PROCESSES=0`` renders and signs in threads of the server instead (tests
that inject faults into the rendering; a development machine), signing bounded by
``ISSUER_SIGNING_THREADS``. One pool per server process and signing setup, shared by
every app it hosts, started by the lifespan (or on first use); "spawn", because forking
a process that runs threads and an event loop is unsafe.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import aiohttp
import anyio
from cryptography import x509

from services.issuer.certificates.rendering import CertificateContent, render_certificate
from services.issuer.signing import (
    LongTermValidation,
    SigningIdentity,
    load_signer,
    long_term_validation,
    sign_certificate_pdf,
)


class TimestampFailed(Exception):
    """The timestamp authority did not answer (raised in the worker; plain, so it pickles)."""


@dataclass(frozen=True)
class SigningSetup:
    """What a worker process needs to sign like the server would: where the key is, and
    the long-term validation inputs (DER, so that it pickles)."""

    p12_path: Path
    p12_password: bytes | None = field(repr=False)
    tsa_url: str | None = None
    tsa_timeout_seconds: float = 10.0
    trust_roots: tuple[bytes, ...] = ()
    signing_crls: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class Made:
    """A signed certificate, and how long signing it took."""

    pdf: bytes
    sign_seconds: float


# A worker process's signing identity and long-term validation, loaded by _start_worker.
_identity: SigningIdentity | None = None
_long_term: LongTermValidation | None = None


def _exit_with_server() -> None:
    # A worker blocks reading its task queue, whose pipe it holds both ends of: it would
    # outlive a server that exits without shutting the pool down (SIGTERM, a crash).
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
        os._exit(0)


def _start_worker(setup: SigningSetup | None, niceness: int) -> None:
    """Lower the priority, import reportlab and the fonts, load the key: once per process."""
    global _identity, _long_term
    threading.Thread(target=_exit_with_server, name="exit-with-server", daemon=True).start()
    if niceness:
        os.nice(niceness)
    import services.issuer.certificates.rendering  # noqa: F401

    if setup is None:
        return
    _identity = load_signer(setup.p12_path, setup.p12_password)
    if setup.tsa_url:
        _long_term = long_term_validation(
            setup.tsa_url,
            trust_roots=[x509.load_der_x509_certificate(c) for c in setup.trust_roots],
            crls=setup.signing_crls,
            chain=_identity.ca_certificates,
            timeout_seconds=setup.tsa_timeout_seconds,
        )


def _ready() -> None:
    """Submitted once per process by start(): returns when its initializer has run."""


def _sign(pdf: bytes, identity: SigningIdentity, long_term: LongTermValidation | None) -> bytes:
    try:
        return sign_certificate_pdf(pdf, identity, long_term=long_term)
    except (OSError, aiohttp.ClientError) as exc:  # TimestampRequestError is an OSError
        if long_term is None:
            raise
        raise TimestampFailed(f"Timestamp authority failed: {exc}") from None


def _make_here(content: CertificateContent) -> Made:
    """In a worker process: render, then sign with the key its initializer loaded."""
    assert _identity is not None, "the worker was started without a signing setup"
    pdf = render_certificate(content)
    rendered = time.perf_counter()
    signed = _sign(pdf, _identity, _long_term)
    return Made(signed, time.perf_counter() - rendered)


_PoolKey = tuple[int, int, SigningSetup]
_pools: dict[_PoolKey, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def _pool(key: _PoolKey) -> ProcessPoolExecutor:
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            processes, niceness, setup = key
            pool = ProcessPoolExecutor(
                processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(setup, niceness),
            )
            _pools[key] = pool
        return pool


async def start(processes: int, *, niceness: int, setup: SigningSetup) -> None:
    """Spawn the pool's processes, each loading reportlab and the key (the lifespan awaits
    it, so a key that cannot be loaded stops the server at startup)."""
    if processes:
        pool = _pool((processes, niceness, setup))
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, _ready) for _ in range(processes)))


def shutdown() -> None:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)


def _discard(key: _PoolKey, pool: ProcessPoolExecutor) -> None:
    with _pools_lock:
        if _pools.get(key) is pool:
            del _pools[key]
    pool.shutdown(wait=False, cancel_futures=True)


async def make(
    content: CertificateContent, *, processes: int, niceness: int, setup: SigningSetup
) -> Made:
    """Render and sign in a worker process. Raises TimestampFailed when the TSA fails."""
    key = (processes, niceness, setup)
    pool = _pool(key)
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, _make_here, content)
    except BrokenProcessPool:
        # A worker died (killed, out of memory): the next certificate starts a new pool;
        # this issuance fails and its request is finished by the pending worker.
        _discard(key, pool)
        raise


async def make_in_threads(
    content: CertificateContent,
    *,
    identity: SigningIdentity,
    long_term: LongTermValidation | None,
    signing: anyio.CapacityLimiter,
) -> Made:
    """``ISSUER_RENDER_PROCESSES=0``: the same, in threads of the server."""
    pdf = await anyio.to_thread.run_sync(partial(render_certificate, content))
    rendered = time.perf_counter()
    signed = await anyio.to_thread.run_sync(
        partial(_sign, pdf, identity, long_term), limiter=signing
    )
    return Made(signed, time.perf_counter() - rendered)
