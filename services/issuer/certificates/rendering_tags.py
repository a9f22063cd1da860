"""Tagging the certificate while reportlab draws it (tagged PDF, PDF/UA-minded).

reportlab writes no structure of its own, but it lets us put operators into the content
stream (``canvas.addLiteral``) and calls a table's ``renderCB`` around its background,
rows, cells and rules. That is enough to bracket every piece of content either as
marked content with an MCID (``/P <</MCID 3>> BDC … EMC``) or as an artifact (page
furniture, rules, backgrounds, a header row repeated on a later page).
:class:`StructureRecorder` remembers which structure element owns each MCID;
``rendering_archival`` then writes the structure tree from it with pikepdf.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from reportlab.platypus import HRFlowable, Paragraph, Table


@dataclass
class StructElement:
    """A node of the structure tree. ``kids`` holds elements and ``(page, mcid)`` pairs."""

    tag: str
    kids: list[StructElement | tuple[int, int]] = field(default_factory=list)
    alt: str | None = None
    # Standard table attributes (/O /Table): Scope, ColSpan.
    table_attributes: dict[str, Any] = field(default_factory=dict)


class StructureRecorder:
    """Collects the structure of one rendering (one per certificate, so thread-safe)."""

    def __init__(self) -> None:
        self.root = StructElement("Document")
        self._open: list[StructElement] = [self.root]
        self._next_mcid: dict[int, int] = {}

    @property
    def pages(self) -> int:
        return max(self._next_mcid, default=-1) + 1

    def add(self, tag: str, **kwargs: Any) -> StructElement:
        element = StructElement(tag, **kwargs)
        self._open[-1].kids.append(element)
        return element

    def push(self, element: StructElement) -> None:
        self._open.append(element)

    def pop(self) -> None:
        self._open.pop()

    def begin_marked(self, canvas: Any, element: StructElement) -> None:
        page = canvas.getPageNumber() - 1
        mcid = self._next_mcid.get(page, 0)
        self._next_mcid[page] = mcid + 1
        element.kids.append((page, mcid))
        canvas.addLiteral(f"/{element.tag} <</MCID {mcid}>> BDC")

    @staticmethod
    def end_marked(canvas: Any) -> None:
        canvas.addLiteral("EMC")


def recorder_of(canvas: Any) -> StructureRecorder | None:
    return getattr(canvas, "structure", None)


@contextmanager
def artifact(canvas: Any, kind: str = "Layout") -> Iterator[None]:
    """Content that is not part of the document's text: page furniture, rules, fills."""
    if recorder_of(canvas) is None:
        yield
        return
    canvas.addLiteral(f"/Artifact <</Type /{kind}>> BDC")
    yield
    canvas.addLiteral("EMC")


class TaggedParagraph(Paragraph):  # type: ignore[misc]  # reportlab ships no types
    """A paragraph drawn as one structure element (``P`` unless told otherwise).

    ``Paragraph.split`` rebuilds the class with reportlab's own signature, so the tag is an
    attribute: the parts of a split paragraph are plain ``P`` elements.
    """

    struct_tag = "P"

    def draw(self) -> None:
        recorder = recorder_of(self.canv)
        if recorder is None:
            super().draw()
            return
        element = recorder.add(self.struct_tag)
        recorder.begin_marked(self.canv, element)
        super().draw()
        recorder.end_marked(self.canv)


def tagged(text: str, style: Any, tag: str = "P") -> TaggedParagraph:
    paragraph = TaggedParagraph(text, style)
    paragraph.struct_tag = tag
    return paragraph


class ArtifactRule(HRFlowable):  # type: ignore[misc]
    """A horizontal rule: decoration, so an artifact."""

    def draw(self) -> None:
        with artifact(self.canv):
            super().draw()


@contextmanager
def figure(canvas: Any, alt: str) -> Iterator[None]:
    """A picture with its text alternative (the QR code)."""
    recorder = recorder_of(canvas)
    if recorder is None:
        yield
        return
    element = recorder.add("Figure", alt=alt)
    recorder.begin_marked(canvas, element)
    yield
    recorder.end_marked(canvas)


class LayoutTable:
    """``renderCB`` of a table used for layout only: its fills and rules are artifacts,
    its cells' own flowables carry their tags."""

    def __call__(self, table: Table, event: str, *args: Any) -> None:
        if recorder_of(table.canv) is None:
            return
        if event in ("startBG", "startLines"):
            table.canv.addLiteral("/Artifact <</Type /Layout>> BDC")
        elif event in ("endBG", "endLines"):
            table.canv.addLiteral("EMC")


@dataclass
class DataTable(LayoutTable):
    """``renderCB`` of a real table: ``Table`` > ``TR`` > ``TH``/``TD``, one element for the
    whole table however many pages it spans. Its cells must hold plain ``Paragraph``s.

    ``header_rows`` are ``TH`` with column scope and are repeated on later pages, where
    they are pagination artifacts; ``row_header_column`` makes that column ``TH`` with row
    scope; ``spanning_rows`` are section rows (a ``TH`` spanning every column).
    """

    header_rows: int = 0
    row_header_column: int | None = None
    spanning_rows: frozenset[int] = frozenset()
    # Drawing state: the one Table element, how many fragments (pages) so far, the rows
    # drawn by earlier fragments, the current TR (None in a repeated header row).
    _element: StructElement | None = field(default=None, init=False)
    _fragments: int = field(default=0, init=False)
    _offset: int = field(default=0, init=False)
    _row: StructElement | None = field(default=None, init=False)
    _cell_open: bool = field(default=False, init=False)

    def __call__(self, table: Table, event: str, *args: Any) -> None:
        recorder = recorder_of(table.canv)
        if recorder is None:
            return
        super().__call__(table, event, *args)
        canvas = table.canv
        if event == "startTable":
            if self._element is None:
                self._element = recorder.add("Table")
            else:
                # A later fragment repeats the header rows before its own rows.
                self._fragments += 1
            recorder.push(self._element)
        elif event == "endTable":
            # _nrows/_ncols: reportlab's own row and column counts of this fragment.
            self._offset += table._nrows - (self.header_rows if self._fragments else 0)
            recorder.pop()
        elif event == "startRow":
            (row,) = args[:1]
            self._row = None if self._repeated(row) else recorder.add("TR")
        elif event == "startCell":
            row, column = args[:2]
            if self._row is None:
                canvas.addLiteral("/Artifact <</Type /Pagination>> BDC")
            else:
                cell = self._cell(self._source_row(row), column, table._ncols)
                self._row.kids.append(cell)
                recorder.begin_marked(canvas, cell)
            self._cell_open = True
        elif event == "endCell" and self._cell_open:
            canvas.addLiteral("EMC")
            self._cell_open = False

    def _repeated(self, row: int) -> bool:
        return self._fragments > 0 and row < self.header_rows

    def _source_row(self, row: int) -> int:
        if self._fragments == 0:
            return row
        return self._offset + row - self.header_rows

    def _cell(self, row: int, column: int, columns: int) -> StructElement:
        if row < self.header_rows:
            return StructElement("TH", table_attributes={"Scope": "Column"})
        if row in self.spanning_rows:
            return StructElement("TH", table_attributes={"Scope": "Column", "ColSpan": columns})
        if column == self.row_header_column:
            return StructElement("TH", table_attributes={"Scope": "Row"})
        return StructElement("TD")
