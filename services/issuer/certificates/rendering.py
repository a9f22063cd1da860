"""Rendering of the "Certificado de movimientos migratorios" PDF.

:func:`render_certificate` is pure and synchronous (CPU bound): run it off the event loop, e.g.
``await anyio.to_thread.run_sync(partial(render_certificate, content))``; the resulting bytes are
then signed by a separate module.

The output is deterministic: the same :class:`CertificateContent` (and the same reportlab/zlib
versions) always gives the same bytes.  reportlab runs in ``invariant`` mode (fixed document id,
no wall-clock timestamps) and the PDF creation/modification dates are set to ``issued_at``.

Archival and accessible: PDF/A-2b with embedded fonts (``rendering_fonts``), tagged while drawn
(``rendering_tags``) and finished with XMP, an sRGB OutputIntent and the structure tree
(``rendering_archival``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from functools import partial
from typing import Final, Literal
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.platypus import BaseDocTemplate, Flowable

from services.issuer.certificates import rendering_layout as layout
from services.issuer.certificates import rendering_page as page
from services.issuer.certificates.rendering_archival import make_archival
from services.issuer.certificates.rendering_tags import StructureRecorder

DEFAULT_TIMEZONE: Final = "America/Guayaquil"
TITLE: Final = "CERTIFICADO DE MOVIMIENTOS MIGRATORIOS"
SUBTITLE: Final = "bajo formato para autoridad competente"
NO_MOVEMENTS: Final = "NO REGISTRA MOVIMIENTOS MIGRATORIOS"
STAY_SUMMARY_HEADING: Final = "RESUMEN DE PERMANENCIA"
EMPTY: Final = "—"

_DIRECTION_LABELS: Final[dict[str, str]] = {"ENTRY": "ENTRADA", "EXIT": "SALIDA"}

_TIMEZONE_LABELS: Final[dict[str, str]] = {
    "America/Guayaquil": "hora de Ecuador",
    "Pacific/Galapagos": "hora de Galápagos",
}

# Spanish names of the countries that appear most often in the registry; anything else is shown
# by its ISO 3166-1 alpha-3 code alone.
_COUNTRY_NAMES_ES: Final[dict[str, str]] = {
    "ARG": "Argentina",
    "BOL": "Bolivia",
    "BRA": "Brasil",
    "CAN": "Canadá",
    "CHL": "Chile",
    "CHN": "China",
    "COL": "Colombia",
    "CRI": "Costa Rica",
    "CUB": "Cuba",
    "DEU": "Alemania",
    "DOM": "República Dominicana",
    "ECU": "Ecuador",
    "ESP": "España",
    "FRA": "Francia",
    "GBR": "Reino Unido",
    "GTM": "Guatemala",
    "HTI": "Haití",
    "ITA": "Italia",
    "MEX": "México",
    "NLD": "Países Bajos",
    "PAN": "Panamá",
    "PER": "Perú",
    "PRY": "Paraguay",
    "SLV": "El Salvador",
    "URY": "Uruguay",
    "USA": "Estados Unidos",
    "VEN": "Venezuela",
}


@dataclass(frozen=True)
class CertificateMovement:
    occurred_at: datetime  # aware datetime
    direction: Literal["ENTRY", "EXIT"]
    control_point_name: str  # e.g. "Aeropuerto Internacional Mariscal Sucre (Quito)"
    document: str  # e.g. "PASAPORTE ECU AB123456"
    other_country: str | None  # origin for entries, destination for exits (ISO alpha-3)
    transport: str | None  # e.g. "AÉREO AV8374"


@dataclass(frozen=True)
class CertificateContent:
    number: str  # "CMM-2025-000123"
    issued_at: datetime  # aware
    authority_name: str  # requesting authority
    oficio_number: str
    oficio_date: date
    case_number: str | None
    subject_full_name: str  # "PEREZ GOMEZ MARIA JOSE"
    subject_identity: str  # e.g. "Cédula 1710034065" or "Pasaporte ECU AB123456"
    subject_nationality: str | None  # alpha-3
    period_from: date | None  # None = since the first record
    period_to: date
    movements: Sequence[CertificateMovement]  # oldest first, annulled ones already excluded
    verification_code: str
    verify_url: str
    # CMM1: offline seal (services.issuer.seal); the QR code carries verify_url#seal.
    seal: str | None = None
    issuer_name: str = "Ministerio del Interior — Subsecretaría de Migración"
    # "RESUMEN DE PERMANENCIA", already worded (certificates.stay_summary); empty: no section.
    stay_summary_lines: Sequence[str] = ()


# ----------------------------------------------------------------------------------------------
# Text formatting
# ----------------------------------------------------------------------------------------------


def country_label(alpha3: str | None) -> str:
    """``"ECU"`` -> ``"ECU — Ecuador"``; unknown codes are returned as-is, ``None`` as ``—``."""
    if alpha3 is None or not alpha3.strip():
        return EMPTY
    code = alpha3.strip().upper()
    name = _COUNTRY_NAMES_ES.get(code)
    return f"{code} — {name}" if name else code


def _fmt_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _fmt_local(value: datetime, tz: tzinfo) -> str:
    return value.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def _pdf_date(value: datetime, tz: tzinfo) -> str:
    local = value.astimezone(tz)
    offset = local.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"D:{local:%Y%m%d%H%M%S}{sign}{hours:02d}'{mins:02d}'"


def _period_label(period_from: date | None, period_to: date) -> str:
    if period_from is None:
        return f"Desde el primer registro hasta el {_fmt_date(period_to)}"
    return f"Del {_fmt_date(period_from)} al {_fmt_date(period_to)}"


def _validate(content: CertificateContent) -> None:
    if content.issued_at.utcoffset() is None:
        raise ValueError("issued_at must be a timezone-aware datetime")
    if content.period_from is not None and content.period_from > content.period_to:
        raise ValueError("period_from is after period_to")
    for index, movement in enumerate(content.movements):
        if movement.occurred_at.utcoffset() is None:
            raise ValueError(f"movements[{index}].occurred_at must be timezone-aware")
        if movement.direction not in _DIRECTION_LABELS:
            raise ValueError(f"movements[{index}].direction is invalid: {movement.direction!r}")


def printed_movement_rows(
    movements: Sequence[CertificateMovement], tz: tzinfo | str = DEFAULT_TIMEZONE
) -> list[tuple[str, str, str, str, str, str]]:
    """The movement table's cells exactly as printed (the seal's table digest hashes them)."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return [
        (
            _fmt_local(m.occurred_at, zone),
            _DIRECTION_LABELS[m.direction],
            m.control_point_name,
            m.document,
            country_label(m.other_country),
            m.transport or EMPTY,
        )
        for m in movements
    ]


