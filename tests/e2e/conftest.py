"""Real sockets: each service served by an in-process uvicorn on a free local port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

# The issuer's own fixtures (scratch database, PKIs): the e2e run gets its own copies, so
# its worker sees only this directory's requests.
from tests.issuer.conftest import (  # noqa: F401
    authority_pki,
    dev_pki,
    issuer_database,
    issuer_db_url,
    reader_token,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[str]:
    """Serve ``app`` (lifespan included) on 127.0.0.1:port until the block exits."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(15):
            while not server.started:
                if task.done():
                    task.result()  # startup failed: raise its error here
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
