"""Checking an oficio's PDF: its last signature, the certification path to Ecuador's CAs,
revocation, and the text of exactly what was signed.

Synchronous and CPU-bound (pyHanko drives its async validator with its own
``asyncio.run``): call :func:`check_oficio_pdf` through ``anyio.to_thread.run_sync``.

The text is read from the *signed revision*: the bytes the signature's ``/ByteRange``
covers, up to its end. Anything appended later (an incremental update that adds a page,
an annotation, a second name) is not part of it, so it can neither satisfy nor spoil the
content check; it is reported separately as a change after signing.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    async_validate_pdf_signature,
)
from pyhanko_certvalidator import ValidationContext

from services.issuer.oficios.pdf_text import extract_text
from services.issuer.oficios.signer_identity import describe_signer
from services.issuer.signing import SignatureCheck
from services.issuer.signing._loop import ensure_worker_thread
from services.issuer.signing.validation import (
    ACCEPTED_COVERAGE,
    ACCEPTED_MODIFICATIONS,
    SIGNING_KEY_USAGE,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OficioTrust:
    """Trust anchors (self-signed roots) and the intermediates offered for path building.

    An intermediate is never an anchor: a signer certificate is trusted only through a
    complete certification path to a root, as an RFC 5280 validator builds it.
    """

    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...] = ()
    fetch_revocation: bool = False

    @classmethod
    def from_certificates(
        cls, certificates: tuple[x509.Certificate, ...], *, fetch_revocation: bool
    ) -> OficioTrust:
        roots: list[asn1_x509.Certificate] = []
        intermediates: list[asn1_x509.Certificate] = []
        for certificate in certificates:
            parsed = asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))
            self_issued = certificate.issuer == certificate.subject
            (roots if self_issued else intermediates).append(parsed)
        return cls(tuple(roots), tuple(intermediates), fetch_revocation)


@dataclass(frozen=True)
class OficioPdfCheck:
    signature: SignatureCheck
    # The signed revision's text when the signature itself is intact and trusted (whatever
    # was appended after it); None when nothing in the file can be attributed to a signer.
    signed_text: str | None = None
    # Shown as ``oficio.signature``; None when the signature could not even be parsed.
    details: dict[str, Any] | None = field(default=None)


def check_oficio_pdf(pdf: bytes, trust: OficioTrust) -> OficioPdfCheck:
    """Never raises for bad input: every problem becomes a ``SignatureCheck.reason``."""
    ensure_worker_thread()
    return asyncio.run(_check(pdf, trust))


async def _check(pdf: bytes, trust: OficioTrust) -> OficioPdfCheck:
    try:
        reader = PdfFileReader(BytesIO(pdf))
        signatures: list[EmbeddedPdfSignature] = reader.embedded_regular_signatures
    except Exception:
        # Hostile bytes fail the parser in many ways; all mean "not a (signed) PDF we read".
        log.debug("oficio is not a readable PDF", exc_info=True)
        return OficioPdfCheck(SignatureCheck(valid=False, reason="NOT_A_PDF"))
    if not signatures:
        return OficioPdfCheck(SignatureCheck(valid=False, reason="NOT_SIGNED"))
    last = signatures[-1]
    context = ValidationContext(
        trust_roots=list(trust.roots),
        other_certs=list(trust.intermediates),
        allow_fetching=trust.fetch_revocation,
        revocation_mode="soft-fail",
    )
    try:
        status = await async_validate_pdf_signature(
            last, context, key_usage_settings=SIGNING_KEY_USAGE
        )
    except Exception:
        log.debug("oficio signature validation failed", exc_info=True)
        return OficioPdfCheck(SignatureCheck(valid=False, reason="MALFORMED_SIGNATURE"))
    finally:
        if trust.fetch_revocation:
            await context.aclose()  # type: ignore[no-untyped-call]  # unannotated upstream

    reason = _failure_reason(status)
    check = SignatureCheck(
        valid=reason is None,
        reason=reason,
        signer_subject=_subject(status),
        signed_at=status.signer_reported_dt,
    )
    details = _details(status, status.signer_reported_dt, trust, context)
    if not (status.intact and status.valid and status.trusted):
        return OficioPdfCheck(check, details=details)
    return OficioPdfCheck(check, signed_text=_signed_revision_text(pdf, last), details=details)


def _failure_reason(status: PdfSignatureStatus) -> str | None:
    if not status.intact:
        return "TAMPERED"
    if not status.valid:
        return "INVALID_SIGNATURE"
    if (
        status.coverage not in ACCEPTED_COVERAGE
        or status.modification_level not in ACCEPTED_MODIFICATIONS
        or status.docmdp_ok is False
    ):
        return "MODIFIED_AFTER_SIGNING"
    if not status.trusted:
        return "REVOKED" if status.revoked else "UNTRUSTED"
    if not status.bottom_line:
        return "INVALID_SIGNATURE"
    return None


def _signed_revision_text(pdf: bytes, signature: EmbeddedPdfSignature) -> str:
    byte_range = [int(n) for n in signature.byte_range]
    signed_end = byte_range[2] + byte_range[3]
    return extract_text(pdf[:signed_end])


def _subject(status: PdfSignatureStatus) -> str | None:
    certificate = _certificate(status)
    return certificate.subject.rfc4514_string() if certificate else None


def _certificate(status: PdfSignatureStatus) -> x509.Certificate | None:
    try:
        return x509.load_der_x509_certificate(status.signing_cert.dump())
    except ValueError:
        return None  # asn1crypto tolerates encodings cryptography refuses


def _details(
    status: PdfSignatureStatus,
    signed_at: datetime | None,
    trust: OficioTrust,
    context: ValidationContext,
) -> dict[str, Any] | None:
    certificate = _certificate(status)
    if certificate is None:
        return None
    return {
        **describe_signer(certificate),
        "signed_at": signed_at.isoformat() if signed_at else None,
        "certification_path": _path(status),
        "revocation": _revocation(status, certificate, trust, context),
    }


def _path(status: PdfSignatureStatus) -> list[str]:
    """Root first, as built by the validator; empty when no path to a trusted root exists."""
    path = status.validation_path
    if path is None:
        return []
    names = []
    for certificate in path.iter_certs(include_root=True):
        cn = certificate.subject.native.get("common_name")
        names.append(str(cn) if cn else certificate.subject.human_friendly)
    return names


def _revocation(
    status: PdfSignatureStatus,
    certificate: x509.Certificate,
    trust: OficioTrust,
    context: ValidationContext,
) -> dict[str, str]:
    """What was learnt about revocation, never an unqualified pass."""
    if status.revoked:
        return {"status": "REVOKED", "detail": "the signer's certificate is revoked"}
    if not status.trusted:
        return {"status": "NOT_CHECKED", "detail": "no certification path to a trusted root"}
    if not _declares_revocation_sources(certificate):
        return {
            "status": "NOT_DECLARED",
            "detail": "the certificate names no CRL or OCSP responder to ask",
        }
    if not trust.fetch_revocation:
        return {
            "status": "NOT_CHECKED",
            "detail": "fetching CRLs/OCSP is disabled (ISSUER_OFICIO_REVOCATION_FETCH)",
        }
    if context.soft_fail_exceptions:
        problem = context.soft_fail_exceptions[0]
        return {"status": "UNAVAILABLE", "detail": f"{type(problem).__name__}: {problem}"[:300]}
    return {"status": "GOOD", "detail": "checked against the CA's CRL/OCSP"}


def _declares_revocation_sources(certificate: x509.Certificate) -> bool:
    for oid in (
        x509.oid.ExtensionOID.CRL_DISTRIBUTION_POINTS,
        x509.oid.ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
    ):
        try:
            certificate.extensions.get_extension_for_oid(oid)
        except x509.ExtensionNotFound:
            continue
        return True
    return False
