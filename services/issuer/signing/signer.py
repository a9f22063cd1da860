"""PAdES signing of PDFs with pyHanko.

pyHanko's synchronous entry points wrap its async core in ``asyncio.run``; these
functions therefore must run in a worker thread (``anyio.to_thread.run_sync``), never
directly on the event loop (that raises ``RuntimeError``).
"""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner

from ._loop import ensure_worker_thread
from .identity import SigningIdentity

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
) -> bytes:
    """Add an invisible PAdES baseline-B signature as an incremental update.

    ``certify=True`` makes it the document's author (DocMDP) signature; it must then be
    the first signature in the file. ``docmdp_permissions`` only matters in that case.
    """
    ensure_worker_thread()
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes))
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
    )
    # No timestamper: the issuer runs without network access, so the signing time is
    # the signer-asserted one (PAdES B-B).
    output: BytesIO = PdfSigner(meta, signer=identity.signer).sign_pdf(writer)
    return output.getvalue()


def sign_certificate_pdf(
    pdf_bytes: bytes,
    identity: SigningIdentity,
    *,
    reason: str = DEFAULT_REASON,
    location: str = DEFAULT_LOCATION,
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
    )
