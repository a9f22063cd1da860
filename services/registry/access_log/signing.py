"""The audit key: an Ed25519 key (``cryptography``) that signs the chain's head as a
compact JWS (RFC 7515, ``alg: EdDSA``, RFC 8037), published as a JWKS whose ``kid``
is the key's RFC 7638 thumbprint.

Rotation: point ``REGISTRY_AUDIT_KEY_PATH`` at a new key and list the old public key
in ``REGISTRY_AUDIT_RETIRED_KEYS_PATH``: heads signed before keep verifying, because
the JWKS keeps the retired key under its own ``kid``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

log = logging.getLogger(__name__)

DEV_AUDIT_KEY = Path(".data/keys/audit-ed25519.pem")


class HeadSignatureInvalid(Exception):
    """The signature does not verify with any published key."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw)}
    # RFC 7638: the thumbprint of the required members, sorted, no whitespace.
    thumbprint = hashlib.sha256(json.dumps(jwk, separators=(",", ":")).encode()).digest()
    return {**jwk, "kid": b64url(thumbprint), "alg": "EdDSA", "use": "sig"}


@dataclass(frozen=True)
class AuditKey:
    private: Ed25519PrivateKey
    retired: tuple[Ed25519PublicKey, ...] = ()

    @property
    def kid(self) -> str:
        return public_jwk(self.private.public_key())["kid"]

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        keys = [self.private.public_key(), *self.retired]
        return {"keys": [public_jwk(k) for k in keys]}

    def sign(self, payload: dict[str, Any]) -> str:
        header = {"alg": "EdDSA", "kid": self.kid}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        )
        return signing_input + "." + b64url(self.private.sign(signing_input.encode()))


def verify_jws(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The payload of a compact JWS signed by one of ``jwks``' Ed25519 keys."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_unb64url(header_b64))
        payload = json.loads(_unb64url(payload_b64))
        signature = _unb64url(signature_b64)
    except ValueError as exc:
        raise HeadSignatureInvalid("not a compact JWS") from exc
    if header.get("alg") != "EdDSA":
        raise HeadSignatureInvalid(f"unexpected alg {header.get('alg')!r}")
    for jwk in jwks.get("keys", []):
        if jwk.get("kid") != header.get("kid") or jwk.get("crv") != "Ed25519":
            continue
        key = Ed25519PublicKey.from_public_bytes(_unb64url(jwk["x"]))
        try:
            key.verify(signature, f"{header_b64}.{payload_b64}".encode())
        except InvalidSignature as exc:
            raise HeadSignatureInvalid("the signature does not verify") from exc
        if not isinstance(payload, dict):
            raise HeadSignatureInvalid("the payload is not an object")
        return payload
    raise HeadSignatureInvalid(f"no published key with kid {header.get('kid')!r}")


def create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)


def load_audit_key(
    key_path: Path | None, retired_path: Path | None, *, development: bool
) -> AuditKey:
    """The configured key; in development, ``.data/keys/audit-ed25519.pem``, created once."""
    if key_path is None:
        if not development:
            raise RuntimeError("REGISTRY_AUDIT_KEY_PATH is required outside development")
        key_path = DEV_AUDIT_KEY
        if not key_path.exists():
            create_key_file(key_path)
            log.warning("created a DEVELOPMENT audit key at %s", key_path)
    private = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise RuntimeError(f"{key_path} is not an Ed25519 private key")
    return AuditKey(private=private, retired=_retired(retired_path))


def _retired(path: Path | None) -> tuple[Ed25519PublicKey, ...]:
    if path is None:
        return ()
    blocks = path.read_text().split("-----END PUBLIC KEY-----")
    keys = []
    for block in blocks:
        if "-----BEGIN PUBLIC KEY-----" in block:
            pem = (block.strip() + "\n-----END PUBLIC KEY-----\n").encode()
            key = serialization.load_pem_public_key(pem)
            if isinstance(key, Ed25519PublicKey):
                keys.append(key)
    return tuple(keys)
