"""The certificate as an archive and a screen reader see it: PDF/A-2b identification, sRGB
OutputIntent, embedded fonts, a structure tree that owns every piece of text, and a
signature that keeps all of it. Checked structurally with pikepdf and independently with
Debian's qpdf (``qpdf --check``) and poppler (``pdfinfo``, ``pdffonts``)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from services.issuer.certificates.rendering import render_certificate
from services.issuer.certificates.rendering_page import _fit
from services.issuer.signing import (
    SigningIdentity,
    create_development_pki,
    load_signer,
    sign_certificate_pdf,
    validate_signed_pdf,
)
from tests.issuer.test_rendering import _content, _movement

XMP_NAMESPACES = {
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}


def tool(name: str) -> str:
    """A Debian tool the suite needs (.ci/run installs qpdf and poppler-utils)."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed: apt-get install qpdf poppler-utils (CI installs them)")
    return path


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    pki = create_development_pki(tmp_path_factory.mktemp("pki"))
    return load_signer(pki.signer_p12, pki.passphrase)


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return render_certificate(_content(60))


@pytest.fixture(scope="module")
def signed(unsigned: bytes, identity: SigningIdentity) -> bytes:
    return sign_certificate_pdf(unsigned, identity)


def _file(tmp_path: Path, pdf: bytes) -> str:
    path = tmp_path / "certificado.pdf"
    path.write_bytes(pdf)
    return str(path)


def _open(pdf: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(pdf))


@pytest.mark.parametrize("which", ["unsigned", "signed"])
def test_pdfa_identification_and_output_intent(which: str, request: pytest.FixtureRequest) -> None:
    pdf: bytes = request.getfixturevalue(which)
    with _open(pdf) as document:
        metadata = document.Root.Metadata
        assert "/Filter" not in metadata.stream_dict  # PDF/A: XMP stays readable as text
        with document.open_metadata() as meta:
            assert meta["pdfaid:part"] == "2"
            assert meta["pdfaid:conformance"] == "B"
            assert meta["dc:title"] == str(document.docinfo.Title)
            assert meta["xmp:CreateDate"] == "2026-11-22T10:15:00-05:00"
            # Info and XMP agree on the producer (pyHanko writes both when signing).
            assert meta.get("pdf:Producer") == (
                str(document.docinfo.Producer) if "/Producer" in document.docinfo else None
            )
        (intent,) = document.Root.OutputIntents
        assert intent.S == "/GTS_PDFA1"
        profile = intent.DestOutputProfile
        assert profile.N == 3
        icc = profile.read_bytes()
        assert icc[36:40] == b"acsp" and icc[12:20] == b"mntrRGB "
        assert icc[8] <= 4  # PDF/A-2 accepts ICC profiles up to version 4
        assert document.Root.MarkInfo.Marked is True
        assert str(document.Root.Lang) == "es-EC"


@pytest.mark.parametrize("which", ["unsigned", "signed"])
def test_independent_tools_agree(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    path = _file(tmp_path, request.getfixturevalue(which))
    assert "No syntax or stream encoding errors" in run(tool("qpdf"), "--check", path)
    info = run(tool("pdfinfo"), path)
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE), info
    assert re.search(r"^Metadata Stream:\s+yes$", info, re.MULTILINE), info
    fonts = run(tool("pdffonts"), path).splitlines()[2:]
    assert fonts, "no fonts listed"
    for line in fonts:
        name, _type, _encoding, embedded, *_ = line.split()
        assert embedded == "yes", line
        assert "Vera" in name, line


def _fonts(document: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    for page in document.pages:
        yield from page.Resources.get("/Font", {}).values()


def test_every_font_is_embedded_and_covers_spanish(unsigned: bytes) -> None:
    with _open(unsigned) as document:
        fonts = list(_fonts(document))
        assert fonts
        for font in fonts:
            assert "/FontFile2" in font.FontDescriptor, font.BaseFont
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(unsigned)).pages)
    for spanish in ("Código de verificación", "Oficio N.º", "Perú", "Página", "—"):
        assert spanish in text


def _structure(
    node: pikepdf.Object, parent_tag: str = ""
) -> Iterator[tuple[str, str, pikepdf.Object]]:
    if not isinstance(node, pikepdf.Dictionary) or node.get("/Type") != "/StructElem":
        return
    tag = str(node.S)[1:]
    yield parent_tag, tag, node
    for kid in node.K:
        yield from _structure(kid, tag)


