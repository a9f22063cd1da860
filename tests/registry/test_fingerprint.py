"""The movement fingerprint (content_sha256) keeps the bytes every stored one was made of:
a retry of a movement stored before a change must still be told from a conflict."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.registry.movements.schemas import fingerprint

# What content_sha256() hashes for a movement like the README's first one (with text that
# needs escaping), and its fingerprint by the stdlib definition below, pinned.
STORED_CONTENT: dict[str, Any] = {
    "movement_id": "0b8a6f0e-3f0e-4c53-9a43-7f0d1c2b5e11",
    "direction": "ENTRY",
    "occurred_at": "2025-03-01T19:05:00+00:00",
    "control_point": "AIR-UIO",
    "traveller": {
        "document_type": "PASSPORT", "document_number": "AB123456",
        "issuing_country": "ECU", "nationality": "ECU", "national_id": "1710034065",
        "surnames": "PEÑA GÓMEZ \"EL\" \\ \u2028", "given_names": "MARÍA\tJOSÉ\n\x01",
        "birth_date": "1990-05-01", "sex": "F",
    },
    "transport": {"mode": "AIR", "carrier": "AV", "number": "AV8374"},
    "origin_country": "COL", "destination_country": None, "observations": "🛂 sin novedad",
}  # fmt: skip
STORED_FINGERPRINT = "c895f53054180fe2d6c7f5d03828e20b7daf45c83130547d3c5e804c2666967a"


def stdlib_fingerprint(content: dict[str, Any]) -> str:
    """The definition the stored fingerprints were made with."""
    raw = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def test_a_stored_fingerprint_is_made_again() -> None:
    assert stdlib_fingerprint(STORED_CONTENT) == STORED_FINGERPRINT
    assert fingerprint(STORED_CONTENT) == STORED_FINGERPRINT


# What a movement's content holds: strings (any text a terminal may send), booleans and
# nulls, in objects and lists.
_values = st.recursive(
    st.none() | st.booleans() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=6),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), _values, max_size=12))
def test_fingerprint_is_the_stdlib_encoding_for_any_content(content: dict[str, Any]) -> None:
    assert fingerprint(content) == stdlib_fingerprint(content)
