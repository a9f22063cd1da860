"""Checking a seal online: the offline check plus what our records say today."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.certificates.repository import CertificateRepository
from services.issuer.models import Certificate

from .claims import SealClaims
from .codec import decode_fragment
from .keys import SealKeyring
from .schemas import SealCheckOut, SealClaimsOut


def _record_matches(claims: SealClaims, certificate: Certificate, oficio_number: str) -> bool:
    return (
        claims.number == certificate.number
        and claims.issued_at == int(certificate.issued_at.timestamp())
        and claims.authority == certificate.authority_name
        and claims.oficio_number == oficio_number
        and claims.movement_count == certificate.movement_count
    )


async def check_seal(session: AsyncSession, seal: str, *, keyring: SealKeyring) -> SealCheckOut:
    # The signature first: an invalid seal never costs a database query.
    check = decode_fragment(seal, keyring.public_keys)
    if not check.valid or check.claims is None:
        return SealCheckOut(
            valid=False, kid=check.kid, claims=None, status="UNKNOWN", reason=check.reason
        )
    found = await CertificateRepository(session).by_number(check.claims.number)
    out = SealCheckOut(
        valid=True, kid=check.kid, claims=SealClaimsOut.of(check.claims), status="UNKNOWN"
    )
    if found is None:
        return out
    certificate, oficio_number = found
    out.status = "REVOKED" if certificate.revoked_at is not None else "VALID"
    out.record_matches = _record_matches(check.claims, certificate, oficio_number)
    return out