# ----------------------------------------------------------------------------------------------
# Document
# ----------------------------------------------------------------------------------------------


def _story(content: CertificateContent, tz: tzinfo, tz_label: str) -> list[Flowable]:
    sections: list[layout.Section] = [
        (
            "Datos del certificado",
            [
                ("Número", content.number),
                ("Fecha y hora de emisión", f"{_fmt_local(content.issued_at, tz)} ({tz_label})"),
            ],
        ),
        (
            "Solicitud",
            [
                ("Autoridad requirente", content.authority_name),
                ("Oficio N.º", content.oficio_number),
                ("Fecha del oficio", _fmt_date(content.oficio_date)),
                ("Causa / expediente N.º", content.case_number or EMPTY),
            ],
        ),
        (
            "Datos del titular",
            [
                ("Apellidos y nombres", content.subject_full_name),
                ("Identificación", content.subject_identity),
                ("Nacionalidad", country_label(content.subject_nationality)),
            ],
        ),
        (
            "Período consultado",
            [("Período", _period_label(content.period_from, content.period_to))],
        ),
    ]
    story: list[Flowable] = [
        *layout.document_header(content.issuer_name, content.number, TITLE, SUBTITLE),
        layout.data_block(
            sections, content.verify_url, content.verification_code, seal=content.seal
        ),
        *layout.heading("DETALLE DE MOVIMIENTOS MIGRATORIOS"),
    ]

    entries = sum(1 for m in content.movements if m.direction == "ENTRY")
    exits = len(content.movements) - entries
    if content.movements:
        story.append(layout.movements_table(printed_movement_rows(content.movements, tz)))
    else:
        story.append(layout.no_movements_notice(NO_MOVEMENTS, "en el período consultado."))
    story.append(
        layout.totals_line(
            f"Total de movimientos: {len(content.movements)} — Entradas: {entries} — "
            f"Salidas: {exits}"
        )
    )
    if content.stay_summary_lines:
        story += layout.heading(STAY_SUMMARY_HEADING)
        story += [layout.totals_line(line) for line in content.stay_summary_lines]

    case = f", causa / expediente N.º {content.case_number}" if content.case_number else ""
    story.append(
        layout.legal_note(
            [
                "Certificado emitido a solicitud de autoridad competente "
                f"({content.authority_name}), mediante oficio N.º {content.oficio_number} "
                f"de {_fmt_date(content.oficio_date)}{case}. La información proviene del "
                "registro de movimientos migratorios (Reglamento a la Ley Orgánica de Movilidad "
                "Humana, arts. 124 y 133) y refleja los registros existentes a la fecha y hora "
                "de emisión; no incluye registros anulados. Fechas y horas expresadas en "
                f"{tz_label}.",
                "Documento firmado electrónicamente. Su autenticidad e integridad pueden "
                f"verificarse en {content.verify_url} con el código de verificación "
                f"{content.verification_code}. Contiene datos personales: su uso se limita a "
                "los fines del requerimiento.",
            ]
        )
    )
    return story


