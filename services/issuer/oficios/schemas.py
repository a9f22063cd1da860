"""What a competent authority sends: the oficio, the person, the period.

Parsing is deliberately lenient about *content* (identity fields are plain strings,
numbers are not pattern-checked here): the business rules run afterwards, all of
them, so an authority learns every problem of its oficio at once. Only structure
(missing fields, unknown fields, wrong JSON types, impossible dates) fails here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from shared.validation import InputModel

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]

IDENTITY_FIELDS = ("national_id", "document_type", "document_number", "issuing_country")


Strict = InputModel


class OficioIn(Strict):
    number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)
    ] = Field(
        description="The oficio's number, e.g. FGE-FPP-2025-001234-O (Quipux form "
        "SIGLAS-UNIDAD-YYYY-NNNN-O unless your authority has its own pattern)."
    )
    date: dt.date = Field(description="The oficio's date; its year must be the number's year.")
    addressee: Text = Field(
        description="Must be the Subsecretaría de Migración (case, accents and spacing ignored)."
    )
    signatory_name: Text = Field(description="Who signed the oficio, e.g. Dra. Ana Torres.")
    signatory_role: Text = Field(description="Their post, e.g. Fiscal, Juez.")
    case_number: Short | None = Field(
        default=None,
        description="Judicial process number PPCCC-YYYY-NNNNN (optional trailing letter) or "
        "an all-digit prosecutor's case number.",
    )
    pdf_base64: str | None = Field(
        default=None,
        description="The oficio as a signed PDF, base64. When given, its signature must be "
        "intact and chain to a CA the issuer trusts.",
    )


class SubjectIn(Strict):
    """The person: `{"national_id"}` or `{"document_type", "document_number",
    "issuing_country"}`, plus an optional `full_name` as written in the oficio."""

    national_id: Short | None = Field(
        default=None, examples=["1710034065"], description="Cédula (10 digits)."
    )
    document_type: Short | None = Field(
        default=None, json_schema_extra={"enum": ["PASSPORT", "NATIONAL_ID", "TRAVEL_DOCUMENT",
                                                  "OTHER"]},
        description="With document_number and issuing_country, instead of a cédula.",
    )  # fmt: skip
    document_number: Short | None = Field(
        default=None, description="As printed on the document, e.g. AB123456."
    )
    issuing_country: Short | None = Field(default=None, description="ISO 3166-1 alpha-3.")
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        Field(
            default=None,
            description="Nombres y apellidos as written in the oficio, in any order; when "
            "given, one of the person's surnames of record must be among its words (case and "
            "accents ignored), or the oficio is rejected with `SUBJECT_NAME_MISMATCH`.",
        )
    )

    def identity(self) -> dict[str, str]:
        """The identity as the registry's history search takes it."""
        values = {name: getattr(self, name) for name in IDENTITY_FIELDS}
        return {name: value for name, value in values.items() if value is not None}


class PeriodIn(Strict):
    from_: dt.date | None = Field(default=None, alias="from", description="Inclusive.")
    to: dt.date | None = Field(default=None, description="Inclusive; default today.")


class CertificateRequestIn(Strict):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "oficio": {
                        "number": "FGE-FPP-2025-001234-O",
                        "date": "2025-11-03",
                        "addressee": "Subsecretaría de Migración",
                        "signatory_name": "Dra. Ana Torres",
                        "signatory_role": "Fiscal",
                        "case_number": "17282-2025-00123",
                    },
                    "subject": {
                        "national_id": "1710034065",
                        "full_name": "MARIA JOSE PEREZ GOMEZ",
                    },
                    "period": {"from": "2025-01-01", "to": "2025-10-31"},
                }
            ]
        }
    )

    oficio: OficioIn = Field(description="The oficio that orders the certificate.")
    subject: SubjectIn = Field(description="The person the certificate is about.")

    period: PeriodIn | None = Field(
        default=None, description="Default: the whole history up to today (Ecuador)."
    )
    include_stay_summary: bool = Field(
        default=False,
        description="Also print a RESUMEN DE PERMANENCIA (status, days in Ecuador over the "
        "last 90/180/365 days as of the period's end, time abroad before the last return) "
        "and return it as certificate.stay_summary.",
    )

    def oficio_record(self) -> dict[str, Any]:
        """The oficio as stored: everything but the PDF, which is kept only as a hash."""
        return self.oficio.model_dump(mode="json", exclude={"pdf_base64"}, exclude_none=True)

    def subject_record(self) -> dict[str, Any]:
        return self.subject.model_dump(mode="json", exclude_none=True)

    def content_sha256(self, pdf_sha256: str | None) -> str:
        """Fingerprint of what was asked, to tell an honest re-send from a conflicting one.
        Omitted and null fields count the same; the PDF counts by its hash."""
        content: dict[str, Any] = {
            "oficio": self.oficio_record(),
            "oficio_pdf_sha256": pdf_sha256,
            "subject": self.subject_record(),
            "period": self.period.model_dump(mode="json", by_alias=True, exclude_none=True)
            if self.period
            else {},
        }
        if self.include_stay_summary:  # absent when false: earlier requests keep their hash
            content["include_stay_summary"] = True
        raw = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()
