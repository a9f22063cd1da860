"""Long-term validation (PAdES B-LT): an RFC 3161 timestamp and the validation data.

Without it a signature is only as good as its signing certificate: once that expires
(or its CA's revocation service goes away) a validator can no longer tell that the
signature was made while the certificate was valid. The timestamp authority vouches
for *when* the signature existed; the embedded chain and revocation data (the DSS, in
the signature's own revision so even validators that ignore incremental updates see
it) prove the certificate was good at that time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko_certvalidator import ValidationContext


@dataclass(frozen=True)
class LongTermValidation:
    timestamper: TimeStamper
    # A fresh context per signature: contexts cache revocation data and own network
    # sessions bound to the event loop of the signature that made them.
    validation_context: Callable[[], ValidationContext]


def _asn1(certificates: Sequence[x509.Certificate]) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in certificates]


def long_term_validation(
    tsa_url: str,
    *,
    trust_roots: Sequence[x509.Certificate],
    chain: Sequence[x509.Certificate] = (),
    timeout_seconds: float = 10.0,
    crls: Sequence[bytes] = (),
) -> LongTermValidation:
    """Timestamps from ``tsa_url``; revocation data fetched from the addresses the
    certificates name (OCSP responders, CRL distribution points), plus ``crls`` (DER)
    for a CA that publishes none online (the development CA).

    Revocation is soft-fail: a CA whose OCSP responder is briefly down must not stop
    issuance; the timestamp alone still fixes the signing time.
    """
    roots, others = _asn1(trust_roots), _asn1(chain)

    def context() -> ValidationContext:
        return ValidationContext(
            trust_roots=roots,
            other_certs=others,
            crls=list(crls),
            allow_fetching=True,
            revocation_mode="soft-fail",
        )

    timestamper = HTTPTimeStamper(tsa_url, timeout=int(max(1, timeout_seconds)))
    return LongTermValidation(timestamper=timestamper, validation_context=context)
