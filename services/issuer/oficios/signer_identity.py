"""Who signed an oficio, read from the signer's certificate as Ecuador's CAs issue them.

Ecuador's accredited CAs (ARCOTEL) put the signer's identity in one of two places:
- the 2024 profile (ETSI EN 319 412-1 semantics identifiers) in the subject:
  ``serialNumber`` = ``IDCEC-<cédula>`` or ``PASEC-<passport>``, and for people acting for
  an organisation ``organizationIdentifier`` = ``VATEC-<RUC>``;
- older certificates in a private extension of the CA's own arc, ``<arc>.3.1`` (cédula or
  passport), with a bare number in ``serialNumber`` at most.
The CA is also named by its certificate policy arc (Banco Central ``1.3.6.1.4.1.37947``,
Security Data ``1.3.6.1.4.1.37746``, ...), which survives a renamed issuer.
"""

from __future__ import annotations

import re
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

# Private enterprise arcs of Ecuador's accredited CAs, as their policies and FirmaEC's
# library (CertificadoOids, the ANF factories) use them.
CA_ARCS = {
    "1.3.6.1.4.1.37947": "Banco Central del Ecuador",
    "1.3.6.1.4.1.37746": "Security Data",
    "1.3.6.1.4.1.18332": "ANF Autoridad de Certificación",
    "1.3.6.1.4.1.37442": "ANF Autoridad de Certificación Ecuador",
    "1.3.6.1.4.1.56105": "Alpha Technologies",
    "1.3.6.1.4.1.62566": "Letmi",
    "1.3.6.1.4.1.62431": "AppFirmas",
}
# Arcs whose ``<arc>.3.1`` extension carries the holder's cédula or passport (pre-2024).
_LEGACY_ID_ARCS = ("1.3.6.1.4.1.37947", "1.3.6.1.4.1.37746", "1.3.6.1.4.1.56105")
_ORGANIZATION_IDENTIFIER = x509.ObjectIdentifier("2.5.4.97")
_SEMANTIC_ID = re.compile(r"^(?P<kind>IDC|PAS|VAT)(?P<country>[A-Z]{2})-(?P<number>.+)$")
_KINDS = {"IDC": "NATIONAL_ID", "PAS": "PASSPORT", "VAT": "TAX_ID"}


def describe_signer(certificate: x509.Certificate) -> dict[str, Any]:
    """The fields shown under ``oficio.signature`` besides the time and revocation."""
    policies = _policy_oids(certificate)
    return {
        "signer": _common_name(certificate.subject),
        "signer_certificate_issuer": _common_name(certificate.issuer),
        "signer_identification": _person_identifier(certificate, policies),
        "organization_identifier": _organization_identifier(certificate),
        "certification_authority": _authority(policies),
        "policy_oids": policies,
        "certificate_serial_number": format(certificate.serial_number, "X"),
    }


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value).strip() if values else None


def _semantic(value: str) -> dict[str, str]:
    match = _SEMANTIC_ID.match(value.upper())
    if match is None:
        return {"kind": "UNSPECIFIED", "number": value}
    return {
        "kind": _KINDS[match["kind"]],
        "country": match["country"],
        "number": match["number"],
    }


def _person_identifier(certificate: x509.Certificate, policies: list[str]) -> dict[str, str] | None:
    serial = _attribute(certificate.subject, NameOID.SERIAL_NUMBER)
    if serial and _SEMANTIC_ID.match(serial.upper()):
        return _semantic(serial)
    for arc in _LEGACY_ID_ARCS:
        legacy = _extension_text(certificate, f"{arc}.3.1")
        if legacy:
            return {"kind": "NATIONAL_ID_OR_PASSPORT", "number": legacy}
    return {"kind": "UNSPECIFIED", "number": serial} if serial else None


def _organization_identifier(certificate: x509.Certificate) -> dict[str, str] | None:
    value = _attribute(certificate.subject, _ORGANIZATION_IDENTIFIER)
    return _semantic(value) if value else None


def _extension_text(certificate: x509.Certificate, dotted: str) -> str | None:
    try:
        extension = certificate.extensions.get_extension_for_oid(x509.ObjectIdentifier(dotted))
    except x509.ExtensionNotFound:
        return None
    raw = getattr(extension.value, "value", b"")
    # A DER string (UTF8String, PrintableString, IA5String...): tag, short length, text.
    if len(raw) >= 2 and raw[1] == len(raw) - 2:
        raw = raw[2:]
    text = raw.decode("utf-8", errors="replace").strip()
    return text or None


def _policy_oids(certificate: x509.Certificate) -> list[str]:
    try:
        policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies)
    except x509.ExtensionNotFound:
        return []
    return [p.policy_identifier.dotted_string for p in policies.value]


def _authority(policies: list[str]) -> str | None:
    for oid in policies:
        for arc, name in CA_ARCS.items():
            if oid == arc or oid.startswith(arc + "."):
                return name
    return None
