"""The page around the certificate's content: A4 geometry, running header, footer and
"Página X de Y" (a two-pass canvas). Content blocks live in ``rendering_layout``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame, PageTemplate

from services.issuer.certificates import rendering_fonts as fonts
from services.issuer.certificates.rendering_tags import StructureRecorder, artifact

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_LEFT: Final = 18 * mm
MARGIN_RIGHT: Final = 18 * mm
MARGIN_TOP: Final = 20 * mm
MARGIN_BOTTOM: Final = 24 * mm
CONTENT_WIDTH: Final = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT

INK = colors.HexColor("#1a1a1a")
ACCENT = colors.HexColor("#1f3a5f")  # sober institutional navy
MUTED = colors.HexColor("#555b63")
RULE = colors.HexColor("#a7b0ba")
ZEBRA = colors.HexColor("#eef1f5")

_FOOTERRULE_Y: Final = 17 * mm
_FOOTER_LINE1_Y: Final = 12.5 * mm
_FOOTER_LINE2_Y: Final = 9 * mm
_HEADER_LINE_Y: Final = PAGE_HEIGHT - 12 * mm
_HEADERRULE_Y: Final = PAGE_HEIGHT - 14.5 * mm

BOLD: Final = fonts.BOLD
REGULAR: Final = fonts.REGULAR


_PAGE_NUMBER_RESERVE: Final = 30 * mm
_RIGHT_EDGE: Final = PAGE_WIDTH - MARGIN_RIGHT
_HALF: Final = CONTENT_WIDTH / 2 - 2 * mm

# A single line of page furniture: x, y, font, size, available width, right-aligned?
_Line = tuple[float, float, str, float, float, bool]
_FOOTER_MAIN: Final[_Line] = (
    MARGIN_LEFT, _FOOTER_LINE1_Y, REGULAR, 7.5, CONTENT_WIDTH - _PAGE_NUMBER_RESERVE, False
)  # fmt: skip
_FOOTER_SECONDARY: Final[_Line] = (
    MARGIN_LEFT, _FOOTER_LINE2_Y, REGULAR, 6.5, CONTENT_WIDTH, False
)  # fmt: skip
_HEADER_LEFT: Final[_Line] = (MARGIN_LEFT, _HEADER_LINE_Y + 3.3 * mm, REGULAR, 7, _HALF, False)
_HEADER_SECOND_LINE: Final[_Line] = (MARGIN_LEFT, _HEADER_LINE_Y, REGULAR, 7, _HALF, False)
_HEADER_RIGHT: Final[_Line] = (_RIGHT_EDGE, _HEADER_LINE_Y, BOLD, 7.5, _HALF, True)


def _fit(text: str, keep: str, font: str, size: float, width: float) -> tuple[str, float]:
    """Shrink the line down to 85 % of its size, then elide the end of ``text`` with "…";
    ``keep`` (an identity number, a certificate number) is always printed whole."""
    min_size = size * 0.85
    while size > min_size and stringWidth(text + keep, font, size) > width:
        size -= 0.25
    if stringWidth(text + keep, font, size) > width:
        while text and stringWidth(text + "…" + keep, font, size) > width:
            text = text[:-1]
        text = text.rstrip() + "…"
    return text + keep, size


def _draw_fitted(canvas: Any, text: str, line: _Line, color: Any, keep: str = "") -> None:
    """Draw one line of page furniture within its width (see :func:`_fit`)."""
    x, y, font, size, width, right = line
    text, size = _fit(text, keep, font, size, width)
    canvas.setFont(font, size)
    canvas.setFillColor(color)
    (canvas.drawRightString if right else canvas.drawString)(x, y, text)


class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no type information
    """Two-pass canvas: keeps every page's state and draws "Página X de Y" when saving.

    ``creation_date`` (a PDF date string such as ``D:20261122101500-05'00'``) replaces the
    reportlab timestamp in the document info, so that the output depends only on the input.
    ``structure`` collects the tags that the flowables mark while they draw.
    """

    def __init__(
        self,
        *args: Any,
        creation_date: str | None = None,
        structure: StructureRecorder | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.structure = structure
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
            with artifact(self, "Pagination"):
                self.setFont(BOLD, 8)
                self.setFillColor(INK)
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
    header_subject_name: str
    header_subject_identity: str

    def first_page(self, canvas: Any, doc: Any) -> None:
        canvas.saveState()
        with artifact(canvas, "Pagination"):
            canvas.setStrokeColor(ACCENT)
            canvas.setLineWidth(0.75)
            canvas.line(MARGIN_LEFT, _FOOTERRULE_Y, _RIGHT_EDGE, _FOOTERRULE_Y)
            label, colon, code = self.footer_main.rpartition(": ")
            _draw_fitted(canvas, label, _FOOTER_MAIN, INK, keep=colon + code)
            _draw_fitted(canvas, self.footer_secondary, _FOOTER_SECONDARY, MUTED)
        canvas.restoreState()

    def later_pages(self, canvas: Any, doc: Any) -> None:
        self.first_page(canvas, doc)
        canvas.saveState()
        with artifact(canvas, "Pagination"):
            _draw_fitted(canvas, self.header_left, _HEADER_LEFT, MUTED)
            # The name may shrink or be elided; the identity number never is.
            _draw_fitted(
                canvas,
                f"Titular: {self.header_subject_name}",
                _HEADER_SECOND_LINE,
                MUTED,
                keep=f" · {self.header_subject_identity}",
            )
            title, _, number = self.header_right.rpartition(" ")
            _draw_fitted(canvas, title, _HEADER_RIGHT, ACCENT, keep=f" {number}")
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.5)
            canvas.line(MARGIN_LEFT, _HEADERRULE_Y, _RIGHT_EDGE, _HEADERRULE_Y)
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
