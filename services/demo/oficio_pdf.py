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
    *, number: str, when: date, subject: str, identity: str, signatory: str, signer_p12: Path
) -> str:
    """The letter names the oficio number and the person's identity number: the issuer
    reads the signed text and refuses an oficio that does not (OFICIO_CONTENT_MISMATCH)."""
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
            f"movimientos migratorios de {subject}, con cédula de ciudadanía No. {identity}, "
            "bajo formato para autoridad competente.",
            styles["Normal"],
        ),
        Spacer(1, 36),
        Paragraph(f"{signatory}<br/>Fiscal", styles["Normal"]),
    ]
    SimpleDocTemplate(buffer, pagesize=A4, title=f"Oficio {number}").build(body)
    signer = load_signer(signer_p12, b"development")
    signed = sign_pdf(buffer.getvalue(), signer, certify=False, field_name="FirmaFiscal")
    return base64.b64encode(signed).decode()
