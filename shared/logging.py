"""JSON logs with the request id on every line; identity numbers only ever masked."""

from __future__ import annotations

import logging
import re
import sys

import orjson
from pythonjsonlogger.orjson import OrjsonFormatter

from shared.request_id import current_request_id

# Runs of digits, each taken whole: a cédula is a run of exactly ten. ("(?<!\d)\d{10}(?!\d)"
# says the same, but its lookbehind at every character cost twice as much: 38% of an
# access line's instructions, callgrind.)
_DIGIT_RUNS = re.compile(r"\d{10,}")


def redact(text: str) -> str:
    """Mask every valid cédula in ``text``. The last line of defence: code never logs
    identity numbers on purpose, but a driver's error message may quote a value."""
    from shared.identity import is_valid_cedula

    def masked(run: re.Match[str]) -> str:
        digits = run.group()
        return mask(digits) or "" if len(digits) == 10 and is_valid_cedula(digits) else digits

    return _DIGIT_RUNS.sub(masked, text)


# The logger of the one line every request writes (shared/boundary.py).
ACCESS_LOGGER = "access"


class _RedactingJsonFormatter(OrjsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        if record.name == ACCESS_LOGGER and not record.exc_info:
            try:
                return self._access_line(record)
            except KeyError:  # not the boundary's line: the general path below
                pass
        return redact(super().format(record))

    def _access_line(self, record: logging.LogRecord) -> str:
        """The access line, with the same keys in the same order as the general path
        writes them. Its fields are known, so they are taken by name: the general path
        scans every attribute of the record for extras and redacts the whole line, 70% of
        a line's cost (cProfile), for the one line written on every request. Only the path
        is free text (ids only, but redacted all the same)."""
        fields = record.__dict__  # the extras the boundary passed, by name
        return orjson.dumps(
            {
                "time": self.formatTime(record, self.datefmt),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
                "request_id": fields["request_id"],
                **self.static_fields,
                "method": fields["method"],
                "path": redact(fields["path"]),
                "status": fields["status"],
                "duration_ms": fields["duration_ms"],
            }
        ).decode()


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        _RedactingJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    handler.addFilter(_RequestIdFilter())
    # The lines carry none of the caller, thread or process fields: skip collecting them
    # on every record (the logging HOWTO's "Optimization" section; ~20% of an access line).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log prints paths only; ours (below) adds status and timing.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def mask(value: str | None, *, keep: int = 2) -> str | None:
    """``1710034065`` → ``17******65``: enough to tell records apart, not to identify."""
    if value is None:
        return None
    if len(value) <= keep * 2:
        return "*" * len(value)
    return value[:keep] + "*" * (len(value) - keep * 2) + value[-keep:]
