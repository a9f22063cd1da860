"""The seal's format, against the committed test vectors other verifiers use too."""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import replace
from pathlib import Path

import base45
import cbor2
import pytest
from cwt import COSE, COSEKey
from typer.testing import CliRunner

from services.issuer.cli import app
from services.issuer.seal import (
    MAX_SEAL_CHARS,
    PREFIX,
    decode_fragment,
    decode_seal,
    encode_seal,
    keys_from_jwks,
    load_public_keys_pem,
    table_digest,
)
from services.issuer.seal.keys import create_seal_key_file, generate_seal_key, key_id
from tests.issuer.seal_vectors import CLAIMS, VECTORS

DOCUMENT = json.loads(VECTORS.read_text())
KEYS = keys_from_jwks(DOCUMENT["jwks"])


@pytest.mark.parametrize("vector", DOCUMENT["vectors"], ids=lambda v: v["name"])
def test_vectors(vector: dict) -> None:
    decode = decode_fragment if vector.get("url_fragment") else decode_seal
    check = decode(vector["seal"], KEYS)
    expected = vector["expected"]
    assert (check.valid, check.reason, check.kid) == (
        expected["valid"],
        expected["reason"],
        expected["kid"],
    )
    assert (check.claims.to_json() if check.claims else None) == expected["claims"]


def test_the_vectors_cover_what_verifiers_must_refuse() -> None:
    reasons = {v["expected"]["reason"] for v in DOCUMENT["vectors"]}
    assert {"BAD_PREFIX", "MALFORMED", "UNKNOWN_KEY", "BAD_SIGNATURE"} <= reasons
    names = {v["name"] for v in DOCUMENT["vectors"]}
    assert {"wrong-key", "altered-claims", "truncated", "bad-prefix"} <= names


def test_table_digest_is_the_printed_cells_tab_separated_one_row_per_line() -> None:
    for case in DOCUMENT["table_digest"]:
        text = "".join("\t".join(row) + "\n" for row in case["rows"])
        # Spelled out independently of the implementation: what docs/seal.md says.
        assert hashlib.sha256(text.encode()).hexdigest()[:32] == case["sha"]
        assert table_digest(case["rows"]).hex() == case["sha"]


def test_round_trip_and_kid_in_the_protected_header() -> None:
    key = generate_seal_key()
    seal = encode_seal(CLAIMS, key)
    assert seal.startswith(PREFIX) and len(seal) < 600
    check = decode_seal(seal, [key.public])
    assert check.valid and check.kid == key.kid and check.claims == CLAIMS
    assert key.kid == key_id(key.private_key.public_key()) and len(key.kid) == 8


def test_an_impostor_with_our_kid_is_refused() -> None:
    ours, theirs = generate_seal_key(), generate_seal_key()
    forged = encode_seal(replace(CLAIMS, movement_count=0), replace(theirs, kid=ours.kid))
    check = decode_seal(forged, [ours.public])
    assert not check.valid and check.reason == "BAD_SIGNATURE" and check.claims is None


def test_rotation_old_seals_verify_with_the_retired_key() -> None:
    old, new = generate_seal_key(), generate_seal_key()
    old_seal = encode_seal(CLAIMS, old)
    assert decode_seal(old_seal, [new.public, old.public]).valid
    assert decode_seal(old_seal, [new.public]).reason == "UNKNOWN_KEY"


def test_bounded_input() -> None:
    key = generate_seal_key()
    bomb = PREFIX + base45.b45encode(zlib.compress(b"\0" * 1_000_000, 9)).decode()
    assert len(bomb) < MAX_SEAL_CHARS
    assert decode_seal(bomb, [key.public]).reason == "MALFORMED"
    assert decode_seal(PREFIX + "A" * (MAX_SEAL_CHARS + 1), [key.public]).reason == "MALFORMED"
    trailing = (
        PREFIX
        + base45.b45encode(
            base45.b45decode(encode_seal(CLAIMS, key)[len(PREFIX) :]) + b"x"
        ).decode()
    )
    assert decode_seal(trailing, [key.public]).reason == "MALFORMED"


def test_claims_are_strictly_typed() -> None:
    # Our key, a payload that is not our claims map: signed, but not a certificate's.
    key = generate_seal_key()
    cose_key = COSEKey.from_pem(key.pem(), alg="ES256", kid=key.kid.encode())
    signed = COSE.new().encode(
        cbor2.dumps({**CLAIMS.to_cbor(), "cnt": "2"}),
        cose_key,
        protected={1: -7, 4: key.kid.encode()},
    )
    seal = PREFIX + base45.b45encode(zlib.compress(signed)).decode()
    assert decode_seal(seal, [key.public]).reason == "BAD_CLAIMS"


def test_dev_key_file_is_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "seal.key.pem"
    first = create_seal_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert create_seal_key_file(path).kid == first.kid
    assert load_public_keys_pem(first.public.pem() * 1)[0].kid == first.kid


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["seal", "verify", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_verifies_offline_with_the_jwks() -> None:
    valid = next(v for v in DOCUMENT["vectors"] if v["name"] == "valid")
    code, out, _ = _cli(valid["seal"], "--keys", str(VECTORS))
    assert code == 0
    assert json.loads(out)["claims"] == valid["expected"]["claims"]

    forged = next(v for v in DOCUMENT["vectors"] if v["name"] == "altered-claims")
    code, out, err = _cli(forged["seal"], "--keys", str(VECTORS))
    assert code == 1 and out == "" and "BAD_SIGNATURE" in err


def test_cli_takes_a_pem_of_public_keys(tmp_path: Path) -> None:
    key = generate_seal_key()
    pem = tmp_path / "seal-keys.pem"
    pem.write_bytes(generate_seal_key().public.pem() + key.public.pem())
    code, out, _ = _cli(encode_seal(CLAIMS, key), "--keys", str(pem))
    assert code == 0 and json.loads(out)["kid"] == key.kid
