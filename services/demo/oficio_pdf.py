"""A signed oficio, as a prosecutor's office would send it (FirmaEC stand-in)."""

from __future__ import annotations

import base64
import io
from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from services.issuer.signing import load_signer, sign_pdf


def signed_oficio_base64(
    *, number: str, when: date, subject: str, signatory: str, signer_p12: Path
) -> str:
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    body = [
        Paragraph("FISCALÍA GENERAL DEL ESTADO", styles["Title"]),
        Paragraph(f"Oficio Nro. {number}", styles["Heading3"]),
        Paragraph(f"Quito, {when.isoformat()}", styles["Normal"]),
        Spacer(1, 18),
        Paragraph(
            "Señores<br/>Subsecretaría de Migración<br/>Ministerio del Interior", styles["Normal"]
        ),
        Spacer(1, 12),
        Paragraph(
            "Dentro de la investigación previa a mi cargo, solicito se remita el certificado de "
            f"movimientos migratorios de {subject}, bajo formato para autoridad competente.",
            styles["Normal"],
        ),
        Spacer(1, 36),
        Paragraph(f"{signatory}<br/>Fiscal", styles["Normal"]),
    ]
    SimpleDocTemplate(buffer, pagesize=A4, title=f"Oficio {number}").build(body)
    identity = load_signer(signer_p12, b"development")
    signed = sign_pdf(buffer.getvalue(), identity, certify=False, field_name="FirmaFiscal")
    return base64.b64encode(signed).decode()
