"""Bearer tokens with scopes, checked before anything reads the request.

Tokens are random, shown once by the CLI, and stored only as SHA-256 hashes: a
token has 256 bits of entropy, so a fast hash is safe here (unlike passwords)
and keeps the per-request lookup cheap.

A route declares who may call it in its signature, with an alias built on
:func:`requires` (``caller: MovementWriter``). :class:`GuardedRoute` finds that
declaration and runs it *before* FastAPI reads the body, the path or the query:
a caller without a token gets 401 and one without the scope 403, whatever it
sent. The same declaration puts the bearer scheme and its scopes in OpenAPI.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from cachetools import TTLCache
from fastapi import Depends, Request, Response, Security
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute

from shared.db import get_connections
from shared.errors import Forbidden, Unauthenticated
from shared.request_body import read_json_body

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`Authorization: Bearer <token>`; tokens come from the services' CLIs.",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """The calling client, as the endpoints see it."""

    client_id: UUID
    name: str
    scopes: frozenset[str]
    # The issuer ties every authority's token to one competent authority; staff have none.
    authority_id: UUID | None = None


# Looks a token's hash up in the service's database; None when unknown or revoked.
TokenLookup = Callable[[str], Awaitable[Principal | None]]


class TokenCache:
    """Recently seen tokens, kept for a few seconds.

    Every authenticated request would otherwise cost a database round trip. Only known
    tokens are cached (a flood of random tokens cannot evict them), and only briefly,
    so a revoked token stops working within ``ttl_seconds``.
    """

    def __init__(self, lookup: TokenLookup, *, ttl_seconds: float, max_entries: int = 10_000):
        self._lookup = lookup
        self._known: TTLCache[str, Principal] | None = (
            TTLCache(maxsize=max_entries, ttl=ttl_seconds) if ttl_seconds > 0 else None
        )

    async def principal(self, token_hash: str) -> Principal | None:
        if self._known is not None and (hit := self._known.get(token_hash)) is not None:
            return hit
        found = await self._lookup(token_hash)
        if found is not None and self._known is not None:
            self._known[token_hash] = found
        return found


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send Authorization: Bearer <token>.")
    return token.strip()


def parse_scopes(raw: str, *, allowed: Collection[str]) -> list[str]:
    scopes = sorted({s.strip() for s in raw.split(",") if s.strip()})
    unknown = [s for s in scopes if s not in allowed]
    if unknown or not scopes:
        raise ValueError(f"unknown scopes {unknown}; choose from {sorted(allowed)}")
    return scopes


async def authenticate(request: Request, any_of: Collection[str]) -> Principal:
    """401 without a known token, 403 without one of ``any_of``; then the per-token limit."""
    tokens: TokenCache = request.app.state.tokens
    principal = await tokens.principal(hash_token(bearer_token(request)))
    if principal is None:
        raise Unauthenticated("Unknown or revoked token.")
    if not principal.scopes.intersection(any_of):
        raise Forbidden(f"This operation needs the scope {' or '.join(sorted(any_of))}.")
    await request.app.state.rate_limits.per_token(str(principal.client_id))
    return principal


async def _authorized(
    request: Request,
    security_scopes: SecurityScopes,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    # GuardedRoute has already checked the caller before the body was read.
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # a route outside GuardedRoute is still checked, only later
        principal = await authenticate(request, security_scopes.scopes)
    return principal


def requires(*any_of: str) -> Any:
    """The dependency a route declares its caller with; the caller needs one of ``any_of``."""
    return Security(_authorized, scopes=list(any_of))


async def _public_rate_limit(request: Request) -> None:
    # GuardedRoute counts the request before anything else; nothing left to do here.
    return None


# Declared by public routes that do work worth abusing: limited per client address.
PublicRateLimited = Depends(_public_rate_limit)


def _declared(dependant: Dependant, call: Callable[..., Any]) -> Dependant | None:
    for sub in dependant.dependencies:
        if sub.call is call:
            return sub
        if (found := _declared(sub, call)) is not None:
            return found
    return None


class GuardedRoute(APIRoute):
    """Authorisation (and rate limits) before the body, the path or the query are read.

    FastAPI decodes a JSON body and validates every parameter before it resolves any
    dependency, so a dependency alone would answer 422 to an unauthorised caller. This
    route class runs the route's declared :func:`requires` first.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        lean = _lean_handler(self)
        declared = _declared(self.dependant, _authorized)
        any_of = frozenset(declared.own_oauth_scopes or ()) if declared else None
        public_limited = _declared(self.dependant, _public_rate_limit) is not None
        has_parameters = "{" in self.path

        async def guarded(request: Request) -> Response:
            if has_parameters:
                _refuse_swallowed_literal(request)
            if any_of is not None:
                request.state.principal = await authenticate(request, any_of)
            elif public_limited:
                await request.app.state.rate_limits.per_address(client_address(request))
            return await (lean or handler)(request)

        return guarded


