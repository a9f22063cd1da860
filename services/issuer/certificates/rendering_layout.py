"""Presentation building blocks for the certificate PDF (reportlab platypus).

Nothing in this module knows the certificate data model: every function receives plain,
already formatted strings, and every piece of user-supplied text is XML-escaped here before it
reaches a ``Paragraph``.  Only the standard Helvetica/Courier fonts are used (WinAnsi encoding,
which covers Spanish accents, "—", "«»", "N.º"...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Frame,
    HRFlowable,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT: Final = 18 * mm
MARGIN_RIGHT: Final = 18 * mm
MARGIN_TOP: Final = 20 * mm
MARGIN_BOTTOM: Final = 24 * mm
CONTENT_WIDTH: Final = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT

COUNTRY_HEADER: Final = "REPÚBLICA DEL ECUADOR"

_INK = colors.HexColor("#1a1a1a")
_ACCENT = colors.HexColor("#1f3a5f")  # sober institutional navy
_MUTED = colors.HexColor("#555b63")
_RULE = colors.HexColor("#a7b0ba")
_ZEBRA = colors.HexColor("#eef1f5")

_FOOTER_RULE_Y: Final = 17 * mm
_FOOTER_LINE1_Y: Final = 12.5 * mm
_FOOTER_LINE2_Y: Final = 9 * mm
_HEADER_LINE_Y: Final = PAGE_HEIGHT - 12 * mm
_HEADER_RULE_Y: Final = PAGE_HEIGHT - 14.5 * mm

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
    kw.setdefault("textColor", _INK)
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, **kw)


_BOLD = "Helvetica-Bold"
_S_COUNTRY = _style("country", 7.5, 9, textColor=_MUTED)
_S_ISSUER = _style("issuer", 10.5, 13, _BOLD, textColor=_ACCENT)
_S_NUMBER_LABEL = _style("numlabel", 7, 8.5, textColor=_MUTED, alignment=TA_RIGHT)
_S_NUMBER = _style("number", 11, 13, _BOLD, alignment=TA_RIGHT)
_S_TITLE = _style("title", 15, 19, _BOLD, alignment=TA_CENTER)
_S_SUBTITLE = _style("subtitle", 10, 13, "Helvetica-Oblique", alignment=TA_CENTER, textColor=_MUTED)
_S_SECTION = _style("section", 8, 10, _BOLD, textColor=_ACCENT)
_S_LABEL = _style("label", 8, 10.5, _BOLD, textColor=_MUTED)
_S_VALUE = _style("value", 9, 11)
_S_HEADING = _style("heading", 9.5, 12, _BOLD, textColor=_ACCENT, spaceBefore=8, spaceAfter=4)
_S_TH = _style("th", 7.5, 9, _BOLD, textColor=colors.white)
_S_TD = _style("td", 7.5, 9)
_S_TD_BOLD = _style("tdb", 7.5, 9, _BOLD)
_S_TOTALS = _style("totals", 8.5, 11, _BOLD, spaceBefore=5)
_S_NOTICE = _style("notice", 10, 14, alignment=TA_CENTER)
_S_NOTE = _style("note", 7.5, 10, alignment=TA_LEFT, textColor=_MUTED, spaceAfter=3)
_S_QR_LABEL = _style("qrlabel", 7, 8.5, textColor=_MUTED, alignment=TA_CENTER)
_S_QR_CODE = _style("qrcode", 10, 12, "Courier-Bold", alignment=TA_CENTER)
_S_QR_URL = _style("qrurl", 6.5, 8, alignment=TA_CENTER, textColor=_MUTED)


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
# Page furniture
# ----------------------------------------------------------------------------------------------

_PAGE_NUMBER_RESERVE: Final = 30 * mm
_RIGHT_EDGE: Final = PAGE_WIDTH - MARGIN_RIGHT
_HALF: Final = CONTENT_WIDTH / 2 - 2 * mm

# A single line of page furniture: x, y, font, size, available width, right-aligned?
_Line = tuple[float, float, str, float, float, bool]
_FOOTER_MAIN: Final[_Line] = (
    MARGIN_LEFT, _FOOTER_LINE1_Y, "Helvetica", 7.5, CONTENT_WIDTH - _PAGE_NUMBER_RESERVE, False
)  # fmt: skip
_FOOTER_SECONDARY: Final[_Line] = (
    MARGIN_LEFT, _FOOTER_LINE2_Y, "Helvetica", 6.5, CONTENT_WIDTH, False
)  # fmt: skip
_HEADER_LEFT: Final[_Line] = (MARGIN_LEFT, _HEADER_LINE_Y + 3.3 * mm, "Helvetica", 7, _HALF, False)
_HEADER_SECOND_LINE: Final[_Line] = (MARGIN_LEFT, _HEADER_LINE_Y, "Helvetica", 7, _HALF, False)
_HEADER_RIGHT: Final[_Line] = (_RIGHT_EDGE, _HEADER_LINE_Y, _BOLD, 7.5, _HALF, True)


def _draw_fitted(canvas: Any, text: str, line: _Line, color: Any) -> None:
    """Draw one line of text within its width: shrink it a little, then elide it with "…"."""
    x, y, font, size, width, right = line
    min_size = size * 0.85
    while size > min_size and stringWidth(text, font, size) > width:
        size -= 0.25
    if stringWidth(text, font, size) > width:
        while text and stringWidth(text + "…", font, size) > width:
            text = text[:-1]
        text = text.rstrip() + "…"
    canvas.setFont(font, size)
    canvas.setFillColor(color)
    (canvas.drawRightString if right else canvas.drawString)(x, y, text)


class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type information
    """Two-pass canvas: keeps every page's state and draws "Página X de Y" when saving.

    ``creation_date`` (a PDF date string such as ``D:20261122101500-05'00'``) replaces the
    reportlab timestamp in the document info, so that the output depends only on the input.
    """

    def __init__(self, *args: Any, creation_date: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._page_states: list[dict[str, Any]] = []
        if creation_date is not None:
            self.setDateFormatter(lambda *_ymdhms: creation_date)

    def showPage(self) -> None:
        self._page_states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._page_states)
        for state in self._page_states:
            self.__dict__.update(state)
            self.saveState()
            self.setFont(_BOLD, 8)
            self.setFillColor(_INK)
            self.drawRightString(
                _RIGHT_EDGE, _FOOTER_LINE1_Y, f"Página {self.getPageNumber()} de {total}"
            )
            self.restoreState()
            super().showPage()
        super().save()


@dataclass(frozen=True)
class PageFurniture:
    """Running header (pages 2+) and footer (every page, except the page number)."""

    footer_main: str
    footer_secondary: str
    header_left: str
    header_right: str
    header_second_line: str

    def first_page(self, canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setStrokeColor(_ACCENT)
        canvas.setLineWidth(0.75)
        canvas.line(MARGIN_LEFT, _FOOTER_RULE_Y, _RIGHT_EDGE, _FOOTER_RULE_Y)
        _draw_fitted(canvas, self.footer_main, _FOOTER_MAIN, _INK)
        _draw_fitted(canvas, self.footer_secondary, _FOOTER_SECONDARY, _MUTED)
        canvas.restoreState()

    def later_pages(self, canvas: Any, doc: Any) -> None:
        self.first_page(canvas, doc)
        canvas.saveState()
        _draw_fitted(canvas, self.header_left, _HEADER_LEFT, _MUTED)
        _draw_fitted(canvas, self.header_second_line, _HEADER_SECOND_LINE, _MUTED)
        _draw_fitted(canvas, self.header_right, _HEADER_RIGHT, _ACCENT)
        canvas.setStrokeColor(_RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_LEFT, _HEADER_RULE_Y, _RIGHT_EDGE, _HEADER_RULE_Y)
        canvas.restoreState()


def page_templates(furniture: PageFurniture) -> list[PageTemplate]:
    """ "first" (no running header) then "later" pages; the frame has no inner padding, so
    tables of ``CONTENT_WIDTH`` line up exactly with paragraphs and the page furniture."""
    frame = Frame(
        MARGIN_LEFT,
        MARGIN_BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="body",
    )
    return [
        PageTemplate("first", [frame], onPage=furniture.first_page, autoNextPageTemplate="later"),
        PageTemplate("later", [frame], onPage=furniture.later_pages),
    ]


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
        HRFlowable(width="100%", thickness=1.6, color=_ACCENT, spaceBefore=0, spaceAfter=1.2),
        HRFlowable(width="100%", thickness=0.4, color=_ACCENT, spaceBefore=0, spaceAfter=10),
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
            ("BOX", (0, 0), (-1, -1), 0.5, _RULE),
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
        ("BOX", (0, 0), (-1, -1), 0.5, _RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *_padding(5, 5, 2.2, 2.2),
    ]
    for heading, items in sections:
        r = len(rows)
        rows.append([_p(heading.upper(), _S_SECTION), ""])
        style += [
            ("SPAN", (0, r), (1, r)),
            ("BACKGROUND", (0, r), (1, r), _ZEBRA),
            ("LINEABOVE", (0, r), (1, r), 0.5, _RULE),
            ("LINEBELOW", (0, r), (1, r), 0.5, _RULE),
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
            ("BACKGROUND", (0, 0), (-1, 0), _ACCENT),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("VALIGN", (0, 1), (-1, -1), "TOP"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, _ZEBRA]),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, _RULE),
            ("BOX", (0, 0), (-1, -1), 0.5, _ACCENT),
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
            ("BOX", (0, 0), (-1, -1), 0.8, _ACCENT),
            ("BACKGROUND", (0, 0), (-1, -1), _ZEBRA),
            ("TOPPADDING", (0, 0), (-1, -1), 10),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
        ],
    )


def legal_note(paragraphs: Sequence[str]) -> KeepTogether:
    return KeepTogether(
        [
            Spacer(1, 10),
            HRFlowable(width="100%", thickness=0.4, color=_RULE, spaceBefore=0, spaceAfter=4),
            *(_p(text, _S_NOTE) for text in paragraphs),
        ]
    )
