"""The signed oficio must say what the request says (OFICIO_CONTENT_MISMATCH).

A valid signature proves who wrote the letter, not that the JSON beside it matches the
letter: the oficio number and the subject's identity number must both appear in the
signed text. Both sides are compared as bare letters and digits (no case, accents,
spaces, dots or dashes), so "171003406-5" in the letter matches "1710034065", and a
number that the PDF's layout broke across lines still matches.
"""

from __future__ import annotations

import re
import unicodedata

from services.issuer.oficios.schemas import CertificateRequestIn
from shared.errors import FieldError

_NOT_ALPHANUMERIC = re.compile(r"[^A-Z0-9]+")
FIELD = "oficio.pdf_base64"


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return _NOT_ALPHANUMERIC.sub("", bare)


def subject_identity_number(request: CertificateRequestIn) -> str | None:
    """The number the letter must name: the cédula, else the document's number."""
    return request.subject.national_id or request.subject.document_number


def content_errors(request: CertificateRequestIn, signed_text: str) -> list[FieldError]:
    text = normalise(signed_text)
    if not text:
        return [
            FieldError(
                "OFICIO_CONTENT_MISMATCH",
                FIELD,
                "the signed PDF has no text to read (an image-only scan?): the issuer cannot "
                "check that it names the oficio number and the person; send the oficio as "
                "signed from the document system (Quipux, FirmaEC), not a scan",
            )
        ]
    missing = []
    if normalise(request.oficio.number) not in text:
        missing.append(f"the oficio number {request.oficio.number}")
    identity = subject_identity_number(request)
    if identity and normalise(identity) not in text:
        missing.append(f"the subject's identity number {identity}")
    if not missing:
        return []
    return [
        FieldError(
            "OFICIO_CONTENT_MISMATCH",
            FIELD,
            "the signed oficio does not mention "
            + " nor ".join(missing)
            + " (only the text covered by the signature counts)",
        )
    ]
