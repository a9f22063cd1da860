"""An authority's callback: where it is (URL rules) and the secret that signs it."""

from __future__ import annotations

import base64
import secrets

import httpx

# Development servers and tests listen here; nothing else is reached over plain HTTP.
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def check_callback_url(url: str, *, production: bool) -> str:
    """The URL as stored, or ValueError saying why it is refused."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"not a URL: {exc}") from exc
    if not parsed.host or parsed.userinfo:
        raise ValueError("a callback URL needs a host and no user:password part")
    if parsed.scheme == "https":
        return str(parsed)
    if parsed.scheme == "http" and not production and parsed.host in _LOOPBACK:
        return str(parsed)
    if production:
        raise ValueError("production accepts only https:// callback URLs")
    raise ValueError("callback URLs must be https:// (http:// only to 127.0.0.1 in development)")


def new_signing_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
