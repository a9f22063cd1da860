"""Presentation building blocks for the certificate PDF (reportlab platypus).

Nothing in this module knows the certificate data model: every function receives plain,
already formatted strings, and every piece of user-supplied text is XML-escaped here before it
reaches a ``Paragraph``.  Only the standard Helvetica/Courier fonts are used (WinAnsi encoding,
which covers Spanish accents, "—", "«»", "N.º"...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
)

from services.issuer.certificates.rendering_page import (
    ACCENT,
    BOLD,
    CONTENT_WIDTH,
    INK,
    MUTED,
    RULE,
    ZEBRA,
)

COUNTRY_HEADER: Final = "REPÚBLICA DEL ECUADOR"

# Symbol size of the QR code without its quiet zone: comfortably above the 30 mm minimum.
_QR_SYMBOL_SIZE: Final = 32 * mm
_QR_QUIET_MODULES: Final = 4
_QR_PANEL_WIDTH: Final = 48 * mm
_DATA_GAP: Final = 4 * mm

# Movements table columns (sum == CONTENT_WIDTH == 174 mm).
MOVEMENT_HEADERS: Final = (
    "Fecha y hora (local)",
    "Movimiento",
    "Punto de control",
    "Documento",
    "Procedencia / Destino",
    "Transporte",
)
_MOVEMENT_COL_WIDTHS: Final = tuple(w * mm for w in (24, 18, 43, 38.5, 28, 22.5))


def _style(
    name: str, size: float, leading: float, font: str = "Helvetica", **kw: Any
) -> ParagraphStyle:
    kw.setdefault("textColor", INK)
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, **kw)


_S_COUNTRY = _style("country", 7.5, 9, textColor=MUTED)
_S_ISSUER = _style("issuer", 10.5, 13, BOLD, textColor=ACCENT)
_S_NUMBER_LABEL = _style("numlabel", 7, 8.5, textColor=MUTED, alignment=TA_RIGHT)
_S_NUMBER = _style("number", 11, 13, BOLD, alignment=TA_RIGHT)
_S_TITLE = _style("title", 15, 19, BOLD, alignment=TA_CENTER)
_S_SUBTITLE = _style("subtitle", 10, 13, "Helvetica-Oblique", alignment=TA_CENTER, textColor=MUTED)
_S_SECTION = _style("section", 8, 10, BOLD, textColor=ACCENT)
_S_LABEL = _style("label", 8, 10.5, BOLD, textColor=MUTED)
_S_VALUE = _style("value", 9, 11)
_S_HEADING = _style("heading", 9.5, 12, BOLD, textColor=ACCENT, spaceBefore=8, spaceAfter=4)
_S_TH = _style("th", 7.5, 9, BOLD, textColor=colors.white)
_S_TD = _style("td", 7.5, 9)
_S_TD_BOLD = _style("tdb", 7.5, 9, BOLD)
_S_TOTALS = _style("totals", 8.5, 11, BOLD, spaceBefore=5)
_S_NOTICE = _style("notice", 10, 14, alignment=TA_CENTER)
_S_NOTE = _style("note", 7.5, 10, alignment=TA_LEFT, textColor=MUTED, spaceAfter=3)
_S_QR_LABEL = _style("qrlabel", 7, 8.5, textColor=MUTED, alignment=TA_CENTER)
_S_QR_CODE = _style("qrcode", 10, 12, "Courier-Bold", alignment=TA_CENTER)
_S_QR_URL = _style("qrurl", 6.5, 8, alignment=TA_CENTER, textColor=MUTED)


def _padding(
    left: float, right: float, top: float, bottom: float
) -> list[tuple[str, tuple[int, int], tuple[int, int], float]]:
    """TableStyle commands setting the four cell paddings of the whole table."""
    return [
        (f"{side}PADDING", (0, 0), (-1, -1), value)
        for side, value in (("LEFT", left), ("RIGHT", right), ("TOP", top), ("BOTTOM", bottom))
    ]


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """Paragraph from plain text (escaped, never interpreted as markup)."""
    return Paragraph(escape(text), style)


# ----------------------------------------------------------------------------------------------
# First-page blocks
# ----------------------------------------------------------------------------------------------


def document_header(issuer_name: str, number: str, title: str, subtitle: str) -> list[Flowable]:
    left = [_p(COUNTRY_HEADER, _S_COUNTRY), _p(issuer_name, _S_ISSUER)]
    right = [_p("CERTIFICADO N.º", _S_NUMBER_LABEL), _p(number, _S_NUMBER)]
    band = Table(
        [[left, right]],
        colWidths=[CONTENT_WIDTH - 50 * mm, 50 * mm],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            *_padding(0, 0, 0, 3),
        ],
    )
    return [
        band,
        HRFlowable(width="100%", thickness=1.6, color=ACCENT, spaceBefore=0, spaceAfter=1.2),
        HRFlowable(width="100%", thickness=0.4, color=ACCENT, spaceBefore=0, spaceAfter=10),
        _p(title, _S_TITLE),
        _p(subtitle, _S_SUBTITLE),
        Spacer(1, 9),
    ]


def _qr_drawing(value: str) -> Drawing:
    widget = QrCodeWidget(value, barLevel="M", barBorder=_QR_QUIET_MODULES)
    widget.qr.make()
    modules: int = widget.qr.getModuleCount()
    size = _QR_SYMBOL_SIZE * (modules + 2 * _QR_QUIET_MODULES) / modules
    widget.barWidth = widget.barHeight = size
    drawing = Drawing(size, size)
    drawing.add(widget)
    drawing.hAlign = "CENTER"
    return drawing


def _qr_panel(verify_url: str, verification_code: str) -> Table:
    rows = [
        [_qr_drawing(verify_url)],
        [_p("Código de verificación", _S_QR_LABEL)],
        [_p(verification_code, _S_QR_CODE)],
        [_p("Verifique la autenticidad en:", _S_QR_LABEL)],
        [_p(verify_url, _S_QR_URL)],
    ]
    return Table(
        rows,
        colWidths=[_QR_PANEL_WIDTH],
        hAlign="RIGHT",
        style=[
            ("BOX", (0, 0), (-1, -1), 0.5, RULE),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            *_padding(3, 3, 0, 1),
            ("TOPPADDING", (0, 0), (0, 0), 1),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
            ("TOPPADDING", (0, 3), (0, 3), 4),
        ],
    )


Section = tuple[str, Sequence[tuple[str, str]]]


def _data_table(sections: Sequence[Section], width: float) -> Table:
    label_width = 40 * mm
    rows: list[list[Any]] = []
    style: list[tuple[Any, ...]] = [
        ("BOX", (0, 0), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *_padding(5, 5, 2.2, 2.2),
    ]
    for heading, items in sections:
        r = len(rows)
        rows.append([_p(heading.upper(), _S_SECTION), ""])
        style += [
            ("SPAN", (0, r), (1, r)),
            ("BACKGROUND", (0, r), (1, r), ZEBRA),
            ("LINEABOVE", (0, r), (1, r), 0.5, RULE),
            ("LINEBELOW", (0, r), (1, r), 0.5, RULE),
            ("TOPPADDING", (0, r), (1, r), 2.5),
            ("BOTTOMPADDING", (0, r), (1, r), 2.5),
        ]
        rows += [[_p(label, _S_LABEL), _p(value, _S_VALUE)] for label, value in items]
        style.append(("TOPPADDING", (0, r + 1), (1, r + 1), 4))
        style.append(("BOTTOMPADDING", (0, len(rows) - 1), (1, len(rows) - 1), 4))
    return Table(rows, colWidths=[label_width, width - label_width], style=style)


def data_block(sections: Sequence[Section], verify_url: str, verification_code: str) -> Table:
    """Key/value sections on the left, QR verification panel on the right."""
    left_width = CONTENT_WIDTH - _QR_PANEL_WIDTH - _DATA_GAP
    return Table(
        [[_data_table(sections, left_width), "", _qr_panel(verify_url, verification_code)]],
        colWidths=[left_width, _DATA_GAP, _QR_PANEL_WIDTH],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            *_padding(0, 0, 0, 0),
        ],
    )


# ----------------------------------------------------------------------------------------------
# Movements
# ----------------------------------------------------------------------------------------------


def heading(text: str) -> list[Flowable]:
    """Section heading that is never left alone at the bottom of a page.

    (``keepWithNext`` is not used: with a multi-page table it pushes the whole table to the
    next page.)
    """
    return [CondPageBreak(35 * mm), _p(text, _S_HEADING)]


def movements_table(rows: Sequence[Sequence[str]]) -> Table:
    """One row per movement; the 2nd column (ENTRADA/SALIDA) is bold. Header repeats per page."""
    data: list[list[Paragraph]] = [[_p(h, _S_TH) for h in MOVEMENT_HEADERS]]
    for row in rows:
        cells = [_p(value, _S_TD) for value in row]
        cells[1] = _p(row[1], _S_TD_BOLD)
        data.append(cells)
    return Table(
        data,
        colWidths=list(_MOVEMENT_COL_WIDTHS),
        repeatRows=1,
        style=[
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("VALIGN", (0, 1), (-1, -1), "TOP"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("BOX", (0, 0), (-1, -1), 0.5, ACCENT),
            *_padding(3, 3, 2.5, 2.5),
        ],
    )


def totals_line(text: str) -> Paragraph:
    return _p(text, _S_TOTALS)


def no_movements_notice(bold_text: str, rest: str) -> Table:
    notice = Paragraph(f"<b>{escape(bold_text)}</b> {escape(rest)}", _S_NOTICE)
    return Table(
        [[notice]],
        colWidths=[CONTENT_WIDTH],
        style=[
            ("BOX", (0, 0), (-1, -1), 0.8, ACCENT),
            ("BACKGROUND", (0, 0), (-1, -1), ZEBRA),
            ("TOPPADDING", (0, 0), (-1, -1), 10),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
        ],
    )


def legal_note(paragraphs: Sequence[str]) -> KeepTogether:
    return KeepTogether(
        [
            Spacer(1, 10),
            HRFlowable(width="100%", thickness=0.4, color=RULE, spaceBefore=0, spaceAfter=4),
            *(_p(text, _S_NOTE) for text in paragraphs),
        ]
    )
