from __future__ import annotations

import io
import random
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from services.issuer.certificates.rendering import (
    CertificateContent,
    CertificateMovement,
    country_label,
    render_certificate,
)

VERIFY_URL = "https://certificados.migracion.gob.ec/verificar/7K3F-Q9PM-2XRT"
TABLE_HEADERS = (
    "Fecha y hora (local)",
    "Movimiento",
    "Punto de control",
    "Documento",
    "Procedencia / Destino",
    "Transporte",
)
POINTS = (
    "Aeropuerto Internacional Mariscal Sucre (Quito)",
    "Puente Internacional de Rumichaca (Tulcán)",
    "Aeropuerto Internacional José Joaquín de Olmedo (Guayaquil)",
)
MM = 72 / 25.4  # PDF points per millimetre
A4_WIDTH = 210 * MM
MARGIN = 18 * MM


def _movement(i: int) -> CertificateMovement:
    return CertificateMovement(
        occurred_at=datetime(2020, 1, 1, 12, 0, tzinfo=UTC) + timedelta(days=9 * i),
        direction="EXIT" if i % 2 == 0 else "ENTRY",
        control_point_name=POINTS[i % len(POINTS)],
        document="PASAPORTE ECU AB123456",
        other_country=("COL", "PER", "USA", None)[i % 4],
        transport=("AÉREO AV8374", "TERRESTRE", None)[i % 3],
    )


def _content(n: int = 3, **overrides: Any) -> CertificateContent:
    fields: dict[str, Any] = {
        "number": "CMM-2025-000123",
        "issued_at": datetime(2026, 11, 22, 15, 15, tzinfo=UTC),
        "authority_name": "Fiscalía Provincial de Pichincha",
        "oficio_number": "FPP-2026-04512-O",
        "oficio_date": date(2026, 11, 18),
        "case_number": None,
        "subject_full_name": "PEREZ GOMEZ MARIA JOSE",
        "subject_identity": "Cédula 1710034065",
        "subject_nationality": "ECU",
        "period_from": None,
        "period_to": date(2026, 11, 21),
        "movements": [_movement(i) for i in range(n)],
        "verification_code": "7K3F-Q9PM-2XRT",
        "verify_url": VERIFY_URL,
    }
    fields.update(overrides)
    return CertificateContent(**fields)


