"""The seal's wire format: ``CMM1:`` + base45(zlib(COSE_Sign1(CBOR claims))).

COSE_Sign1 (RFC 9052, tag 18) with ES256 and the ``kid`` in the protected header,
as the EU Digital COVID Certificate does with its ``HC1:`` prefix. Decoding is for
untrusted input: every stage is bounded and every failure is a reason, never an
exception.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import base45
import cbor2
from cwt import COSE, COSEKey
from cwt.exceptions import CWTError

from .claims import SealClaims
from .keys import SealPublicKey, SealSigningKey

PREFIX = "CMM1:"
# A real seal is ~450 characters; anything far beyond is not one of ours.
MAX_SEAL_CHARS = 2048
# zlib bomb guard: a real COSE_Sign1 is ~300 bytes.
MAX_COSE_BYTES = 2048
_ES256 = -7
_HEADER_ALG = 1
_HEADER_KID = 4
_COSE_SIGN1_TAG = 18

Reason = Literal["BAD_PREFIX", "MALFORMED", "UNKNOWN_KEY", "BAD_SIGNATURE", "BAD_CLAIMS"]


@dataclass(frozen=True)
class SealCheck:
    """``claims`` and ``kid`` are set only when ``valid`` (``kid`` also for UNKNOWN_KEY
    and BAD_SIGNATURE, so an operator can tell which key was expected)."""

    valid: bool
    reason: Reason | None = None
    kid: str | None = None
    claims: SealClaims | None = None


def _cose_key(key: SealSigningKey | SealPublicKey) -> Any:
    # PEM of the private key when signing, of the public key when checking.
    return COSEKey.from_pem(key.pem(), alg="ES256", kid=key.kid.encode())


def encode_seal(claims: SealClaims, key: SealSigningKey) -> str:
    """Sign ``claims`` and return the text that follows ``#`` in the QR code's URL."""
    payload = cbor2.dumps(claims.to_cbor())
    signed = COSE.new().encode(
        payload, _cose_key(key), protected={_HEADER_ALG: _ES256, _HEADER_KID: key.kid.encode()}
    )
    text: str = base45.b45encode(zlib.compress(signed, 9)).decode("ascii")
    return PREFIX + text


def _inflate(data: bytes) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_COSE_BYTES)
    except zlib.error:
        return None
    if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        return None  # truncated, oversized, or trailing bytes
    return out


def _protected_kid(cose: bytes) -> str | None:
    """The kid of a well-formed ES256 COSE_Sign1's protected header, else None."""
    try:
        message = cbor2.loads(cose)
        if isinstance(message, cbor2.CBORTag):
            if message.tag != _COSE_SIGN1_TAG:
                return None
            message = message.value
        if not (isinstance(message, list) and len(message) == 4):
            return None
        protected = cbor2.loads(message[0]) if message[0] else {}
    except (cbor2.CBORDecodeError, TypeError, ValueError, RecursionError):
        return None
    if not isinstance(protected, dict) or protected.get(_HEADER_ALG) != _ES256:
        return None
    kid = protected.get(_HEADER_KID)
    if not isinstance(kid, bytes):
        return None
    try:
        return kid.decode("ascii")
    except UnicodeDecodeError:
        return None


def decode_seal(text: str, keys: Iterable[SealPublicKey]) -> SealCheck:
    """Check a seal against ``keys``, offline. Never raises on bad input."""
    text = text.strip()
    if not text.startswith(PREFIX):
        return SealCheck(valid=False, reason="BAD_PREFIX")
    if len(text) > MAX_SEAL_CHARS:
        return SealCheck(valid=False, reason="MALFORMED")
    try:
        compressed = base45.b45decode(text[len(PREFIX) :])
    except (ValueError, KeyError, UnicodeError):
        return SealCheck(valid=False, reason="MALFORMED")
    cose = _inflate(compressed)
    kid = _protected_kid(cose) if cose is not None else None
    if cose is None or kid is None:
        return SealCheck(valid=False, reason="MALFORMED")
    key = next((k for k in keys if k.kid == kid), None)
    if key is None:
        return SealCheck(valid=False, reason="UNKNOWN_KEY", kid=kid)
    try:
        payload = COSE.new().decode(cose, _cose_key(key))
    except (CWTError, ValueError, TypeError):
        return SealCheck(valid=False, reason="BAD_SIGNATURE", kid=kid)
    claims = SealClaims.from_cbor(payload)
    if claims is None:
        # Signed by us yet unreadable: a future format, or a bug; not a certificate claim.
        return SealCheck(valid=False, reason="BAD_CLAIMS", kid=kid)
    return SealCheck(valid=True, kid=kid, claims=claims)


def decode_fragment(text: str, keys: Iterable[SealPublicKey]) -> SealCheck:
    """:func:`decode_seal` for text taken from a URL, where browsers turn the seal's
    spaces (a base45 character) into ``%20``.

    ``%`` is base45 too, so a literal ``%20`` can be part of a seal: the text is tried
    as given first, and percent-decoded only if that fails.
    """
    check = decode_seal(text, keys)
    if check.valid or "%20" not in text:
        return check
    decoded = decode_seal(text.replace("%20", " "), keys)
    # Whichever reading got further explains the failure better (e.g. BAD_SIGNATURE of
    # an altered seal rather than MALFORMED of its still-encoded form).
    return decoded if decoded.valid or check.reason == "MALFORMED" else check
