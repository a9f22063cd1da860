"""From reportlab's PDF to an archival one: PDF/A-2b identification (XMP), an sRGB
OutputIntent, and the structure tree recorded while drawing (tagged PDF).

reportlab (open source) writes none of these, so the finished file is post-processed
with pikepdf (qpdf underneath, maintained, wheels on PyPI). Everything here depends only
on the input, and qpdf derives the file /ID from the content (``deterministic_id``), so
the output stays byte-for-byte reproducible. pyHanko's later signature is an incremental
update that keeps the XMP and the document information in step, as PDF/A requires.
"""

from __future__ import annotations

import io
from typing import Final

import pikepdf
from PIL import ImageCms

from services.issuer.certificates.rendering_tags import StructElement, StructureRecorder

PDFA_PART: Final = "2"
PDFA_CONFORMANCE: Final = "B"
SRGB: Final = "sRGB IEC61966-2.1"
# lcms2 stamps the creation time into the ICC header (bytes 24-35); pin it.
_ICC_DATE: Final = bytes.fromhex("07d0 0001 0001 0000 0000 0000".replace(" ", ""))


def srgb_profile() -> bytes:
    """An sRGB ICC profile (lcms2's, through Pillow): no profile file to ship or trust."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    profile[24:36] = _ICC_DATE
    return bytes(profile)


_SRGB_ICC: Final = srgb_profile()

# zlib's fastest level for what qpdf compresses here (object streams, the ICC profile,
# the XMP; reportlab's page and font streams arrive compressed and are kept): 3 of a
# 50-movement certificate's 60 ms of rendering at the default level, for 8% more bytes
# (87 instead of 80 kB). Process-wide in pikepdf; this module is its only user.
pikepdf.settings.set_flate_compression_level(1)


def make_archival(pdf: bytes, structure: StructureRecorder) -> bytes:
    """Return ``pdf`` as PDF/A-2b, tagged with ``structure``."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        # reportlab's /Trapped /False has no place in PDF/A-2's XMP: say nothing instead.
        del document.docinfo.Trapped
        # PDF/A wants the document information and the XMP to agree. When signing, pyHanko
        # writes "<old producer>; pyHanko x" into the former but "pyHanko x" into the
        # latter; with no producer before, both read "pyHanko x".
        del document.docinfo.Producer
        _output_intent(document)
        _structure_tree(document, structure)
        document.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
        # The XMP is made from the document information, which therefore stays as it is.
        with document.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta.load_from_docinfo(document.docinfo)
            meta["pdfaid:part"] = PDFA_PART
            meta["pdfaid:conformance"] = PDFA_CONFORMANCE
        out = io.BytesIO()
        # Object streams: the structure tree is hundreds of small dictionaries.
        document.save(
            out,
            deterministic_id=True,
            fix_metadata_version=False,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
        )
    return out.getvalue()


def _output_intent(document: pikepdf.Pdf) -> None:
    icc = pikepdf.Stream(document, _SRGB_ICC)
    icc.N = 3
    document.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier=SRGB,
                Info=SRGB,
                RegistryName="http://www.color.org",
                DestOutputProfile=document.make_indirect(icc),
            )
        ]
    )


def _structure_tree(document: pikepdf.Pdf, structure: StructureRecorder) -> None:
    pages = document.pages
    parents: list[dict[int, pikepdf.Object]] = [{} for _ in pages]
    tree_root = document.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructTreeRoot))

    def build(element: StructElement, parent: pikepdf.Object) -> pikepdf.Object:
        node = document.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.StructElem, S=pikepdf.Name("/" + element.tag), P=parent
            )
        )
        if element.alt is not None:
            node.Alt = element.alt
        if element.table_attributes:
            attributes = pikepdf.Dictionary(O=pikepdf.Name.Table)
            for key, value in element.table_attributes.items():
                attributes[f"/{key}"] = (
                    pikepdf.Name("/" + value) if isinstance(value, str) else value
                )
            node.A = attributes
        # Marked content all on one page (a cell, a paragraph that did not split) is named
        # by its MCID alone, the element's /Pg saying where: no MCR dictionary per
        # content item, a third fewer objects to make and write.
        content_pages = {kid[0] for kid in element.kids if not isinstance(kid, StructElement)}
        shared_page = next(iter(content_pages)) if len(content_pages) == 1 else None
        if shared_page is not None:
            node.Pg = pages[shared_page].obj
        kids: list[pikepdf.Object | int] = []
        for kid in element.kids:
            if isinstance(kid, StructElement):
                kids.append(build(kid, node))
                continue
            page, mcid = kid
            parents[page][mcid] = node
            if page == shared_page:
                kids.append(mcid)
            else:
                kids.append(
                    pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=pages[page].obj, MCID=mcid)
                )
        node.K = pikepdf.Array(kids)
        return node

    tree_root.K = build(structure.root, tree_root)
    numbers = pikepdf.Array()
    for index, page in enumerate(pages):
        page.obj.StructParents = index
        # Tab order follows the structure (PDF/UA).
        page.obj.Tabs = pikepdf.Name.S
        owners = parents[index]
        numbers.append(index)
        numbers.append(document.make_indirect(pikepdf.Array([owners[i] for i in sorted(owners)])))
    tree_root.ParentTree = document.make_indirect(pikepdf.Dictionary(Nums=numbers))
    tree_root.ParentTreeNextKey = len(pages)
    document.Root.StructTreeRoot = tree_root
