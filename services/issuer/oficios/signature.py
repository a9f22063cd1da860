"""Checking an oficio's PDF (from an untrusted source): decode, then signature, path,
revocation and signed text off the event loop."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from functools import partial

import anyio

from services.issuer.oficios.signed_pdf import OficioPdfCheck, OficioTrust, check_oficio_pdf
from services.issuer.signing import SignatureCheck

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


async def check_oficio_signature(oficio_pdf: OficioPdf, trust: OficioTrust) -> OficioPdfCheck:
    if oficio_pdf.pdf is None:
        return OficioPdfCheck(SignatureCheck(valid=False, reason="NOT_BASE64"))
    if not oficio_pdf.pdf:
        return OficioPdfCheck(SignatureCheck(valid=False, reason="NOT_A_PDF"))
    # pyHanko is CPU-bound and runs its own event loop: a worker thread, never this loop.
    return await anyio.to_thread.run_sync(partial(check_oficio_pdf, oficio_pdf.pdf, trust))