def test_structure_tree_has_headings_a_figure_and_table_headers(unsigned: bytes) -> None:
    with _open(unsigned) as document:
        root = document.Root.StructTreeRoot
        elements = list(_structure(root.K))
        tags = Counter(tag for _parent, tag, _node in elements)
        assert elements[0][1] == "Document"
        assert tags["H1"] == 1 and tags["H2"] == 1
        assert tags["Table"] == 2  # the certificate's data and the movements
        (figure,) = (node for _p, tag, node in elements if tag == "Figure")
        assert "https://certificados.migracion.gob.ec/verificar/" in str(figure.Alt)
        column_headers = [
            node for _p, tag, node in elements if tag == "TH" and node.A.Scope == "/Column"
        ]
        row_headers = [node for _p, tag, node in elements if tag == "TH" and node.A.Scope == "/Row"]
        assert len(column_headers) == 6 + 4  # movements' header row + four data sections
        assert len(row_headers) == 10  # one per label of the data table
        # 60 movements + the header row, once: the copies on later pages are artifacts.
        movements = [node for _p, tag, node in elements if tag == "Table"][1]
        assert len(movements.K) == 61
        assert all(parent == "TR" for parent, tag, _ in elements if tag in ("TH", "TD"))
        # Content named by a bare MCID is on the element's /Pg page; elsewhere by an MCR.
        for _p, _tag, node in elements:
            for kid in node.K:
                if isinstance(kid, int):
                    assert "/Pg" in node, node.S
                elif kid.get("/Type") == "/MCR":
                    assert "/Pg" in kid and "/MCID" in kid


def _marked_operators(page: pikepdf.Page) -> Iterator[tuple[str, list[int | str]]]:
    """Each text-showing or painting operator with the marked-content stack around it."""
    stack: list[int | str] = []
    for operands, operator in pikepdf.parse_content_stream(page):
        name = str(operator)
        if name in ("BDC", "BMC"):
            tag = str(operands[0])
            mcid = operands[1].get("/MCID") if name == "BDC" and tag != "/Artifact" else None
            stack.append(int(mcid) if mcid is not None else tag)
        elif name == "EMC":
            stack.pop()
        elif name in ("Tj", "TJ", "'", '"', "f", "F", "f*", "S", "B", "B*", "re"):
            yield name, list(stack)


def test_all_content_is_tagged_or_an_artifact(unsigned: bytes) -> None:
    with _open(unsigned) as document:
        nums = document.Root.StructTreeRoot.ParentTree.Nums
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        for index, page in enumerate(document.pages):
            assert int(page.StructParents) == index
            seen: set[int] = set()
            for operator, stack in _marked_operators(page):
                if operator == "re":  # a path, painted (and checked) by the next operator
                    continue
                assert stack, f"page {index + 1}: {operator} outside any tag or artifact"
                owner = stack[-1]
                if isinstance(owner, int):
                    seen.add(owner)
                else:
                    assert owner == "/Artifact", (index, operator, stack)
            # Every MCID on the page has exactly one owner in the parent tree, in order.
            assert len(parents[index]) == len(seen) == max(seen) + 1


def test_rendering_is_still_deterministic() -> None:
    content = _content(30)
    assert render_certificate(content) == render_certificate(content)


def test_signature_keeps_the_archival_file_intact(
    unsigned: bytes, signed: bytes, identity: SigningIdentity
) -> None:
    assert signed.startswith(unsigned)  # an incremental update: the PDF/A file is untouched
    check = validate_signed_pdf(signed, list(identity.ca_certificates), require_certification=True)
    assert check.valid and check.certified, check.reason


LONG_NAME = "DE LOS MONTEROS ESPINOSA DE LA TORRE Y ALBORNOZ VILLAVICENCIO " * 2 + "MARIA"


@pytest.mark.parametrize("identity_text", ["Cédula 1710034065", "Pasaporte COL AB1234567890123"])
def test_running_header_never_cuts_the_identity(identity_text: str) -> None:
    content = _content(
        0,
        movements=[_movement(i) for i in range(80)],
        subject_full_name=LONG_NAME,
        subject_identity=identity_text,
    )
    pages = PdfReader(io.BytesIO(render_certificate(content))).pages
    assert len(pages) >= 3
    for page in pages[1:]:
        lines = page.extract_text().splitlines()
        (holder,) = (line for line in lines if line.startswith("Titular: "))
        assert holder.rstrip().endswith(f"… · {identity_text}"), holder
        (title,) = (line for line in lines if line.startswith("CERTIFICADO DE MOVIMIENTOS"))
        assert title.rstrip().endswith(" CMM-2025-000123"), title


def test_fit_shrinks_then_elides_only_the_name() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from services.issuer.certificates.rendering_fonts import REGULAR

    keep = " · Cédula 1710034065"
    short, size = _fit("Titular: ANA", keep, REGULAR, 7, 200)
    assert (short, size) == ("Titular: ANA" + keep, 7)
    text, size = _fit("Titular: " + LONG_NAME, keep, REGULAR, 7, 200)
    assert text.endswith("…" + keep) and size < 7
    assert stringWidth(text, REGULAR, size) <= 200
