"""Valid request bodies, and mutations of them, for schemathesis to start from.

Purely random bodies almost never pass the rules the schema cannot express (a cédula's
check digit, a seeded control point, a Quipux oficio number whose year is the oficio's),
so they never reach a 201 and never exercise the code behind validation. These
strategies draw a valid body and then, most of the time, break exactly one thing in it:
a hostile value in one field (NUL, control and bidirectional characters, huge or
negative numbers, numbers where dates go, impossible dates), a missing field, or an
unknown one.
"""

from __future__ import annotations

import copy
import itertools
from datetime import date
from typing import Any

from hypothesis import strategies as st

from tests.support.factories import a_cedula, at, movement

HOSTILE: list[Any] = [
    "\x00", "A\x00B", "\x01", "MARIA\x1fJOSE", "\u202eABC", "AB\u200bC", "\ufeff", "",
    " ", "x" * 5000, "ñáé" * 50, "<script>", "' OR 1=1 --", "../../etc/passwd",
    -1, 0, 2**63, 1e308, 1.5, True, None, [], {}, [1, 2], {"a": 1},
    "0001-01-01", "1899-12-31", "9999-12-31", "2025-02-30", "2025-13-01", "2025-03-01T14:05:00",
    "2999-01-01T00:00:00-05:00", "1990-05-01T00:00:00Z",
]  # fmt: skip

SEEDED_CONTROL_POINTS = ["AIR-UIO"]


def _leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            paths += _leaf_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths += _leaf_paths(child, (*prefix, index))
    return paths


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """``valid`` with one thing broken: a hostile value, a field removed, a field added."""
    body = copy.deepcopy(valid)
    path = draw(st.sampled_from(_leaf_paths(body)))
    *parents, last = path
    target: Any = body
    for key in parents:
        target = target[key]
    action = draw(st.sampled_from(["replace", "replace", "replace", "remove", "add"]))
    if action == "replace":
        target[last] = draw(st.sampled_from(HOSTILE) | st.text(max_size=40))
    elif action == "remove" and isinstance(target, dict):
        del target[last]
    elif isinstance(target, dict):
        target["unexpected_" + str(last)] = draw(st.sampled_from(HOSTILE))
    return body


def valid_or_mutated(valid: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """Half valid (reaches the 2xx paths), half one mutation away."""
    return st.one_of(valid, valid.flatmap(mutated))


@st.composite
def movements(draw: st.DrawFn, cedulas: list[str] | None = None) -> dict[str, Any]:
    cedula = (
        draw(st.sampled_from(cedulas)) if cedulas else a_cedula(draw(st.integers(0, 5_999_999)))
    )
    return movement(
        movement_id=str(draw(st.uuids(version=4))),
        direction=draw(st.sampled_from(["ENTRY", "EXIT"])),
        occurred_at=at(draw(st.integers(0, 2000)), draw(st.integers(0, 23))),
        control_point=draw(st.sampled_from(SEEDED_CONTROL_POINTS)),
        traveller={"national_id": cedula, "document_number": f"FZ{cedula}"},
    )


def batches(cedulas: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.lists(movements(cedulas), min_size=1, max_size=4).map(lambda m: {"movements": m})


def history_searches(cedulas: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda cedula, limit: {
            "identity": {"national_id": cedula},
            "from": "2015-01-01",
            "to": "2025-11-20",
            "purpose": "CERTIFICATE",
            "reference": "FGE-FPP-2025-001234-O",
            "limit": limit,
            "cursor": None,
        },
        st.sampled_from(cedulas),
        st.integers(1, 500),
    )


def annulments() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda reason: {"reason": reason, "reference": "MEMO-2025-001"},
        st.sampled_from(["Registro duplicado por error", "Documento mal digitado"]),
    )


def certificate_request(n: int, cedula: str, *, prefix: str = "FUZZ") -> dict[str, Any]:
    """A request every rule accepts: Quipux number of this year, dated today."""
    today = date.today()
    return {
        "oficio": {"number": f"FGE-{prefix}-{today.year}-{n}-O", "date": today.isoformat(),
                   "addressee": "Subsecretaría de Migración",
                   "signatory_name": "Dra. Ana Torres", "signatory_role": "Fiscal",
                   "case_number": "17282-2025-00123", "pdf_base64": None},
        "subject": {"national_id": cedula, "full_name": "MARIA JOSE PEREZ GOMEZ"},
        "period": {"from": "2015-01-01", "to": today.isoformat()},
    }  # fmt: skip


_FRESH_OFICIO_NUMBERS = itertools.count(1_000)


def certificate_requests(cedulas: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly a new oficio number each time (a new certificate), sometimes a reused one
    (the 200 of a re-send, or the 409 of other content under the same number)."""
    fresh = st.builds(lambda: next(_FRESH_OFICIO_NUMBERS))
    numbers = st.one_of(fresh, fresh, st.integers(1, 5))
    return st.builds(certificate_request, numbers, st.sampled_from(cedulas))


def revocations() -> st.SearchStrategy[dict[str, Any]]:
    return st.just({"reason": "Emitido por error de digitación"})
