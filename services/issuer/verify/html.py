"""The verification page a phone shows after scanning a certificate's QR code.

Deliberately minimal and dependency-free; one function, so it can be swapped for a
templated page without touching the router.
"""

from __future__ import annotations

from html import escape

from services.issuer.clock import ECUADOR
from services.issuer.verify.schemas import VerificationOut

_STATUS_TEXT = {
    "VALID": ("Certificado válido", "Este certificado fue emitido por la Subsecretaría de "
              "Migración y se encuentra vigente."),
    "REVOKED": ("Certificado revocado", "Este certificado fue emitido por la Subsecretaría de "
                "Migración pero ha sido revocado y no tiene validez."),
}  # fmt: skip


def render_verification_page(verification: VerificationOut) -> str:
    title, explanation = _STATUS_TEXT[verification.status]
    issued = verification.issued_at.astimezone(ECUADOR).strftime("%d/%m/%Y %H:%M")
    rows = [
        ("Número", verification.number),
        ("Fecha de emisión", f"{issued} (hora de Ecuador)"),
        ("Autoridad requirente", verification.authority),
        ("Oficio N.º", verification.oficio_number),
        ("Titular", verification.subject.full_name),
        ("Identificación", verification.subject.identification),
        ("Movimientos certificados", str(verification.movement_count)),
        ("Huella SHA-256 del PDF", verification.sha256),
    ]
    if verification.revoked_at is not None:
        revoked = verification.revoked_at.astimezone(ECUADOR).strftime("%d/%m/%Y %H:%M")
        rows.append(("Revocado el", revoked))
    table = "\n".join(
        f'<tr><th scope="row">{escape(label)}</th><td>{escape(value)}</td></tr>'
        for label, value in rows
    )
    colour = "#1d6b36" if verification.status == "VALID" else "#a11d1d"
    return f"""<!DOCTYPE html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(title)} — {escape(verification.number)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a1a1a; }}
h1 {{ color: {colour}; font-size: 1.4rem; }}
table {{ border-collapse: collapse; }}
th, td {{ text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #ddd; }}
td {{ word-break: break-all; }}
</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p>{escape(explanation)}</p>
<table>
{table}
</table>
<p>Compare estos datos con el documento que tiene en sus manos.</p>
</body>
</html>
"""
