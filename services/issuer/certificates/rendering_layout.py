"""Presentation building blocks for the certificate PDF (reportlab platypus).

Nothing in this module knows the certificate data model: every function receives plain,
already formatted strings, and every piece of user-supplied text is XML-escaped here before it
reaches a ``Paragraph``.  Fonts are the embedded Vera family of ``rendering_fonts``.  Every
block says what it is for the structure tree (``rendering_tags``): headings, paragraphs, a
figure with its text alternative, real tables with header cells; the rest is artifact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from xml.sax.saxutils import escape

import zxingcpp
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer, Table

from services.issuer.certificates.rendering_fonts import ITALIC, REGULAR
from services.issuer.certificates.rendering_page import (
    ACCENT,
    BOLD,
    CONTENT_WIDTH,
    INK,
    MUTED,
    RULE,
    ZEBRA,
)
from services.issuer.certificates.rendering_tags import (
    ArtifactRule,
    DataTable,
    LayoutTable,
    figure,
    tagged,
)

COUNTRY_HEADER: Final = "REPÚBLICA DEL ECUADOR"

# Symbol size of the QR code without its quiet zone: comfortably above the 30 mm minimum,
# and larger when the seal makes the symbol dense, so that a module stays >= 0.45 mm where
# the panel allows (a phone camera reads a printed A4 page at arm's length).
_QR_SYMBOL_SIZE: Final = 32 * mm
_QR_MIN_MODULE: Final = 0.45 * mm
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
_MOVEMENT_COL_WIDTHS: Final = tuple(w * mm for w in (25, 19, 41, 37.5, 28, 23.5))


def _style(
    name: str, size: float, leading: float, font: str = REGULAR, **kw: Any
) -> ParagraphStyle:
    kw.setdefault("textColor", INK)
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, **kw)


_S_COUNTRY = _style("country", 7.5, 9, textColor=MUTED)
_S_ISSUER = _style("issuer", 10.5, 13, BOLD, textColor=ACCENT)
_S_NUMBER_LABEL = _style("numlabel", 7, 8.5, textColor=MUTED, alignment=TA_RIGHT)
_S_NUMBER = _style("number", 11, 13, BOLD, alignment=TA_RIGHT)
_S_TITLE = _style("title", 15, 19, BOLD, alignment=TA_CENTER)
_S_SUBTITLE = _style("subtitle", 10, 13, ITALIC, alignment=TA_CENTER, textColor=MUTED)
_S_SECTION = _style("section", 8, 10, BOLD, textColor=ACCENT)
_S_LABEL = _style("label", 8, 10.5, BOLD, textColor=MUTED)
_S_VALUE = _style("value", 9, 11)
_S_HEADING = _style("heading", 9.5, 12, BOLD, textColor=ACCENT, spaceBefore=8, spaceAfter=4)
_S_TH = _style("th", 7, 8.5, BOLD, textColor=colors.white)
_S_TD = _style("td", 7, 8.5)
_S_TD_BOLD = _style("tdb", 7, 8.5, BOLD)
_S_TOTALS = _style("totals", 8.5, 11, BOLD, spaceBefore=5)
_S_NOTICE = _style("notice", 10, 14, alignment=TA_CENTER)
_S_NOTE = _style("note", 7.5, 10, alignment=TA_LEFT, textColor=MUTED, spaceAfter=3)
_S_QR_LABEL = _style("qrlabel", 7, 8.5, textColor=MUTED, alignment=TA_CENTER)
_S_QR_CODE = _style("qrcode", 10, 12, BOLD, alignment=TA_CENTER)
_S_QR_URL = _style("qrurl", 6.5, 8, alignment=TA_CENTER, textColor=MUTED)


# Tables select their cells' font themselves (Helvetica unless told): it must be one of
# the embedded ones even where every cell holds a Paragraph with its own font.
_TABLE_FONT: Final = ("FONTNAME", (0, 0), (-1, -1), REGULAR)


def _padding(
    left: float, right: float, top: float, bottom: float
) -> list[tuple[str, tuple[int, int], tuple[int, int], float]]:
    """TableStyle commands setting the four cell paddings of the whole table."""
    return [
        (f"{side}PADDING", (0, 0), (-1, -1), value)
        for side, value in (("LEFT", left), ("RIGHT", right), ("TOP", top), ("BOTTOM", bottom))
    ]


def _p(text: str, style: ParagraphStyle, tag: str | None = "P") -> Paragraph:
    """Paragraph from plain text (escaped, never interpreted as markup), tagged ``tag``;
    ``None`` inside a real table's cells, which the table tags itself."""
    if tag is None:
        return Paragraph(escape(text), style)
    return tagged(escape(text), style, tag)


