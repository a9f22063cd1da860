"""The shared frame of the verification pages: document head, header, footer, icons,
and the inlined CSS and script (kept beside this module as page.css and page.js).

Nothing here is loaded from elsewhere: the pages must work on an intranet with no
internet access, and the CSP forbids it anyway.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import quote

_HERE = Path(__file__).parent
PAGE_CSS = (_HERE / "page.css").read_text(encoding="utf-8")
PAGE_JS = (_HERE / "page.js").read_text(encoding="utf-8")

ISSUING_AUTHORITY = "Ministerio del Interior — Subsecretaría de Migración"


def content_security_policy(nonce: str) -> str:
    """Only this response's own <style> and <script> run; the script may call back to
    this origin (POST /v1/verify) and nowhere else. ``img-src data:`` is the favicon."""
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            f"style-src 'nonce-{nonce}'",
            "img-src data:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "require-trusted-types-for 'script'",
        )
    )


def _svg(view_box: str, body: str, css_class: str) -> str:
    return (
        f'<svg class="{css_class}" viewBox="{view_box}" aria-hidden="true" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


# An abstract shield (sun over a mountain), not the national coat of arms.
_EMBLEM = _svg(
    "0 0 48 48",
    '<path d="M24 3 42 9v14c0 11-7.6 19.2-18 22C13.6 42.2 6 34 6 23V9z" fill="none" '
    'stroke="currentColor" stroke-width="2.5" stroke-linejoin="round"/>'
    '<circle cx="24" cy="17" r="4.5" fill="currentColor"/>'
    '<path d="M11 32 20 23l4 4 5-6 8 11z" fill="currentColor"/>',
    "site__emblem",
)

STATUS_ICONS = {
    "valid": _svg(
        "0 0 48 48",
        '<circle cx="24" cy="24" r="22" fill="currentColor"/>'
        '<path d="m13.5 24.5 7 7 14-15" fill="none" stroke="#fff" stroke-width="5" '
        'stroke-linecap="round" stroke-linejoin="round"/>',
        "status__icon",
    ),
    "revoked": _svg(
        "0 0 48 48",
        '<circle cx="24" cy="24" r="22" fill="currentColor"/>'
        '<path d="m16 16 16 16m0-16L16 32" stroke="#fff" stroke-width="5" '
        'stroke-linecap="round"/>',
        "status__icon",
    ),
    "unknown": _svg(
        "0 0 48 48",
        '<path d="M24 3 46 43H2z" fill="currentColor" stroke="currentColor" '
        'stroke-width="2" stroke-linejoin="round"/>'
        '<path d="M24 17v13" stroke="#fff" stroke-width="5" stroke-linecap="round"/>'
        '<circle cx="24" cy="37" r="3" fill="#fff"/>',
        "status__icon",
    ),
}

_FAVICON = "data:image/svg+xml," + quote(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><path d="M24 3 42 9v14c0 '
    '11-7.6 19.2-18 22C13.6 42.2 6 34 6 23V9z" fill="#1f3a5f"/></svg>',
    safe=":/=,. ",
).replace(" ", "%20")


def document(*, title: str, main: str, footer_note: str, nonce: str) -> str:
    """A whole page. ``title`` is plain text; ``main`` and ``footer_note`` are HTML that
    the caller has already escaped."""
    return f"""<!DOCTYPE html>
<html lang="es">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light">
<title>{escape(title)}</title>
<link rel="icon" href="{_FAVICON}">
<style nonce="{nonce}">
{PAGE_CSS}</style>
</head>
<body>
<a class="skip" href="#contenido">Saltar al contenido</a>
<header class="site">
<div class="wrap site__inner">
{_EMBLEM}
<p class="site__org"><span class="site__country">República del Ecuador</span>
<span class="site__ministry">Ministerio del Interior</span>
<span class="site__unit">Subsecretaría de Migración</span></p>
</div>
</header>
<div class="flag" aria-hidden="true"></div>
<main id="contenido" class="wrap">
{main}
</main>
<footer class="site-footer">
<div class="wrap">
<p>{escape(ISSUING_AUTHORITY)} · República del Ecuador</p>
{footer_note}
</div>
</footer>
<script nonce="{nonce}">
{PAGE_JS}</script>
</body>
</html>
"""


def pdf_check_section(*, check_pdf_url: str, ca_url: str, number: str | None) -> str:
    """The form that sends a PDF to ``POST /v1/verify`` (page.js does the sending)."""
    return f"""<section class="card" id="verificar-archivo" aria-labelledby="archivo-titulo">
<h2 id="archivo-titulo">Verifique el archivo PDF</h2>
<p>Si recibió el certificado como archivo, compruebe aquí que es idéntico al emitido.
Cualquier cambio en el archivo, incluso volver a guardarlo, hace que deje de coincidir.</p>
<noscript><p class="note">Para verificar un archivo, active JavaScript en su navegador.</p>
</noscript>
<form id="pdf-check" hidden data-endpoint="{escape(check_pdf_url)}"
 data-number="{escape(number or "")}">
<label for="pdf-archivo">Archivo PDF del certificado</label>
<input id="pdf-archivo" name="archivo" type="file" accept="application/pdf,.pdf" required
 aria-describedby="pdf-ayuda">
<p id="pdf-ayuda" class="hint">El archivo solo se compara con los certificados emitidos;
no se almacena.</p>
<button type="submit">Verificar archivo</button>
</form>
<div id="pdf-result" class="result" role="status" aria-live="polite"></div>
<p class="note">La firma electrónica también puede validarse con FirmaEC o Adobe Reader,
confiando en el <a href="{escape(ca_url)}">certificado raíz de la Subsecretaría</a>.</p>
</section>"""
