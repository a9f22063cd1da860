"""Where certificates are rendered: worker processes, so the event loop keeps its GIL.

Rendering is pure-Python CPU work (reportlab, ~100 ms for 50 movements). In threads of
the server's own process, twenty issuances in flight meant twenty threads taking turns
on the interpreter lock with the event loop, and ``/livez`` waited for its turn. In a
small pool of processes (``ISSUER_RENDER_PROCESSES``) the PDFs are made on other cores
and the server only ships ~4 kB of content out and the PDF back. The pool is bounded:
further renders queue for a free process (STYLE.md habit 19).

``ISSUER_RENDER_PROCESSES=0`` renders in threads of the server instead, as before
(tests that inject faults into the rendering; a development machine). One pool per
server process, shared by every app it hosts, started by the lifespan (or on first
use); "spawn", because forking a process that runs threads and an event loop is unsafe.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

import anyio

from services.issuer.certificates.rendering import CertificateContent, render_certificate

_pools: dict[int, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def _warm_up() -> None:
    """Import reportlab and the fonts once per process, not in the first request."""
    import services.issuer.certificates.rendering  # noqa: F401


def _pool(processes: int) -> ProcessPoolExecutor:
    with _pools_lock:
        pool = _pools.get(processes)
        if pool is None:
            pool = ProcessPoolExecutor(
                processes, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up
            )
            _pools[processes] = pool
        return pool


async def start(processes: int) -> None:
    """Spawn the pool's processes and load reportlab in each (the lifespan awaits it)."""
    if processes:
        pool = _pool(processes)
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(pool, _warm_up) for _ in range(processes)))


def shutdown() -> None:
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)


def _discard(processes: int, pool: ProcessPoolExecutor) -> None:
    with _pools_lock:
        if _pools.get(processes) is pool:
            del _pools[processes]
    pool.shutdown(wait=False, cancel_futures=True)


async def render(content: CertificateContent, *, processes: int) -> bytes:
    if processes == 0:
        return await anyio.to_thread.run_sync(partial(render_certificate, content))
    pool = _pool(processes)
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, render_certificate, content)
    except BrokenProcessPool:
        # A render process died (killed, out of memory): the next render starts a new
        # pool; this issuance fails and its request is finished by the pending worker.
        _discard(processes, pool)
        raise
