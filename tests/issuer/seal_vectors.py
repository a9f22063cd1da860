"""Writes docs/seal-test-vectors.json: ``uv run --frozen python -m tests.issuer.seal_vectors``.

The vectors are made once and committed (ECDSA signatures are randomised, so each run
makes different seals); tests/issuer/test_seal.py checks the implementation against the
committed file. The key that signed them is thrown away: only its public half is kept.
"""

from __future__ import annotations

import json
import zlib
from datetime import date
from pathlib import Path
from typing import Any

import base45
import cbor2

from services.issuer.seal import PREFIX, SealClaims, encode_seal, table_digest
from services.issuer.seal.keys import SealSigningKey, generate_seal_key, jwks

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "seal-test-vectors.json"

TABLE_ROWS = [
    ["03/01/2025 08:15", "SALIDA", "Aeropuerto Internacional Mariscal Sucre (Quito)",
     "PASAPORTE ECU A1234567", "COL — Colombia", "AÉREO AV8374"],
    ["10/01/2025 19:40", "ENTRADA", "Puente Internacional de Rumichaca (Tulcán)",
     "CÉDULA ECU 1710034065", "COL — Colombia", "—"],
]  # fmt: skip

CLAIMS = SealClaims(
    number="CMM-2025-000123",
    issued_at=1763650800,
    authority="Fiscalía Provincial de Pichincha",
    oficio_number="FGE-FPP-2025-001234-O",
    subject="P**** G**** M**** J***",
    identification="Cédula 17******65",
    period_from=date(2015, 1, 1),
    period_to=date(2025, 11, 20),
    movement_count=2,
    table_sha=table_digest(TABLE_ROWS),
)
NO_MOVEMENTS = SealClaims(
    **{**CLAIMS.__dict__, "number": "CMM-2025-000124", "period_from": None,
       "movement_count": 0, "table_sha": table_digest([])}
)  # fmt: skip


def _cose(seal: str) -> Any:
    return cbor2.loads(zlib.decompress(base45.b45decode(seal[len(PREFIX) :])))


def _pack(cose: Any) -> str:
    return PREFIX + base45.b45encode(zlib.compress(cbor2.dumps(cose), 9)).decode("ascii")


def _altered(seal: str) -> str:
    """The same signature over a payload whose movement count was changed."""
    message = _cose(seal)
    claims = cbor2.loads(message.value[2])
    claims["cnt"] = 0
    message.value[2] = cbor2.dumps(claims)
    return _pack(message)


def _kid_unprotected(key: SealSigningKey) -> str:
    """A genuine signature whose kid is only in the unprotected header (not accepted)."""
    message = _cose(encode_seal(CLAIMS, key))
    message.value[0] = cbor2.dumps({1: -7})
    message.value[1] = {4: key.kid.encode()}
    return _pack(message)


def _valid(name: str, seal: str, key: SealSigningKey, claims: SealClaims) -> dict[str, Any]:
    expected = {"valid": True, "reason": None, "kid": key.kid, "claims": claims.to_json()}
    return {"name": name, "seal": seal, "expected": expected}


def _invalid(name: str, seal: str, reason: str, kid: str | None) -> dict[str, Any]:
    expected = {"valid": False, "reason": reason, "kid": kid, "claims": None}
    return {"name": name, "seal": seal, "expected": expected}


def build_vectors() -> dict[str, Any]:
    key, stranger = generate_seal_key(), generate_seal_key()
    valid = encode_seal(CLAIMS, key)
    while " " not in valid:  # the percent-encoded vector needs a space to encode
        valid = encode_seal(CLAIMS, key)
    impostor = SealSigningKey(key.kid, stranger.private_key)  # our kid, another key
    vectors = [
        _valid("valid", valid, key, CLAIMS),
        _valid(
            "valid-no-movements-whole-history", encode_seal(NO_MOVEMENTS, key), key, NO_MOVEMENTS
        ),
        {
            **_valid("valid-as-read-from-a-browser-url", valid.replace(" ", "%20"), key, CLAIMS),
            "url_fragment": True,
        },
        _invalid("wrong-key", encode_seal(CLAIMS, impostor), "BAD_SIGNATURE", key.kid),
        _invalid("unknown-kid", encode_seal(CLAIMS, stranger), "UNKNOWN_KEY", stranger.kid),
        _invalid("altered-claims", _altered(valid), "BAD_SIGNATURE", key.kid),
        _invalid("truncated", valid[:-12], "MALFORMED", None),
        _invalid("bad-prefix", "HC1:" + valid[len(PREFIX) :], "BAD_PREFIX", None),
        _invalid("not-base45", PREFIX + "abc", "MALFORMED", None),
        _invalid("kid-not-protected", _kid_unprotected(key), "MALFORMED", None),
    ]
    return {
        "description": "Seals of the certificates' QR codes (docs/seal.md): check a "
        "verifier with the keys in 'jwks'. 'url_fragment': the seal as a browser's "
        "location.hash gives it (spaces as %20).",
        "jwks": jwks([key.public]),
        "table_digest": [
            {"rows": TABLE_ROWS, "sha": table_digest(TABLE_ROWS).hex()},
            {"rows": [], "sha": table_digest([]).hex()},
        ],
        "vectors": vectors,
    }


if __name__ == "__main__":
    VECTORS.write_text(json.dumps(build_vectors(), ensure_ascii=False, indent=2) + "\n")
    print(f"wrote {VECTORS}")