# ----------------------------------------------------------------------------------------------
# First-page blocks
# ----------------------------------------------------------------------------------------------


def document_header(issuer_name: str, number: str, title: str, subtitle: str) -> list[Flowable]:
    left = [_p(COUNTRY_HEADER, _S_COUNTRY), _p(issuer_name, _S_ISSUER)]
    right = [_p("CERTIFICADO N.º", _S_NUMBER_LABEL), _p(number, _S_NUMBER)]
    band = Table(
        [[left, right]],
        colWidths=[CONTENT_WIDTH - 50 * mm, 50 * mm],
        renderCB=LayoutTable(),
        style=[
            _TABLE_FONT,
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            *_padding(0, 0, 0, 3),
        ],
    )
    return [
        band,
        ArtifactRule(width="100%", thickness=1.6, color=ACCENT, spaceBefore=0, spaceAfter=1.2),
        ArtifactRule(width="100%", thickness=0.4, color=ACCENT, spaceBefore=0, spaceAfter=10),
        _p(title, _S_TITLE, "H1"),
        _p(subtitle, _S_SUBTITLE),
        Spacer(1, 9),
    ]


def qr_modules(verify_url: str, seal: str | None) -> list[list[bool]]:
    """The QR symbol of ``verify_url`` (and ``#seal``) at level M, as rows of dark
    modules, without its quiet zone.

    Encoded by zxing-cpp (C++): it chooses the modes segment by segment (the URL in byte
    mode, the base45 seal in alphanumeric mode, which packs 2 characters in 11 bits
    instead of 16) and scores the eight masks, in about 1 ms. reportlab's pure-Python
    encoder took 28 ms for the same symbol with one fixed mask, a quarter of a sealed
    certificate's rendering. Level M (15 % of the symbol recoverable) survives a fold or
    a stain on paper."""
    payload = verify_url if seal is None else f"{verify_url}#{seal}"
    symbol = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = symbol.to_image(scale=1, add_quiet_zones=False)  # a byte per module, 0 = dark
    # Image has the buffer protocol; its stub does not say so.
    count, pixels = image.shape[0], bytes(memoryview(image))  # type: ignore[arg-type]
    return [[pixels[row * count + col] == 0 for col in range(count)] for row in range(count)]


class _QrCode(Flowable):  # type: ignore[misc]  # reportlab ships no type information
    """The verification URL (and seal) as a QR code, its dark modules drawn as filled runs.

    (Not reportlab's QR widget drawing: its renderer selects Helvetica, which PDF/A would
    then need embedded although no text is drawn.)
    """

    def __init__(self, verify_url: str, seal: str | None) -> None:
        super().__init__()
        self.modules = qr_modules(verify_url, seal)
        count = len(self.modules)
        # The seal makes the symbol dense: grow it so a module stays >= _QR_MIN_MODULE,
        # as far as the panel allows.
        widest = (_QR_PANEL_WIDTH - 6 * mm) * count / (count + 2 * _QR_QUIET_MODULES)
        symbol = min(max(_QR_SYMBOL_SIZE, count * _QR_MIN_MODULE), widest)
        self.module = symbol / count
        self.size = symbol + 2 * _QR_QUIET_MODULES * self.module
        self.alt = f"Código QR con el enlace de verificación {verify_url}"
        self.hAlign = "CENTER"

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        canvas, module = self.canv, self.module
        quiet = _QR_QUIET_MODULES * module
        with figure(canvas, self.alt):
            canvas.setFillColor(colors.black)
            for row, cells in enumerate(self.modules):
                y = self.size - quiet - (row + 1) * module
                col = 0
                while col < len(cells):
                    if not cells[col]:
                        col += 1
                        continue
                    start = col
                    while col < len(cells) and cells[col]:
                        col += 1
                    x = quiet + start * module
                    canvas.rect(x, y, (col - start) * module, module, stroke=0, fill=1)


