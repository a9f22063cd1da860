"""Every rule an oficio must meet before a certificate is issued (the contract's table).

:func:`validate_request` is pure: the caller passes "today" (Ecuador's) and the result of
checking the PDF's signature, so every rule is testable without a clock or pyHanko.
It returns *all* failures, never just the first.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from pydantic import ValidationError

from services.issuer.models import Authority
from services.issuer.oficios.content import content_errors
from services.issuer.oficios.schemas import CertificateRequestIn, OficioIn, SubjectIn
from services.issuer.settings import IssuerSettings
from services.issuer.signing import SignatureCheck
from shared.errors import FieldError
from shared.identity import IdentityQuery

# Quipux, the government's document system: SIGLAS[-UNIDAD...]-YYYY-N...-TYPE, e.g.
# FGE-FPP-2025-001234-O, MDI-SM-2025-0123-OF or CJ-DP17-2025-7-M. The type suffix is the
# document kind Quipux numbered it as: O (oficio), OF (oficio to an external party) and M
# (memorando, between units of the same institution); the sequence restarts every year and
# each unit pads it differently (1 to 8 digits in the oficios seen in use).
QUIPUX_PATTERN = r"^[A-Z][A-Z0-9]{1,9}(?:-[A-Z0-9]{1,12})*-(?P<year>\d{4})-\d{1,8}-(?:O|OF|M)$"
_QUIPUX = re.compile(QUIPUX_PATTERN)
# For authority patterns without a (?P<year>...) group: the last 4-digit segment that can
# be a year, e.g. 2025 in "CNJ-SP-2025-0012".
_YEAR_SEGMENT = re.compile(r"(?<![0-9A-Z])((?:19|20|21)\d{2})(?![0-9A-Z])")
_JUDICIAL_PROCESS = re.compile(r"^\d{5}-\d{4}-\d{5}[A-Z]?$")
_PROSECUTOR_CASE = re.compile(r"^\d{1,30}$")
# Addressed to the office or to its head ("Señor Subsecretario de Migración"), alone or in
# a longer form such as "Subsecretaría de Migración del Ministerio del Interior".
_ADDRESSEE = re.compile(r"\bsubsecretari[ao] de migracion\b")


def validate_request(
    request: CertificateRequestIn,
    *,
    authority: Authority,
    today: date,
    settings: IssuerSettings,
    signature_check: SignatureCheck | None,
    signed_text: str | None = None,
) -> list[FieldError]:
    """All failed rules, in the order of the contract's table; empty when the oficio is good.

    ``signature_check`` is the outcome of validating ``oficio.pdf_base64`` (None when no
    PDF was sent); ``signed_text`` the text of the revision its signature covers, given
    when that signature is intact and trusted (even if something was appended after it).
    """
    oficio = request.oficio
    errors: list[FieldError] = []
    if not authority.active:
        errors.append(
            FieldError(
                "AUTHORITY_INACTIVE",
                None,
                "this authority is deactivated; contact the Subsecretaría de Migración",
            )
        )
    errors += _oficio_number(oficio, authority.oficio_pattern)
    errors += _oficio_date(oficio.date, today, settings.oficio_max_age_days)
    errors += _addressee(oficio.addressee)
    errors += _case_number(oficio.case_number)
    errors += _subject(request.subject)
    errors += _period(request, today)
    errors += _signature(oficio, signature_check, required=settings.require_signed_oficio)
    if oficio.pdf_base64 is not None and signed_text is not None:
        errors += content_errors(request, signed_text)
    return errors


def _oficio_number(oficio: OficioIn, pattern: str | None) -> list[FieldError]:
    errors = []
    regex = re.compile(pattern) if pattern else _QUIPUX
    match = regex.fullmatch(oficio.number)
    if match is None:
        expected = (
            "your authority's pattern"
            if pattern
            else "the Quipux form SIGLAS-YYYY-NNNN-O (or -OF, -M)"
        )
        errors.append(
            FieldError(
                "OFICIO_NUMBER_INVALID",
                "oficio.number",
                f"'{oficio.number}' does not follow {expected}, e.g. FGE-FPP-2025-001234-O",
            )
        )
    year = _year_in(oficio.number, match)
    if year is not None and year != oficio.date.year:
        errors.append(
            FieldError(
                "OFICIO_YEAR_MISMATCH",
                "oficio.number",
                f"the number carries the year {year} but the oficio is dated {oficio.date}",
            )
        )
    return errors


def _year_in(number: str, match: re.Match[str] | None) -> int | None:
    if match is not None and "year" in match.re.groupindex and match.group("year"):
        return int(match.group("year"))
    candidates = _YEAR_SEGMENT.findall(number)
    return int(candidates[-1]) if candidates else None


def _oficio_date(oficio_date: date, today: date, max_age_days: int) -> list[FieldError]:
    if oficio_date > today:
        return [
            FieldError(
                "OFICIO_DATE_IN_FUTURE",
                "oficio.date",
                f"the oficio is dated {oficio_date}, after today ({today}, Ecuador)",
            )
        ]
    if (today - oficio_date).days > max_age_days:
        return [
            FieldError(
                "OFICIO_TOO_OLD",
                "oficio.date",
                f"the oficio is older than {max_age_days} days; send a current one",
            )
        ]
    return []


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


def _addressee(addressee: str) -> list[FieldError]:
    if _ADDRESSEE.search(fold(addressee)):
        return []
    return [
        FieldError(
            "OFICIO_ADDRESSEE_INVALID",
            "oficio.addressee",
            "the oficio must be addressed to the Subsecretaría de Migración",
        )
    ]


def _case_number(case_number: str | None) -> list[FieldError]:
    if not case_number:
        return []
    value = case_number.upper()
    if _JUDICIAL_PROCESS.match(value) or _PROSECUTOR_CASE.match(value):
        return []
    return [
        FieldError(
            "CASE_NUMBER_INVALID",
            "oficio.case_number",
            "expected a judicial process number PPCCC-YYYY-NNNNN (e.g. 17282-2025-00123) "
            "or an all-digit prosecutor's case number",
        )
    ]


def _subject(subject: SubjectIn) -> list[FieldError]:
    try:
        IdentityQuery.model_validate(subject.identity())
    except ValidationError as exc:
        return [
            FieldError(
                "SUBJECT_ID_INVALID",
                ".".join(["subject", *(str(p) for p in err["loc"])]),
                err["msg"],
            )
            for err in exc.errors()
        ]
    return []


def _period(request: CertificateRequestIn, today: date) -> list[FieldError]:
    if request.period is None:
        return []
    errors = []
    period_from, period_to = request.period.from_, request.period.to or today
    if period_from is not None and period_from > period_to:
        errors.append(
            FieldError("PERIOD_INVALID", "period.from", f"'from' ({period_from}) is after 'to'")
        )
    if period_to > today:
        errors.append(
            FieldError(
                "PERIOD_INVALID", "period.to", f"'to' ({period_to}) is after today ({today})"
            )
        )
    return errors


_SIGNATURE_PROBLEMS = {
    "NOT_BASE64": "pdf_base64 is not valid base64",
    "NOT_A_PDF": "pdf_base64 is not a PDF",
    "NOT_SIGNED": "the PDF carries no signature",
    "TAMPERED": "the PDF was changed after it was signed",
    "MODIFIED_AFTER_SIGNING": "the PDF was changed after it was signed",
    "UNTRUSTED": "the signing certificate does not chain to a CA this issuer trusts",
    "REVOKED": "the signing certificate is revoked",
}


def _signature(
    oficio: OficioIn, check: SignatureCheck | None, *, required: bool
) -> list[FieldError]:
    if oficio.pdf_base64 is None:
        if not required:
            return []
        message = "this issuer only accepts oficios sent as a signed PDF in pdf_base64"
    elif check is not None and check.valid:
        return []
    else:
        reason = check.reason if check else None
        message = _SIGNATURE_PROBLEMS.get(reason or "", "the PDF's signature is not valid")
    return [FieldError("OFICIO_SIGNATURE_INVALID", "oficio.pdf_base64", message)]
