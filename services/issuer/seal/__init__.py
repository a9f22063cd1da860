"""The offline-verifiable seal in the certificate's QR code (COSE_Sign1, ``CMM1:``).

``codec``, ``claims`` and ``keys`` need nothing but the keys: the CLI and any offline
verifier use them; ``issuing`` seals at issuance; ``router`` publishes keys and checks.
"""

from .claims import SealClaims, table_digest
from .codec import MAX_SEAL_CHARS, PREFIX, SealCheck, decode_fragment, decode_seal, encode_seal
from .keys import (
    SealKeyring,
    SealPublicKey,
    SealSigningKey,
    create_seal_key_file,
    keys_from_jwks,
    load_public_keys_pem,
    load_seal_key,
)

__all__ = [
    "MAX_SEAL_CHARS",
    "PREFIX",
    "SealCheck",
    "SealClaims",
    "SealKeyring",
    "SealPublicKey",
    "SealSigningKey",
    "create_seal_key_file",
    "decode_fragment",
    "decode_seal",
    "encode_seal",
    "keys_from_jwks",
    "load_public_keys_pem",
    "load_seal_key",
    "table_digest",
]