def _qr_panel(verify_url: str, verification_code: str, seal: str | None) -> Table:
    rows = [
        [_QrCode(verify_url, seal)],
        [_p("Código de verificación", _S_QR_LABEL)],
        [_p(verification_code, _S_QR_CODE)],
        [_p("Verifique la autenticidad en:", _S_QR_LABEL)],
        [_p(verify_url, _S_QR_URL)],
    ]
    return Table(
        rows,
        colWidths=[_QR_PANEL_WIDTH],
        hAlign="RIGHT",
        renderCB=LayoutTable(),
        style=[
            _TABLE_FONT,
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
        _TABLE_FONT,
        ("BOX", (0, 0), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        *_padding(5, 5, 2.2, 2.2),
    ]
    section_rows = []
    for heading, items in sections:
        r = len(rows)
        section_rows.append(r)
        rows.append([_p(heading.upper(), _S_SECTION, None), ""])
        style += [
            ("SPAN", (0, r), (1, r)),
            ("BACKGROUND", (0, r), (1, r), ZEBRA),
            ("LINEABOVE", (0, r), (1, r), 0.5, RULE),
            ("LINEBELOW", (0, r), (1, r), 0.5, RULE),
            ("TOPPADDING", (0, r), (1, r), 2.5),
            ("BOTTOMPADDING", (0, r), (1, r), 2.5),
        ]
        rows += [[_p(label, _S_LABEL, None), _p(value, _S_VALUE, None)] for label, value in items]
        style.append(("TOPPADDING", (0, r + 1), (1, r + 1), 4))
        style.append(("BOTTOMPADDING", (0, len(rows) - 1), (1, len(rows) - 1), 4))
    tags = DataTable(row_header_column=0, spanning_rows=frozenset(section_rows))
    return Table(rows, colWidths=[label_width, width - label_width], style=style, renderCB=tags)


def data_block(
    sections: Sequence[Section], verify_url: str, verification_code: str, *, seal: str | None
) -> Table:
    """Key/value sections on the left, QR verification panel on the right."""
    left_width = CONTENT_WIDTH - _QR_PANEL_WIDTH - _DATA_GAP
    return Table(
        [[_data_table(sections, left_width), "", _qr_panel(verify_url, verification_code, seal)]],
        colWidths=[left_width, _DATA_GAP, _QR_PANEL_WIDTH],
        renderCB=LayoutTable(),
        style=[
            _TABLE_FONT,
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
    return [CondPageBreak(35 * mm), _p(text, _S_HEADING, "H2")]


def movements_table(rows: Sequence[Sequence[str]]) -> Table:
    """One row per movement; the 2nd column (ENTRADA/SALIDA) is bold. Header repeats per page."""
    data: list[list[Paragraph | str]] = [[_p(h, _S_TH, None) for h in MOVEMENT_HEADERS]]
    for row in rows:
        data.append([
            _cell_text(value, _S_TD_BOLD if column == 1 else _S_TD, width - 2 * _CELL_PAD)
            for column, (value, width) in enumerate(zip(row, _MOVEMENT_COL_WIDTHS, strict=True))
        ])  # fmt: skip
    return Table(
        data,
        colWidths=list(_MOVEMENT_COL_WIDTHS),
        repeatRows=1,
        renderCB=DataTable(header_rows=1),
        style=[
            _TABLE_FONT,
            ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
            ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
            ("VALIGN", (0, 1), (-1, -1), "TOP"),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
            ("BOX", (0, 0), (-1, -1), 0.5, ACCENT),
            *_padding(_CELL_PAD, _CELL_PAD, 2.5, 2.5),
            # What _S_TD / _S_TD_BOLD say, for the cells drawn as text (_cell_text).
            ("FONTNAME", (0, 1), (-1, -1), _S_TD.fontName),
            ("FONTNAME", (1, 1), (1, -1), _S_TD_BOLD.fontName),
            ("FONTSIZE", (0, 1), (-1, -1), _S_TD.fontSize),
            ("LEADING", (0, 1), (-1, -1), _S_TD.leading),
            ("TEXTCOLOR", (0, 1), (-1, -1), _S_TD.textColor),
        ],
    )


_CELL_PAD: Final = 3


def _cell_text(text: str, style: ParagraphStyle, width: float) -> Paragraph | str:
    """A movement cell as lines of text the table draws itself, wrapped at word breaks
    to ``width``: a Paragraph per cell (markup parser, fragments, line breaking) was a
    quarter of a 50-movement certificate's rendering. A word wider than the column (a
    long document number) still gets a Paragraph, which splits it."""
    lines = simpleSplit(text, style.fontName, style.fontSize, width)
    if any(stringWidth(line, style.fontName, style.fontSize) > width for line in lines):
        return _p(text, style, None)
    return "\n".join(lines)


def totals_line(text: str) -> Paragraph:
    return _p(text, _S_TOTALS)


def no_movements_notice(bold_text: str, rest: str) -> Table:
    notice = tagged(f"<b>{escape(bold_text)}</b> {escape(rest)}", _S_NOTICE)
    return Table(
        [[notice]],
        colWidths=[CONTENT_WIDTH],
        renderCB=LayoutTable(),
        style=[
            _TABLE_FONT,
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
            ArtifactRule(width="100%", thickness=0.4, color=RULE, spaceBefore=0, spaceAfter=4),
            *(_p(text, _S_NOTE) for text in paragraphs),
        ]
    )
