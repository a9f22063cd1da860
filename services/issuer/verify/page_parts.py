"""What the verification pages' templates share besides markup: the inlined CSS and
script (kept beside this module as page.css and page.js), the favicon, and the CSP.

Nothing is loaded from elsewhere: the pages must work on an intranet with no internet
access, and the CSP forbids it anyway.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

_HERE = Path(__file__).parent
# seal.* belong to the "Sello del código QR" card (templates/_seal.html).
PAGE_CSS = "".join((_HERE / f).read_text(encoding="utf-8") for f in ("page.css", "seal.css"))
PAGE_JS = "".join((_HERE / f).read_text(encoding="utf-8") for f in ("page.js", "seal.js"))

ISSUING_AUTHORITY = "Ministerio del Interior — Subsecretaría de Migración"

FAVICON = "data:image/svg+xml," + quote(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48"><path d="M24 3 42 9v14c0 '
    '11-7.6 19.2-18 22C13.6 42.2 6 34 6 23V9z" fill="#1f3a5f"/></svg>',
    safe=":/=,. ",
).replace(" ", "%20")


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
