"""Cryptographic core of the issuer: key material, PAdES signing and validation."""

from .identity import SigningIdentity, load_signer
from .keys import (
    DevelopmentPki,
    create_ca,
    create_development_pki,
    issue_signing_certificate,
    load_certificates_pem,
    write_pkcs12,
)
from .long_term import LongTermValidation, long_term_validation
from .signer import sign_certificate_pdf, sign_pdf
from .validation import SignatureCheck, validate_signed_pdf

__all__ = [
    "DevelopmentPki",
    "LongTermValidation",
    "SignatureCheck",
    "SigningIdentity",
    "create_ca",
    "create_development_pki",
    "issue_signing_certificate",
    "load_certificates_pem",
    "load_signer",
    "long_term_validation",
    "sign_certificate_pdf",
    "sign_pdf",
    "validate_signed_pdf",
    "write_pkcs12",
]