def render_certificate(content: CertificateContent, *, timezone: str = DEFAULT_TIMEZONE) -> bytes:
    """Render the certificate as an (unsigned) A4, tagged PDF/A-2b and return its bytes.

    Pure, synchronous and deterministic.  Raises ``ValueError`` on naive datetimes or an
    inverted period, and ``zoneinfo.ZoneInfoNotFoundError`` for an unknown ``timezone``.
    """
    _validate(content)
    tz = ZoneInfo(timezone)
    tz_label = _TIMEZONE_LABELS.get(timezone, f"hora local ({timezone})")

    furniture = page.PageFurniture(
        footer_main=(
            f"Certificado N.º {content.number} · Código de verificación: "
            f"{content.verification_code}"
        ),
        footer_secondary=(
            f"{content.issuer_name} · Documento firmado electrónicamente · "
            f"Verificación: {content.verify_url}"
        ),
        header_left=content.issuer_name,
        header_subject_name=content.subject_full_name,
        header_subject_identity=content.subject_identity,
        header_right=f"{TITLE} N.º {content.number}",
    )
    structure = StructureRecorder()
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        pageTemplates=page.page_templates(furniture),
        title=f"Certificado de movimientos migratorios {content.number}",
        author=content.issuer_name,
        subject=(
            "Certificado de movimientos migratorios para autoridad competente "
            f"(oficio N.º {content.oficio_number})"
        ),
        creator="Movimientos migratorios — emisor de certificados",
        keywords=["certificado", "movimientos migratorios", content.number],
        lang="es-EC",
        displayDocTitle=1,
        invariant=1,
        # Not Helvetica: every page starts by selecting this font, and PDF/A wants every
        # font a page names embedded.
        initialFontName=page.REGULAR,
        pageCompression=1,
    )
    doc.build(
        _story(content, tz, tz_label),
        canvasmaker=partial(
            page.NumberedCanvas,
            creation_date=_pdf_date(content.issued_at, tz),
            structure=structure,
        ),
    )
    return make_archival(buffer.getvalue(), structure)


__all__ = [
    "DEFAULT_TIMEZONE",
    "CertificateContent",
    "CertificateMovement",
    "country_label",
    "printed_movement_rows",
    "render_certificate",
]
