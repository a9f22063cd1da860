"""The verification pages a phone shows after scanning a certificate's QR code.

Spanish, phone first, no external assets. They show exactly what the JSON shows (the
subject masked, no movements) and escape all of it: the authority's name and the oficio
number come from clients. The router sends them with ``content_security_policy(nonce)``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from services.issuer.clock import ECUADOR
from services.issuer.verify.page_parts import (
    ISSUING_AUTHORITY,
    STATUS_ICONS,
    document,
    pdf_check_section,
)
from services.issuer.verify.schemas import VerificationOut

_MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre")  # fmt: skip
# Enough to recognise a mistyped code, short enough that nobody pastes an essay back.
_SHOWN_CODE_CHARS = 40


@dataclass(frozen=True)
class PageContext:
    """Where the page's form and links point (as the browser reaches this app), and the
    nonce that lets this response's own <style> and <script> run."""

    check_pdf_url: str
    ca_url: str
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(18))


def ecuador_time(value: datetime) -> str:
    """``<time>`` reading "14 de marzo de 2025, 10:32 (hora de Ecuador)"."""
    local = value.astimezone(ECUADOR)
    text = f"{local.day} de {_MONTHS[local.month - 1]} de {local.year}, {local:%H:%M}"
    return f'<time datetime="{local.isoformat()}">{text}</time> (hora de Ecuador)'


def render_verification_page(
    verification: VerificationOut, *, code: str, context: PageContext
) -> str:
    revoked = verification.status == "REVOKED"
    if revoked:
        kind, title = "revoked", "Certificado revocado"
        when = f" el {ecuador_time(verification.revoked_at)}" if verification.revoked_at else ""
        explanation = (
            "Este certificado fue emitido por la Subsecretaría de Migración, pero fue "
            f"revocado{when} y <strong>no tiene validez</strong>."
        )
    else:
        kind, title = "valid", "Certificado válido"
        explanation = (
            "Este certificado fue emitido por la Subsecretaría de Migración y está vigente. "
            "Compare los datos con el documento que tiene en sus manos."
        )
    subject = verification.subject
    facts = [
        ("Número de certificado", f'<span class="number">{escape(verification.number)}</span>'),
        ("Fecha y hora de emisión", ecuador_time(verification.issued_at)),
        ("Emitido por", escape(ISSUING_AUTHORITY)),
        ("Autoridad requirente", escape(verification.authority)),
        ("Oficio N.º", escape(verification.oficio_number)),
        ("Titular", escape(subject.full_name)),
        ("Identificación del titular", escape(subject.identification)),
        ("Movimientos certificados", escape(str(verification.movement_count))),
    ]
    if revoked and verification.revoked_at is not None:
        facts.append(("Fecha de revocación", ecuador_time(verification.revoked_at)))
    facts.append(
        (
            "Huella SHA-256 del archivo PDF",
            f'<code class="hash">{escape(verification.sha256)}</code>',
        )
    )
    rows = "\n".join(f"<div><dt>{label}</dt><dd>{value}</dd></div>" for label, value in facts)
    check = pdf_check_section(
        check_pdf_url=context.check_pdf_url, ca_url=context.ca_url, number=verification.number
    )
    main = f"""<p class="eyebrow">Verificación de documentos</p>
<h1>Certificado de movimientos migratorios</h1>
<section class="status status--{kind}" aria-labelledby="estado">
{STATUS_ICONS[kind]}
<div><h2 id="estado">{title}</h2>
<p>{explanation}</p></div>
</section>
<section class="card" aria-labelledby="datos">
<h2 id="datos">Datos del certificado</h2>
<dl class="facts">
{rows}
</dl>
</section>
{check}
{_MEANING}"""
    return document(
        title=f"{title} {verification.number} — Subsecretaría de Migración",
        main=main,
        footer_note=f'<p>Código de verificación: <span class="mono">{escape(code)}</span></p>',
        nonce=context.nonce,
    )


def render_not_found_page(code: str, *, context: PageContext) -> str:
    shown = code if len(code) <= _SHOWN_CODE_CHARS else code[:_SHOWN_CODE_CHARS] + "…"
    main = f"""<p class="eyebrow">Verificación de documentos</p>
<h1>Certificado de movimientos migratorios</h1>
<section class="status status--unknown" aria-labelledby="estado">
{STATUS_ICONS["unknown"]}
<div><h2 id="estado">Certificado no encontrado</h2>
<p>Ningún certificado emitido por la Subsecretaría de Migración tiene el código de
verificación <span class="mono">{escape(shown)}</span>.</p></div>
</section>
<section class="card" aria-labelledby="que-hacer">
<h2 id="que-hacer">¿Qué puede hacer?</h2>
<p>Si escribió el código a mano, compruebe que lo copió completo: son 16 letras y números
en cuatro grupos, por ejemplo <span class="mono">7KQ4-M2XD-9PZA-H3TB</span>.</p>
<p>Si llegó aquí escaneando el código QR de un documento, ese documento
<strong>no fue emitido por la Subsecretaría de Migración</strong> o fue alterado:
no lo acepte como válido.</p>
</section>
{pdf_check_section(check_pdf_url=context.check_pdf_url, ca_url=context.ca_url, number=None)}"""
    return document(
        title="Certificado no encontrado — Subsecretaría de Migración",
        main=main,
        footer_note="",
        nonce=context.nonce,
    )


_MEANING = """<section class="card" aria-labelledby="que-significa">
<h2 id="que-significa">¿Qué significa esta verificación?</h2>
<p>Esta página consulta directamente el registro de certificados de la Subsecretaría de
Migración. Si los datos de arriba coinciden con los del documento que tiene en sus manos
(número, fecha, autoridad requirente, oficio y titular), el documento fue emitido por la
Subsecretaría. Un certificado <strong>revocado</strong> no tiene validez, aunque su firma
sea auténtica.</p>
<p>Para proteger los datos personales del titular, esta página <strong>no muestra los
movimientos migratorios</strong> ni los números de identificación completos: constan
únicamente en el certificado.</p>
</section>"""
