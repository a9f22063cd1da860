"""Validation of signed PDFs from untrusted sources (incoming oficios, /v1/verify).

The public function is synchronous and CPU-bound; call it through
``anyio.to_thread.run_sync``. It drives pyHanko's async validator with its own
``asyncio.run``, which raises ``RuntimeError`` if called on a running event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    EmbeddedPdfSignature,
    PdfSignatureStatus,
    SignatureCoverageLevel,
    async_validate_pdf_signature,
)
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

from ._loop import ensure_worker_thread

logger = logging.getLogger(__name__)

ACCEPTED_COVERAGE = {SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION}
# LTA_UPDATES are DSS/document-timestamp additions, which never alter document content.
ACCEPTED_MODIFICATIONS = {ModificationLevel.NONE, ModificationLevel.LTA_UPDATES}
# Either usage marks a certificate meant for signatures; national CAs differ in which
# they set, and Adobe Reader accepts either, so requiring both would reject real oficios.
SIGNING_KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)


@dataclass(frozen=True)
class SignatureCheck:
    """Outcome of :func:`validate_signed_pdf`.

    ``signer_subject`` and ``signed_at`` describe the last signature whenever it could be
    parsed, even if invalid (useful for logs); they are only trustworthy when ``valid``.
    ``signed_at`` is the signer-asserted time: there is no timestamp authority.
    """

    valid: bool
    reason: str | None = None
    signer_subject: str | None = None
    signed_at: datetime | None = None
    certified: bool = False


def validate_signed_pdf(
    pdf_bytes: bytes,
    trust_roots: Sequence[x509.Certificate],
    *,
    require_certification: bool = False,
    timestamp_roots: Sequence[x509.Certificate] = (),
) -> SignatureCheck:
    """Check the last signature of ``pdf_bytes`` against ``trust_roots``; never raises.

    Valid means: intact, chaining to a trust root (offline, revocation soft-fail), covering
    the whole document (only LTA updates may follow it), not violating an earlier author
    signature's DocMDP policy and, if ``require_certification``, being the DocMDP one.
    A signature timestamp must chain to ``timestamp_roots`` (the timestamp authority's
    CAs, kept apart so that they never vouch for a signer).
    """
    ensure_worker_thread()
    roots = _asn1(trust_roots)
    ts_roots = _asn1(timestamp_roots) + roots
    # asyncio.run stays outside every try/except so that an infrastructure failure is
    # never mistaken for a bad signature.
    return asyncio.run(_validate(pdf_bytes, roots, ts_roots, require_certification))


def _asn1(certificates: Sequence[x509.Certificate]) -> list[asn1_x509.Certificate]:
    return [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in certificates]


async def _validate(
    pdf_bytes: bytes,
    roots: list[asn1_x509.Certificate],
    ts_roots: list[asn1_x509.Certificate],
    require_certification: bool,
) -> SignatureCheck:
    try:
        reader = PdfFileReader(BytesIO(pdf_bytes))
    except Exception:
        # Untrusted bytes can make the parser fail in many ways (PdfReadError, but also
        # ValueError/KeyError/IndexError from malformed objects); all mean "not a PDF".
        logger.debug("input is not a readable PDF", exc_info=True)
        return SignatureCheck(valid=False, reason="NOT_A_PDF")
    try:
        signatures: list[EmbeddedPdfSignature] = reader.embedded_regular_signatures
    except Exception:
        # Same reasoning: the signature dictionaries and CMS blobs are attacker-controlled.
        logger.debug("could not extract signatures", exc_info=True)
        return SignatureCheck(valid=False, reason="MALFORMED_SIGNATURE")
    if not signatures:
        return SignatureCheck(valid=False, reason="NOT_SIGNED")

    last = signatures[-1]
    # allow_fetching=False means the context owns no HTTP session, so there is nothing
    # to aclose() afterwards.
    vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
    ts_vc = ValidationContext(
        trust_roots=ts_roots, allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = await async_validate_pdf_signature(
            last, vc, ts_validation_context=ts_vc, key_usage_settings=SIGNING_KEY_USAGE
        )
        certified = _is_certifying(reader, last)
        author_lock_ok = _author_docmdp_respected(reader, signatures, last)
    except Exception:
        # pyHanko's CMS/diff machinery raises a variety of errors on hostile input.
        logger.debug("signature validation failed", exc_info=True)
        return SignatureCheck(valid=False, reason="MALFORMED_SIGNATURE")

    reason = _failure_reason(status, certified, author_lock_ok, require_certification)
    return SignatureCheck(
        valid=reason is None,
        reason=reason,
        signer_subject=_subject(status),
        signed_at=status.signer_reported_dt,
        certified=certified,
    )


def _failure_reason(
    status: PdfSignatureStatus, certified: bool, author_lock_ok: bool, require_certification: bool
) -> str | None:
    if not status.intact:
        return "TAMPERED"
    if not status.valid:
        return "INVALID_SIGNATURE"
    if (
        status.coverage not in ACCEPTED_COVERAGE
        or status.modification_level not in ACCEPTED_MODIFICATIONS
        or status.docmdp_ok is False
        or not author_lock_ok
    ):
        return "MODIFIED_AFTER_SIGNING"
    if not status.trusted:
        return "REVOKED" if status.revoked else "UNTRUSTED"
    if not status.bottom_line:
        # Remaining checks folded into bottom_line, e.g. seed-value constraints.
        return "INVALID_SIGNATURE"
    if require_certification and not certified:
        return "NOT_CERTIFYING"
    return None


def _is_certifying(reader: PdfFileReader, sig: EmbeddedPdfSignature) -> bool:
    """Whether ``sig`` is the author signature that ``/Perms /DocMDP`` points at."""
    perms = reader.root.get("/Perms")
    if perms is None or "/DocMDP" not in perms:
        return False
    author_ref = perms.raw_get("/DocMDP")
    sig_ref = sig.sig_field.raw_get("/V")
    # The spec requires both to be indirect references; anything else is not a valid
    # certification, so a missing reference never counts as a match.
    author = getattr(author_ref, "reference", None)
    same = author is not None and author == getattr(sig_ref, "reference", None)
    return same and sig.docmdp_level is not None


def _author_docmdp_respected(
    reader: PdfFileReader, signatures: list[EmbeddedPdfSignature], last: EmbeddedPdfSignature
) -> bool:
    """Check that later revisions honour an earlier certifying signature's DocMDP lock.

    Validating only the last signature would otherwise accept e.g. an approval signature
    appended to a document certified with NO_CHANGES.
    """
    for sig in signatures:
        if sig is not last and _is_certifying(reader, sig):
            sig.compute_integrity_info()  # type: ignore[no-untyped-call]  # unannotated upstream
            return sig.summarise_integrity_info()["docmdp_ok"] is True
    return True


def _subject(status: PdfSignatureStatus) -> str | None:
    try:
        cert = x509.load_der_x509_certificate(status.signing_cert.dump())
    except ValueError:
        # asn1crypto tolerates encodings that cryptography rejects; the subject is
        # informational, so a certificate we cannot re-parse just yields no subject.
        return None
    return cert.subject.rfc4514_string()
