"""Checking the signature of an oficio's PDF (from an untrusted source)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import anyio
from cryptography import x509

from services.issuer.signing import SignatureCheck, validate_signed_pdf

_WHITESPACE = re.compile(rb"\s+")


@dataclass(frozen=True, slots=True)
class OficioPdf:
    """The decoded PDF, or why it could not be decoded; and the hash that identifies it."""

    pdf: bytes | None
    sha256: str


def decode_oficio_pdf(pdf_base64: str) -> OficioPdf:
    # Mail and document systems wrap base64 at 76 columns: line breaks are not an error.
    compact = _WHITESPACE.sub(b"", pdf_base64.encode("ascii", errors="replace"))
    try:
        pdf = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return OficioPdf(pdf=None, sha256=hashlib.sha256(compact).hexdigest())
    return OficioPdf(pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest())


async def check_oficio_signature(
    oficio_pdf: OficioPdf, trust_roots: Sequence[x509.Certificate]
) -> SignatureCheck:
    if oficio_pdf.pdf is None:
        return SignatureCheck(valid=False, reason="NOT_BASE64")
    if not oficio_pdf.pdf:
        return SignatureCheck(valid=False, reason="NOT_A_PDF")
    # pyHanko is CPU-bound and runs its own event loop: a worker thread, never this loop.
    return await anyio.to_thread.run_sync(
        partial(validate_signed_pdf, oficio_pdf.pdf, list(trust_roots))
    )
