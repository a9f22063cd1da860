"""The certificate's fonts: Bitstream Vera, embedded (PDF/A forbids the unembedded
standard 14 fonts a plain reportlab document uses).

Vera ships inside reportlab itself (``reportlab/fonts/Vera*.ttf``, Bitstream's licence
allows embedding), so every machine that can render a certificate has exactly the same
font files as CI: no system font lookup, no extra package, and the bytes stay
deterministic. It covers everything Spanish needs (á é í ó ú ñ ü ¿ ¡ º « » — … ·).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Final

import reportlab
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR: Final = Path(reportlab.__file__).parent / "fonts"
REGULAR: Final = "CertSans"
BOLD: Final = "CertSans-Bold"
ITALIC: Final = "CertSans-Italic"
BOLD_ITALIC: Final = "CertSans-BoldItalic"

_FILES: Final = {
    REGULAR: "Vera.ttf",
    BOLD: "VeraBd.ttf",
    ITALIC: "VeraIt.ttf",
    BOLD_ITALIC: "VeraBI.ttf",
}
_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the family once per process (reportlab's font registry is global)."""
    global _registered
    with _lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        # <b> and <i> inside a Paragraph pick the family's other faces.
        for bold, italic, name in (
            (0, 0, REGULAR),
            (1, 0, BOLD),
            (0, 1, ITALIC),
            (1, 1, BOLD_ITALIC),
        ):
            addMapping(REGULAR, bold, italic, name)
        _registered = True


register_fonts()
