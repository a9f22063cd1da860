"""Guard for the synchronous entry points that drive pyHanko's async core."""

from __future__ import annotations

import asyncio


def ensure_worker_thread() -> None:
    """Fail fast, with a helpful message, when called on a running event loop.

    pyHanko's sync API (and our validator) run their coroutines with ``asyncio.run``,
    which cannot nest; without this check the caller gets a bare RuntimeError plus a
    "coroutine was never awaited" warning, and the CPU-bound work would block the loop.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError("signing/validation is blocking; call it via anyio.to_thread.run_sync(...)")