def _pages_text(pdf: bytes) -> list[str]:
    """Text of every page with whitespace normalised (table cells wrap onto several lines)."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_main_content_is_extractable_text() -> None:
    pdf = render_certificate(_content(3))
    assert pdf.startswith(b"%PDF-")
    pages = _pages_text(pdf)
    assert len(pages) == 1
    text = pages[0]
    for expected in (
        "Ministerio del Interior — Subsecretaría de Migración",
        "CERTIFICADO DE MOVIMIENTOS MIGRATORIOS",
        "bajo formato para autoridad competente",
        "CMM-2025-000123",
        "22/11/2026 10:15 (hora de Ecuador)",
        "Fiscalía Provincial de Pichincha",
        "FPP-2026-04512-O",
        "18/11/2026",
        "Causa / expediente N.º —",
        "PEREZ GOMEZ MARIA JOSE",
        "Cédula 1710034065",
        "ECU — Ecuador",
        "Desde el primer registro hasta el 21/11/2026",
        "ENTRADA",
        "SALIDA",
        *POINTS,
        "COL — Colombia",
        "PER — Perú",
        "AÉREO AV8374",
        "Total de movimientos: 3 — Entradas: 1 — Salidas: 2",
        "Reglamento a la Ley Orgánica de Movilidad Humana, arts. 124 y 133",
        "Documento firmado electrónicamente",
        "7K3F-Q9PM-2XRT",
        "Página 1 de 1",
        *TABLE_HEADERS,
    ):
        assert expected in text, expected
    assert "NO REGISTRA MOVIMIENTOS MIGRATORIOS" not in text


def test_optional_fields_and_explicit_period() -> None:
    text = _pages_text(
        render_certificate(
            _content(
                1,
                case_number="170101826110045",
                period_from=date(2020, 1, 1),
                subject_nationality="jpn",
            )
        )
    )[0]
    assert "170101826110045" in text
    assert "Del 01/01/2020 al 21/11/2026" in text
    assert "Nacionalidad JPN" in text  # unknown to the Spanish mapping: alpha-3 code only


def test_no_movements() -> None:
    pages = _pages_text(render_certificate(_content(0)))
    assert len(pages) == 1
    text = pages[0]
    assert "NO REGISTRA MOVIMIENTOS MIGRATORIOS en el período consultado" in text
    assert "Total de movimientos: 0 — Entradas: 0 — Salidas: 0" in text
    assert "Punto de control" not in text
    assert "Procedencia / Destino" not in text
    assert "Página 1 de 1" in text


def test_many_movements_paginate_with_repeated_header_and_page_numbers() -> None:
    pages = _pages_text(render_certificate(_content(120)))
    total = len(pages)
    assert total >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Página {number} de {total}" in text
        assert "CMM-2025-000123" in text and "7K3F-Q9PM-2XRT" in text  # footer
        for header in TABLE_HEADERS:
            assert header in text, (number, header)
    assert "Total de movimientos: 120 — Entradas: 60 — Salidas: 60" in pages[-1]
    # every movement is printed exactly once (dates are unique)
    dates = re.findall(r"\d\d/\d\d/\d{4} \d\d:\d\d", " ".join(pages[1:]) + pages[0])
    movement_dates = [d for d in dates if not d.startswith("22/11/2026")]
    assert len(movement_dates) == 120 == len(set(movement_dates))


def test_times_are_printed_in_local_time() -> None:
    movement = replace(
        _movement(0), occurred_at=datetime.fromisoformat("2025-03-01T19:05:00+00:00")
    )
    content = _content(0, movements=[movement])
    assert "01/03/2025 14:05" in _pages_text(render_certificate(content))[0]
    galapagos = _pages_text(render_certificate(content, timezone="Pacific/Galapagos"))[0]
    assert "01/03/2025 13:05" in galapagos
    assert "22/11/2026 09:15 (hora de Galápagos)" in galapagos


def test_qr_code_decodes_to_verify_url_and_is_large_enough() -> None:
    pdf = pdfium.PdfDocument(render_certificate(_content(3)))
    scale = 3
    image = pdf[0].render(scale=scale).to_pil()
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [VERIFY_URL]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode
    position = results[0].position
    side_px = abs(position.top_right.x - position.top_left.x)
    assert side_px / (scale * MM) >= 30  # symbol side in millimetres


def test_rendering_is_deterministic() -> None:
    content = _content(40)
    first = render_certificate(content)
    assert render_certificate(content) == first
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(lambda _: render_certificate(content), range(4))) == {first}
    assert render_certificate(replace(content, verification_code="OTHER-CODE")) != first


def test_metadata() -> None:
    reader = PdfReader(io.BytesIO(render_certificate(_content(1))))
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "Certificado de movimientos migratorios CMM-2025-000123"
    assert meta.author == "Ministerio del Interior — Subsecretaría de Migración"
    assert meta.subject is not None and "FPP-2026-04512-O" in meta.subject
    assert meta.creator
    assert str(meta["/CreationDate"]) == "D:20261122101500-05'00'"
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4


def test_long_cells_wrap_inside_the_page() -> None:
    long_point = "Centro Binacional de Atención en Frontera San Miguel, " * 4 + "Sucumbíos"
    long_document = "PASAPORTE-EXTRANJERO-" + "X" * 70
    movement = replace(
        _movement(0),
        control_point_name=long_point,
        document=long_document,
        transport="TERRESTRE " * 12,
    )
    content = _content(
        0,
        movements=[movement, _movement(1)],
        subject_full_name="DE LOS MONTEROS <b>& ESPINOSA</b> DE LA TORRE " * 3,
    )
    pdf = render_certificate(content)
    text = " ".join(_pages_text(pdf))
    assert long_point in text
    assert long_document in re.sub(r"\s", "", text)
    assert "<b>& ESPINOSA</b>" in text  # escaped, not interpreted as markup

    document = pdfium.PdfDocument(pdf)
    for page in document:
        textpage = page.get_textpage()
        for index in range(textpage.count_chars()):
            if textpage.get_text_range(index, 1).isspace():
                continue
            left, _bottom, right, _top = textpage.get_charbox(index)
            assert left >= MARGIN - 1 and right <= A4_WIDTH - MARGIN + 1, (left, right)


def test_rejects_naive_datetimes_and_inverted_periods() -> None:
    with pytest.raises(ValueError, match="issued_at"):
        render_certificate(_content(0, issued_at=datetime(2026, 11, 22, 10, 15)))
    naive = replace(_movement(0), occurred_at=datetime(2025, 3, 1, 14, 5))
    with pytest.raises(ValueError, match="occurred_at"):
        render_certificate(_content(0, movements=[naive]))
    with pytest.raises(ValueError, match="period_from"):
        render_certificate(_content(0, period_from=date(2027, 1, 1)))


def test_country_label() -> None:
    assert country_label("ECU") == "ECU — Ecuador"
    assert country_label(" col ") == "COL — Colombia"
    assert country_label("ZZZ") == "ZZZ"
    assert country_label(None) == "—"


@pytest.mark.parametrize("kind", ["random", "repetitive"])
def test_the_qr_decodes_whatever_the_seal(kind: str) -> None:
    """The QR symbol as drawn (``qr_modules``: the URL in byte mode, the seal in
    alphanumeric mode) must decode for seals of every shape, the pseudo-random ones a
    signature gives and degenerate repetitive ones."""
    from PIL import Image

    from services.issuer.certificates.rendering_layout import qr_modules

    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    rng = random.Random(18004)
    for n in range(12):
        if kind == "random":
            seal = "".join(rng.choice(alphabet) for _ in range(300 + 10 * n))
        else:
            seal = alphabet[n] * (300 + 10 * n)
        modules = qr_modules(VERIFY_URL, seal)
        scale, quiet = 4, 4
        side = (len(modules) + 2 * quiet) * scale
        image = Image.new("L", (side, side), 255)
        for r, row in enumerate(modules):
            for c, dark in enumerate(row):
                if dark:
                    x, y = (c + quiet) * scale, (r + quiet) * scale
                    image.paste(0, (x, y, x + scale, y + scale))
        results = zxingcpp.read_barcodes(image)
        assert [r.text for r in results] == [f"{VERIFY_URL}#{seal}"], (kind, n)
