"""Hot-path connections for tests that call the registry's services directly."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import SessionConnections


def joined(session: AsyncSession) -> SessionConnections:
    """Connections joined to the test's rolled-back transaction (a savepoint per acquire),
    as the app's are under the ``registry`` fixture."""
    return SessionConnections(
        async_sessionmaker(bind=session.bind, join_transaction_mode="create_savepoint")
    )
