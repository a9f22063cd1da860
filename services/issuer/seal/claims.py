"""What a seal says: the claims map, and the digest of the movement table as printed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import cbor2

CLAIM_NAMES = frozenset({"n", "iat", "auth", "ofi", "sub", "sid", "from", "to", "cnt", "sha"})
TABLE_DIGEST_BYTES = 16
_MAX_TEXT = 512


def table_digest(rows: Sequence[Sequence[str]]) -> bytes:
    """First 16 bytes of the SHA-256 of the movement table as printed.

    "As printed" is the text of the table's body cells, exactly as the PDF shows them
    before line wrapping (e.g. ``"14/03/2025 10:32"``, ``"SALIDA"``, ``"ECU — Ecuador"``,
    ``"—"`` for an empty cell), in printed order: each row's six cells joined by TAB
    (U+0009), each row ended by LF (U+000A), UTF-8 encoded, without the header row.
    A certificate without movements hashes the empty string.
    """
    text = "".join("\t".join(row) + "\n" for row in rows)
    return hashlib.sha256(text.encode("utf-8")).digest()[:TABLE_DIGEST_BYTES]


@dataclass(frozen=True)
class SealClaims:
    number: str  # "n"
    issued_at: int  # "iat", epoch seconds
    authority: str  # "auth", as printed
    oficio_number: str  # "ofi"
    subject: str  # "sub", masked name
    identification: str  # "sid", masked identification
    period_from: date | None  # "from"
    period_to: date  # "to"
    movement_count: int  # "cnt"
    table_sha: bytes  # "sha", 16 bytes

    def to_cbor(self) -> dict[str, Any]:
        # Dates as RFC 3339 full-date text: every CBOR library reads text, few read tags.
        return {
            "n": self.number,
            "iat": self.issued_at,
            "auth": self.authority,
            "ofi": self.oficio_number,
            "sub": self.subject,
            "sid": self.identification,
            "from": self.period_from.isoformat() if self.period_from else None,
            "to": self.period_to.isoformat(),
            "cnt": self.movement_count,
            "sha": self.table_sha,
        }

    def to_json(self) -> dict[str, Any]:
        """The claims under their CBOR names, ``sha`` in lowercase hex."""
        return {**self.to_cbor(), "sha": self.table_sha.hex()}

    @classmethod
    def from_cbor(cls, payload: bytes) -> SealClaims | None:
        """Strict: exactly the known names, each of its type; None otherwise."""
        try:
            claims = cbor2.loads(payload)
        except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError):
            return None
        if not isinstance(claims, dict) or set(claims) != CLAIM_NAMES:
            return None
        texts = ("n", "auth", "ofi", "sub", "sid", "to")
        if not all(isinstance(claims[k], str) and len(claims[k]) <= _MAX_TEXT for k in texts):
            return None
        ints = (claims["iat"], claims["cnt"])
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in ints):
            return None
        sha, period_from = claims["sha"], claims["from"]
        if not isinstance(sha, bytes) or len(sha) != TABLE_DIGEST_BYTES:
            return None
        if period_from is not None and not (
            isinstance(period_from, str) and len(period_from) == 10
        ):
            return None
        if len(claims["to"]) != 10:  # YYYY-MM-DD only, none of ISO 8601's other forms
            return None
        try:
            start = date.fromisoformat(period_from) if period_from is not None else None
            end = date.fromisoformat(claims["to"])
        except ValueError:
            return None
        return cls(
            number=claims["n"],
            issued_at=claims["iat"],
            authority=claims["auth"],
            oficio_number=claims["ofi"],
            subject=claims["sub"],
            identification=claims["sid"],
            period_from=start,
            period_to=end,
            movement_count=claims["cnt"],
            table_sha=sha,
        )
