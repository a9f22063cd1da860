"""The text layer of a PDF, as a reader's copy-and-paste would give it (pypdf).

The input is untrusted: extraction is bounded (pages, characters) and any parser failure
yields no text, which the content rule then reports.
"""

from __future__ import annotations

import logging
from io import BytesIO

from pypdf import PdfReader

log = logging.getLogger(__name__)

# An oficio is a letter: a few pages. Anything longer is not read past this.
MAX_PAGES = 30
MAX_CHARACTERS = 200_000


def extract_text(pdf: bytes) -> str:
    try:
        reader = PdfReader(BytesIO(pdf))
        parts: list[str] = []
        size = 0
        for page in reader.pages[:MAX_PAGES]:
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
            if size >= MAX_CHARACTERS:
                break
    except Exception:
        log.debug("could not extract the oficio's text", exc_info=True)
        return ""
    return "\n".join(parts)[:MAX_CHARACTERS]
