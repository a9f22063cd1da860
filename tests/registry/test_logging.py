"""Logs are JSON, carry the request id, and never show identity numbers in clear."""

from __future__ import annotations

import io
import json
import logging

import pytest
from httpx import AsyncClient
from pythonjsonlogger.orjson import OrjsonFormatter
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.logging import ACCESS_LOGGER, configure_logging, mask, redact
from tests.conftest import Tokens
from tests.support.factories import a_cedula, movement


@pytest.fixture
def json_log() -> io.StringIO:
    configure_logging("registry", "INFO")
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    yield stream
    logging.getLogger().handlers[:] = []


async def test_request_logs_are_json_with_request_id_and_no_identity(
    registry: AsyncClient, tokens: Tokens, json_log: io.StringIO
) -> None:
    cedula = a_cedula(1201)
    body = movement(traveller={"national_id": cedula, "document_number": "LOG1201"})
    await registry.post(
        "/v1/movements", json=body, headers={**tokens.terminal, "X-Request-ID": "log-1"}
    )
    await registry.post(
        "/v1/history/search",
        json={"identity": {"national_id": cedula}, "purpose": "CERTIFICATE", "reference": "R"},
        headers=tokens.reader,
    )
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    request = next(line for line in lines if line.get("path") == "/v1/movements")
    assert request["request_id"] == "log-1" and request["status"] == 201
    assert request["service"] == "registry"
    assert cedula not in json_log.getvalue()
    assert "LOG1201" not in json_log.getvalue()


async def test_probes_are_not_access_logged_unless_they_fail(
    registry: AsyncClient, tokens: Tokens, json_log: io.StringIO
) -> None:
    assert (await registry.get("/livez")).status_code == 200
    await registry.get("/metrics")
    await registry.get("/v1/control-points", headers=tokens.reader)
    paths = [json.loads(line).get("path") for line in json_log.getvalue().splitlines()]
    assert "/v1/control-points" in paths
    assert "/livez" not in paths and "/metrics" not in paths


async def test_database_errors_are_logged_without_identity_numbers(
    registry_engine: AsyncEngine, json_log: io.StringIO
) -> None:
    """SQLAlchemy hides bound parameters; the driver may still quote a value in its own
    message, so the log formatter masks any cédula that reaches it."""
    cedula = a_cedula(1202)
    async with registry_engine.connect() as conn:
        with pytest.raises(DBAPIError) as raised:
            await conn.execute(text("SELECT CAST(:v AS integer) / 0"), {"v": cedula})
    assert "SQL parameters hidden" in str(raised.value)
    try:
        raise raised.value
    except DBAPIError:
        logging.getLogger("test").exception("database failure for %s", cedula)
    output = json_log.getvalue()
    assert "database failure" in output and "Traceback" in output
    assert cedula not in output
    assert mask(cedula) in output


def test_mask_keeps_only_the_ends() -> None:
    assert mask("1710034065") == "17******65"
    assert mask("AB1") == "***"
    assert mask(None) is None


def test_redact_masks_exactly_the_valid_cedulas() -> None:
    cedula = a_cedula(1203)
    invalid = cedula[:9] + str((int(cedula[9]) + 1) % 10)
    text = (
        f"key CI:{cedula} ({cedula}) longer {cedula}7 shorter {cedula[:9]} "
        f"invalid {invalid} request 3f{cedula}ab"
    )
    assert redact(text) == (
        f"key CI:{mask(cedula)} ({mask(cedula)}) longer {cedula}7 shorter {cedula[:9]} "
        f"invalid {invalid} request 3f{mask(cedula)}ab"
    )


def test_the_access_line_is_the_general_line_written_by_name(json_log: io.StringIO) -> None:
    """The access line's own path writes exactly what the general path writes."""
    cedula = a_cedula(1204)
    formatter = logging.getLogger().handlers[0].formatter
    assert formatter is not None
    record = logging.getLogger(ACCESS_LOGGER).makeRecord(
        ACCESS_LOGGER, logging.INFO, __file__, 1, "request", (), None,
        extra={"method": "GET", "path": f"/v1/persons/{cedula}", "status": 200,
               "duration_ms": 1.5, "request_id": "r-1204"},
    )  # fmt: skip
    line = formatter.format(record)
    assert line == redact(OrjsonFormatter.format(formatter, record))
    assert json.loads(line)["path"] == f"/v1/persons/{mask(cedula)}"
