"""Certificate numbers and verification codes."""

from __future__ import annotations

import secrets

# Crockford's base32: no I, L, O, U, so a code read aloud or retyped survives.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
CODE_GROUPS = 4
CODE_GROUP_LENGTH = 4
# 16 symbols of 5 bits: 80 bits from the OS CSPRNG, far beyond guessing through an API.
CODE_BITS = CODE_GROUPS * CODE_GROUP_LENGTH * 5


def certificate_number(prefix: str, year: int, sequence: int) -> str:
    """``CMM-2025-000123``."""
    return f"{prefix}-{year}-{sequence:06d}"


def new_verification_code() -> str:
    """``7KQ4-M2XD-9PZA-H3TB``."""
    value = int.from_bytes(secrets.token_bytes(CODE_BITS // 8), "big")
    symbols = []
    for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH):
        value, index = divmod(value, 32)
        symbols.append(_CROCKFORD[index])
    groups = [
        "".join(symbols[i : i + CODE_GROUP_LENGTH])
        for i in range(0, len(symbols), CODE_GROUP_LENGTH)
    ]
    return "-".join(groups)


def normalise_verification_code(typed: str) -> str | None:
    """What a person typed (any case, spaces, O for 0...) as the stored form, or None."""
    compact = "".join(typed.split()).replace("-", "").upper().translate(_READS_AS)
    if len(compact) != CODE_GROUPS * CODE_GROUP_LENGTH or any(c not in _CROCKFORD for c in compact):
        return None
    return "-".join(
        compact[i : i + CODE_GROUP_LENGTH] for i in range(0, len(compact), CODE_GROUP_LENGTH)
    )
