"""X-Request-ID: accepted from the caller (or generated), echoed, logged, forwarded.

The middleware is asgi-correlation-id's, configured for our header and our notion of an
acceptable caller-supplied id; this module keeps the names the rest of the code uses.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from asgi_correlation_id import CorrelationIdMiddleware, correlation_id

HEADER = "X-Request-ID"
# Caller-supplied ids end up in logs and in the registry's access log: keep them tame.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def current_request_id() -> str | None:
    return correlation_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def acceptable(supplied: str) -> bool:
    """A caller's id is kept when it is short and plain (a trace id, a UUID, a ticket)."""
    return _ACCEPTABLE.match(supplied) is not None


@dataclass
class RequestIdMiddleware(CorrelationIdMiddleware):
    """Any other id (too long, spaces, control characters) is replaced by a new one."""

    header_name: str = HEADER
    generator: Callable[[], str] = field(default=new_request_id)
    validator: Callable[[str], bool] | None = field(default=acceptable)