def _lean_handler(route: APIRoute) -> Callable[[Request], Coroutine[Any, Any, Response]] | None:
    """For a hot route that takes only its caller, one JSON body and request-level
    providers (``ConnectionsDep``): call the endpoint without FastAPI's dependency
    solver, which costs more than the rest of such a request. The body is read and
    validated by FastAPI's own functions, so errors are the same; a route with anything
    else (path, query, headers, other dependencies) keeps FastAPI's handler."""
    dependant = route.dependant
    if (
        dependant.path_params or dependant.query_params or dependant.header_params
        or dependant.cookie_params or len(dependant.body_params) != 1
        or route._embed_body_fields or dependant.request_param_name
        or dependant.response_param_name or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name or route.body_field is None
    ):  # fmt: skip
        return None
    providers: dict[str, Callable[[Request], Awaitable[Any]]] = {}
    for sub in dependant.dependencies:
        if sub.name is None:
            return None
        if sub.call is _authorized:
            providers[sub.name] = _principal_of
        elif sub.call in LEAN_PROVIDERS:
            providers[sub.name] = sub.call
        else:
            return None
    body_params = dependant.body_params
    endpoint = dependant.call
    assert endpoint is not None
    strict = bool(getattr(route.strict_content_type, "value", route.strict_content_type))

    async def lean(request: Request) -> Response:
        body = await read_json_body(request, strict_content_type=strict)
        values, errors = await request_body_to_args(body_params, body, embed_body_fields=False)
        if errors:
            raise RequestValidationError(errors, body=body)
        for name, provide in providers.items():
            values[name] = await provide(request)
        response = await endpoint(**values)
        assert isinstance(response, Response), "a lean endpoint returns its Response"
        return response

    return lean


async def _principal_of(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


# Dependencies a lean route may declare besides its caller: ``async def (request) -> value``.
LEAN_PROVIDERS: frozenset[Callable[..., Any]] = frozenset({get_connections})


def _refuse_swallowed_literal(request: Request) -> None:
    """``GET /v1/movements/batch`` matches ``GET /v1/movements/{movement_id}``; it means
    the batch route with the wrong method: 405, not a lookup of a movement "batch"."""
    literal_routes: dict[str, set[str]] = getattr(request.app.state, "literal_routes", {})
    if (methods := literal_routes.get(request.url.path)) is not None:
        raise HTTPException(
            405, "Method Not Allowed", headers={"Allow": ", ".join(sorted(methods))}
        )


def client_address(request: Request) -> str:
    # Behind a trusted proxy, ProxyHeadersMiddleware has already put the real client here.
    return request.client.host if request.client else "unknown"


def literal_routes(routes: Sequence[BaseRoute]) -> dict[str, set[str]]:
    """The methods of each parameter-free API path, e.g. ``{"/v1/movements/batch": {"POST"}}``."""
    found: dict[str, set[str]] = {}
    for context in iter_route_contexts(routes):
        path = context.path
        if isinstance(context.original_route, APIRoute) and path and "{" not in path:
            found.setdefault(path, set()).update(context.methods or ())
    return found
