"""PAdES signing of PDFs with pyHanko.

pyHanko's synchronous entry points wrap its async core in ``asyncio.run``; these
functions therefore must run in a worker thread (``anyio.to_thread.run_sync``), never
directly on the event loop (that raises ``RuntimeError``).
"""

from __future__ import annotations

import asyncio
from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference

from ._loop import ensure_worker_thread
from .identity import SigningIdentity
from .long_term import LongTermValidation

# B-LT in one revision: the DSS is written with the signature, so a certifying
# NO_CHANGES signature is followed by nothing, and validators that ignore incremental
# updates (poppler's pdfsig) still see everything. VRI entries are not allowed then,
# and PAdES baseline does not need them.
_DSS_WITH_SIGNATURE = DSSContentSettings(
    include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE
)

CERTIFICATE_FIELD_NAME = "FirmaEmisor"
DEFAULT_REASON = "Certificado de movimientos migratorios"
DEFAULT_LOCATION = "Quito, Ecuador"


def sign_pdf(
    pdf_bytes: bytes,
    identity: SigningIdentity,
    *,
    certify: bool,
    field_name: str,
    reason: str | None = None,
    location: str | None = None,
    docmdp_permissions: MDPPerm = MDPPerm.NO_CHANGES,
    long_term: LongTermValidation | None = None,
) -> bytes:
    """Add an invisible PAdES signature as an incremental update: baseline-B, or B-LT
    (timestamp + validation data) with ``long_term``.

    ``certify=True`` makes it the document's author (DocMDP) signature; it must then be
    the first signature in the file. ``docmdp_permissions`` only matters in that case.
    """
    ensure_worker_thread()
    return asyncio.run(
        _sign(
            pdf_bytes,
            identity,
            certify=certify,
            field_name=field_name,
            reason=reason,
            location=location,
            docmdp_permissions=docmdp_permissions,
            long_term=long_term,
        )
    )


async def _sign(
    pdf_bytes: bytes,
    identity: SigningIdentity,
    *,
    certify: bool,
    field_name: str,
    reason: str | None,
    location: str | None,
    docmdp_permissions: MDPPerm,
    long_term: LongTermValidation | None,
) -> bytes:
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes))
    context = long_term.validation_context() if long_term else None
    meta = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        # ETSI.CAdES.detached: binds the signing certificate via signing-certificate-v2
        # and is what PAdES-aware validators (FirmaEC, EU DSS) expect.
        subfilter=SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=docmdp_permissions,
        reason=reason,
        location=location,
        embed_validation_info=context is not None,
        use_pades_lta=context is not None,
        validation_context=context,
        dss_settings=_DSS_WITH_SIGNATURE,
    )
    # Without a timestamp authority the signing time is the signer-asserted one (B-B).
    timestamper = long_term.timestamper if long_term else None
    signer = PdfSigner(meta, signer=identity.signer, timestamper=timestamper)
    try:
        output: BytesIO = await signer.async_sign_pdf(writer)
    finally:
        if context is not None:
            await context.aclose()  # type: ignore[no-untyped-call]  # unannotated upstream
    return output.getvalue()


def sign_certificate_pdf(
    pdf_bytes: bytes,
    identity: SigningIdentity,
    *,
    reason: str = DEFAULT_REASON,
    location: str = DEFAULT_LOCATION,
    long_term: LongTermValidation | None = None,
) -> bytes:
    """Certify an issued certificate PDF so that any later change invalidates it."""
    return sign_pdf(
        pdf_bytes,
        identity,
        certify=True,
        field_name=CERTIFICATE_FIELD_NAME,
        reason=reason,
        location=location,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        long_term=long_term,
    )
