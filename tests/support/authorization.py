"""An authorisation matrix generated from an app's own route table.

Every route of the app must appear in the expected table (a new route fails the
test until someone decides who may call it), and every route is sent every kind
of token with valid-looking, invalid, malformed and undecodable bodies and with
good and bad path ids. Without a token the answer is 401, with a token that lacks
the scope 403, whatever else was wrong with the request; with the scope it is never
401/403 and never a server error.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import AsyncClient

# Bodies an attacker or a broken client might send, as (content, content-type).
BODIES: list[tuple[bytes, str]] = [
    (b"{}", "application/json"),
    (b'{"unknown": 1, "reason": "x"}', "application/json"),
    (b'{"movements": [', "application/json"),  # malformed JSON
    (b"\x85\xff", "application/json"),  # not UTF-8
    (b"%PDF-1.7 not really", "application/pdf"),
]
PATH_IDS = [str(uuid.uuid4()), "not-an-id", "%00%FF"]
_PARAM = re.compile(r"\{[^}]+\}")

# route key -> the scopes that may call it (any of them), or None for public routes
Expected = Mapping[tuple[str, str], frozenset[str] | None]


def route_keys(app: FastAPI) -> set[tuple[str, str]]:
    return {
        (method, str(context.path))
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
        if method != "HEAD"
    }


async def check_matrix(
    app: FastAPI, client: AsyncClient, expected: Expected, tokens: Mapping[str, dict[str, str]]
) -> int:
    """``tokens`` maps each scope a token holds (one scope per token) to its headers."""
    actual = route_keys(app)
    assert actual == set(expected), f"decide who may call: {actual ^ set(expected)}"
    checked = 0
    for (method, template), allowed in sorted(expected.items()):
        if allowed is None:
            continue
        paths = {_PARAM.sub(path_id, template) for path_id in PATH_IDS}
        callers: list[tuple[str, dict[str, str], int | None]] = [
            ("no token", {}, 401),
            ("unknown token", {"Authorization": "Bearer reg_not-a-real-token"}, 401),
            ("not bearer", {"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        ]
        for scope, headers in tokens.items():
            callers.append((scope, headers, None if scope in allowed else 403))
        for path in paths:
            for content, content_type in BODIES:
                for who, headers, status in callers:
                    response = await client.request(
                        method,
                        path,
                        content=content,
                        headers={**headers, "Content-Type": content_type},
                    )
                    checked += 1
                    where = f"{method} {path} as {who} with {content[:20]!r}"
                    assert response.status_code < 500, (where, response.text)
                    assert response.headers["content-type"].startswith(
                        ("application/json", "application/problem+json", "application/pdf")
                    ), where
                    if status is None:
                        assert response.status_code not in (401, 403), (where, response.text)
                        continue
                    assert response.status_code == status, (where, response.text)
                    assert response.headers["content-type"] == "application/problem+json"
                    if status == 401:
                        assert response.headers["www-authenticate"] == "Bearer", where
    return checked
