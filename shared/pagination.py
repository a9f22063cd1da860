"""Opaque keyset cursors: base64url JSON, never an OFFSET."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from shared.errors import FieldError, InvalidInput


def encode_cursor(values: dict[str, Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid_cursor() -> InvalidInput:
    return InvalidInput(
        "The cursor is not one this service issued.",
        errors=[FieldError("CURSOR_INVALID", "cursor", "Pass next_cursor back unchanged.")],
    )


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise invalid_cursor()
    return value
