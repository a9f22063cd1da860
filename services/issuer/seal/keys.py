"""Seal keys: ECDSA P-256 key pairs named by a ``kid`` derived from the public key.

The seal key is not the PDF signing key: it lives in the QR code of every printed
certificate for decades, verifiers hold it offline, and it is rotated on its own
schedule. A rotation is a new key file; the retired keys' public halves stay published
(``GET /v1/seal-keys``) so that certificates sealed with them keep verifying.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

# The kid is the start of the RFC 7638 JWK thumbprint: stable, derived from the key
# itself (so it cannot be misconfigured), short because it travels in every QR code.
KID_LENGTH = 8


class SealKeyError(ValueError):
    """A key file or JWKS that is not a usable P-256 seal key."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _coordinates(public_key: ec.EllipticCurvePublicKey) -> tuple[str, str]:
    numbers = public_key.public_numbers()
    return _b64url(numbers.x.to_bytes(32, "big")), _b64url(numbers.y.to_bytes(32, "big"))


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """First ``KID_LENGTH`` characters of the key's RFC 7638 thumbprint (base64url)."""
    x, y = _coordinates(public_key)
    canonical = json.dumps({"crv": "P-256", "kty": "EC", "x": x, "y": y}, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())[:KID_LENGTH]


@dataclass(frozen=True)
class SealPublicKey:
    kid: str
    key: ec.EllipticCurvePublicKey

    def jwk(self) -> dict[str, str]:
        x, y = _coordinates(self.key)
        return {"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": self.kid, "alg": "ES256",
                "use": "sig"}  # fmt: skip

    def pem(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@dataclass(frozen=True)
class SealSigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @property
    def public(self) -> SealPublicKey:
        return SealPublicKey(self.kid, self.private_key.public_key())

    def pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@dataclass(frozen=True)
class SealKeyring:
    """The key that seals new certificates, and every key a seal may be checked against."""

    current: SealSigningKey
    retired: tuple[SealPublicKey, ...] = ()

    @property
    def public_keys(self) -> tuple[SealPublicKey, ...]:
        return (self.current.public, *self.retired)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return jwks(self.public_keys)


def _p256_public(key: Any, source: str) -> ec.EllipticCurvePublicKey:
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise SealKeyError(f"{source}: not an EC P-256 public key")
    return key


def generate_seal_key() -> SealSigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    return SealSigningKey(key_id(private_key.public_key()), private_key)


def load_seal_key(pem: bytes, *, source: str = "seal key") -> SealSigningKey:
    """A PKCS#8 (or SEC1) PEM private key, P-256 only."""
    try:
        private_key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise SealKeyError(f"{source}: not an unencrypted PEM private key") from exc
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise SealKeyError(f"{source}: not an EC private key")
    public = _p256_public(private_key.public_key(), source)
    return SealSigningKey(key_id(public), private_key)


def load_public_keys_pem(pem: bytes, *, source: str = "seal keys") -> tuple[SealPublicKey, ...]:
    """Every ``PUBLIC KEY`` block of a PEM bundle (retired keys still published)."""
    marker = b"-----END PUBLIC KEY-----"
    blocks = [b + marker for b in pem.split(marker) if b"-----BEGIN PUBLIC KEY-----" in b]
    keys = []
    for block in blocks:
        key = _p256_public(serialization.load_pem_public_key(block.strip() + b"\n"), source)
        keys.append(SealPublicKey(key_id(key), key))
    return tuple(keys)


def jwks(keys: Iterable[SealPublicKey]) -> dict[str, list[dict[str, str]]]:
    return {"keys": [k.jwk() for k in keys]}


def keys_from_jwks(document: Mapping[str, Any]) -> tuple[SealPublicKey, ...]:
    """Public keys from a JWKS (as served by ``GET /v1/seal-keys``).

    The ``kid`` is taken as published: a verifier trusts the document it was given.
    """
    found: list[SealPublicKey] = []
    entries = document.get("keys")
    if not isinstance(entries, Sequence):
        raise SealKeyError("JWKS: no 'keys' list")
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("kty") != "EC":
            continue
        if entry.get("crv") != "P-256" or not isinstance(entry.get("kid"), str):
            continue
        try:
            numbers = ec.EllipticCurvePublicNumbers(
                int.from_bytes(_b64url_decode(entry["x"]), "big"),
                int.from_bytes(_b64url_decode(entry["y"]), "big"),
                ec.SECP256R1(),
            )
            found.append(SealPublicKey(entry["kid"], numbers.public_key()))
        except (KeyError, TypeError, ValueError) as exc:
            raise SealKeyError(f"JWKS: key {entry.get('kid')!r} is not a P-256 point") from exc
    return tuple(found)


def create_seal_key_file(path: Path) -> SealSigningKey:
    """Write a new seal key (PEM, mode 0600) unless one exists; return the key in the file."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = generate_seal_key()
        # O_EXCL: two processes starting at once never overwrite each other's key; the
        # loser reads the winner's below. Created 0600, so never world-readable.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(key.pem())
            return key
    return load_seal_key(path.read_bytes(), source=str(path))
