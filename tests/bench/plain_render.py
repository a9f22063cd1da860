"""The certificate's rendering against plain reportlab drawing the same table.

The floor for "rendering within 2x of plain reportlab": the same 50 movements, the same
columns and header, drawn by reportlab's platypus with its built-in fonts and nothing
else (no PDF/A metadata, no embedded fonts, no tagged structure, no QR code or seal).
Both run in this process, alternating, so the ratio is the renderer's own overhead.
"""

from __future__ import annotations

import time
from io import BytesIO
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.issuer.certificates.rendering import CertificateContent, render_certificate

_HEADER = ["Fecha", "Movimiento", "Punto de control", "Documento", "País", "Transporte"]


def plain_reportlab(content: CertificateContent) -> bytes:
    styles = getSampleStyleSheet()
    rows = [_HEADER] + [
        [m.occurred_at.strftime("%Y-%m-%d %H:%M"), m.direction, Paragraph(m.control_point_name),
         m.document, m.other_country or "", m.transport or ""]
        for m in content.movements
    ]  # fmt: skip
    table = Table(rows, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("FONTSIZE", (0, 0), (-1, -1), 7),
    ]))  # fmt: skip
    out = BytesIO()
    SimpleDocTemplate(out, pagesize=A4).build([
        Paragraph("Certificado de movimientos migratorios", styles["Title"]),
        Paragraph(f"{content.number} · {content.subject_full_name} · "
                  f"{content.subject_identity}", styles["Normal"]),
        Spacer(1, 12), table,
    ])  # fmt: skip
    return out.getvalue()


def _p50(values: list[float]) -> float:
    return round(sorted(values)[len(values) // 2], 2)


def compare(content: CertificateContent, rounds: int = 20) -> dict[str, Any]:
    ours: list[float] = []
    plain: list[float] = []
    render_certificate(content), plain_reportlab(content)  # imports, fonts, caches
    for _ in range(rounds):
        t0 = time.perf_counter()
        render_certificate(content)
        t1 = time.perf_counter()
        plain_reportlab(content)
        t2 = time.perf_counter()
        ours.append((t1 - t0) * 1000)
        plain.append((t2 - t1) * 1000)
    return {
        "movements": len(content.movements), "rounds": rounds,
        "render_certificate_p50_ms": _p50(ours), "plain_reportlab_p50_ms": _p50(plain),
        "ratio": round(_p50(ours) / _p50(plain), 2),
    }  # fmt: skip
