"""The verification pages a phone shows after scanning a certificate's QR code.

Spanish, phone first, no external assets. They show exactly what the JSON shows (the
subject masked, no movements). The markup lives in ``templates/`` (Jinja2, autoescaped:
the authority's name and the oficio number come from clients). The router sends them
with ``content_security_policy(nonce)``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from services.issuer.clock import ECUADOR
from services.issuer.verify.page_parts import FAVICON, ISSUING_AUTHORITY, PAGE_CSS, PAGE_JS
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


def spanish_date(local: datetime) -> str:
    """ "14 de marzo de 2025, 10:32"."""
    return f"{local.day} de {_MONTHS[local.month - 1]} de {local.year}, {local:%H:%M}"


_templates = Environment(
    loader=PackageLoader("services.issuer.verify", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_templates.filters["ecuador"] = lambda value: value.astimezone(ECUADOR)
_templates.filters["spanish_date"] = spanish_date
_templates.globals.update(
    issuing_authority=ISSUING_AUTHORITY,
    favicon=FAVICON,
    # Our own files, inlined verbatim: escaping would break the CSS's quoted strings.
    page_css=Markup(PAGE_CSS),  # noqa: S704
    page_js=Markup(PAGE_JS),  # noqa: S704
)


def _render(template: str, context: PageContext, **values: object) -> str:
    return _templates.get_template(template).render(
        nonce=context.nonce,
        check_pdf_url=context.check_pdf_url,
        ca_url=context.ca_url,
        **values,
    )


def render_verification_page(
    verification: VerificationOut, *, code: str, context: PageContext
) -> str:
    revoked = verification.status == "REVOKED"
    kind, title = (
        ("revoked", "Certificado revocado") if revoked else ("valid", "Certificado válido")
    )
    return _render(
        "verification.html",
        context,
        page_title=f"{title} {verification.number} — Subsecretaría de Migración",
        verification=verification,
        revoked=revoked,
        kind=kind,
        status_title=title,
        code=code,
        seal_record=seal_record(verification),
    )


def seal_record(verification: VerificationOut) -> dict[str, object]:
    """What our records say, under the seal's claim names (templates/_seal.html)."""
    return {
        "n": verification.number,
        "iat": int(verification.issued_at.timestamp()),
        "auth": verification.authority,
        "ofi": verification.oficio_number,
        "sub": verification.subject.full_name,
        "sid": verification.subject.identification,
        "cnt": verification.movement_count,
    }


def render_not_found_page(code: str, *, context: PageContext) -> str:
    shown = code if len(code) <= _SHOWN_CODE_CHARS else code[:_SHOWN_CODE_CHARS] + "…"
    return _render(
        "not_found.html",
        context,
        page_title="Certificado no encontrado — Subsecretaría de Migración",
        shown_code=shown,
    )
