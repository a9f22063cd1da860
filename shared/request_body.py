"""A JSON request body read exactly as FastAPI reads it, for routes that skip its
dependency solver (``shared.auth``'s lean routes): same content-type rules, same
``json_invalid`` error, same 400 for a body that is not UTF-8."""

from __future__ import annotations

import email.message
import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic_core import PydanticUndefined
from starlette.exceptions import HTTPException


def _is_json(content_type: str) -> bool:
    if content_type == "application/json":  # what every client sends: no parsing
        return True
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


async def read_json_body(request: Request, *, strict_content_type: bool = True) -> Any:
    """The decoded JSON body; the raw bytes when it is not declared JSON (validation then
    refuses them); ``PydanticUndefined`` when empty (validation reports it missing)."""
    try:
        body = await request.body()
        if not body:
            return PydanticUndefined
        content_type = request.headers.get("content-type")
        if content_type is None:
            return body if strict_content_type else await request.json()
        return await request.json() if _is_json(content_type) else body
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ],
            body=exc.doc,
        ) from exc
    except HTTPException:  # the body limit's 413
        raise
    except Exception as exc:  # not UTF-8, a broken stream: FastAPI's 400, our MALFORMED_BODY
        raise HTTPException(400, "There was an error parsing the body") from exc
