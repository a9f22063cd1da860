"""Ecuador's trust bundle, real certification paths, revocation reporting and the signer's
identity as Ecuador's CAs write it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from services.issuer.key_material import load_trust_certificates
from services.issuer.oficios.signed_pdf import OficioTrust, check_oficio_pdf
from services.issuer.oficios.signer_identity import describe_signer
from services.issuer.settings import ECUADOR_TRUST_BUNDLE, IssuerSettings
from services.issuer.signing import load_signer, sign_pdf, write_pkcs12
from services.issuer.trust.manifest import BUNDLE, describe, problems
from shared.settings import Environment
from tests.issuer.helpers import letter_lines, oficio_letter_pdf

MANIFEST = json.loads((BUNDLE / "manifest.json").read_text(encoding="utf-8"))


def test_every_bundled_certificate_parses_and_matches_the_manifest() -> None:
    assert problems() == []
    entries = MANIFEST["certificates"]
    assert len(entries) == len(list(BUNDLE.glob("*.pem"))) >= 24
    authorities = {e["authority"] for e in entries}
    for expected in ("Banco Central del Ecuador", "Security Data", "Uanataca", "ANF AC Ecuador"):
        assert expected in authorities
    assert any("Judicatura" in a for a in authorities)
    for entry in entries:
        assert entry["source"]["repository"] == "eduedudev/firmadigital-libreria"
        assert len(entry["source"]["commit"]) == 40


def test_intermediates_are_signed_by_a_bundled_root_or_say_why_not() -> None:
    certificates = {
        e["file"]: x509.load_pem_x509_certificate((BUNDLE / e["file"]).read_bytes())
        for e in MANIFEST["certificates"]
    }
    by_subject = {c.subject: c for c in certificates.values()}
    for entry in MANIFEST["certificates"]:
        certificate = certificates[entry["file"]]
        issuer = by_subject.get(certificate.issuer)
        if entry.get("issuer_in_bundle") is False:
            assert issuer is None and entry["note"]
            continue
        assert issuer is not None, entry["file"]
        certificate.verify_directly_issued_by(issuer)  # raises on a bad transcription


def test_the_gaps_are_named() -> None:
    missing = " ".join(item["what"] for item in MANIFEST["not_included"])
    assert "Registro Civil" in missing and "CA-2 SECURITY DATA" in missing


def test_production_trusts_the_bundle_by_default_and_development_does_not() -> None:
    production = IssuerSettings(
        environment=Environment.PRODUCTION,
        database_url="postgresql://db/issuer",
        registry_token="x",
        signing_p12_path=Path("/run/secrets/signer.p12"),
        signing_p12_password="s3cret",
        ca_certificate_path=Path("/run/secrets/ca.pem"),
        seal_key_path=Path("/run/secrets/seal.key.pem"),
        public_base_url="https://certificados.migracion.gob.ec",
    )
    assert production.oficio_trust_source == ECUADOR_TRUST_BUNDLE
    assert production.fetches_oficio_revocation
    assert IssuerSettings(environment=Environment.DEVELOPMENT).oficio_trust_source is None

    trust = OficioTrust.from_certificates(
        tuple(load_trust_certificates(ECUADOR_TRUST_BUNDLE)), fetch_revocation=False
    )
    roots = [e for e in MANIFEST["certificates"] if e["role"] == "root"]
    assert len(trust.roots) == len(roots)
    assert len(trust.intermediates) == len(MANIFEST["certificates"]) - len(roots)


# A small PKI shaped like Ecuador's: root -> intermediate -> signer (2024 profile).
_NOW = dt.datetime.now(dt.UTC)


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ca(name: str, key: rsa.RSAPrivateKey, issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None) -> x509.Certificate:  # fmt: skip
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer_cert, signer_key = issuer if issuer else (None, key)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(signer_cert.subject if signer_cert else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - dt.timedelta(days=1))
        .not_valid_after(_NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .sign(signer_key, hashes.SHA256())
    )


def _signer(
    intermediate: tuple[x509.Certificate, rsa.RSAPrivateKey], crl_port: int
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "ANA LUCIA TORRES VERA"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, "IDCEC-1710034065"),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.97"), "VATEC-1768152560001"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "FISCALIA GENERAL DEL ESTADO"),
        ]
    )
    policy = x509.PolicyInformation(x509.ObjectIdentifier("1.3.6.1.4.1.37947.2.1.1"), None)
    crl = x509.DistributionPoint(
        [x509.UniformResourceIdentifier(f"http://127.0.0.1:{crl_port}/ca.crl")], None, None, None
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(intermediate[0].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - dt.timedelta(hours=1))
        .not_valid_after(_NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .add_extension(x509.CertificatePolicies([policy]), False)
        .add_extension(x509.CRLDistributionPoints([crl]), False)
        .sign(intermediate[1], hashes.SHA256())
    )
    return certificate, key


@pytest.fixture(scope="module")
def ecuador_like_pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root_key, intermediate_key = _key(), _key()
    root = _ca("AC RAIZ DE PRUEBAS", root_key, None)
    intermediate = _ca("AC SUBORDINADA DE PRUEBAS", intermediate_key, (root, root_key))
    directory = tmp_path_factory.mktemp("ecuador-like")
    return {"root": root, "intermediate": (intermediate, intermediate_key), "dir": directory}


def _signed_oficio(pki: dict[str, object], crl_port: int, tmp_path: Path) -> bytes:
    certificate, key = _signer(pki["intermediate"], crl_port)  # type: ignore[arg-type]
    # Only the signer's own certificate travels in the signature: the path to the root has
    # to be built from the intermediates the issuer ships.
    write_pkcs12(tmp_path / "signer.p12", key, certificate, [], b"x")
    identity = load_signer(tmp_path / "signer.p12", b"x")
    pdf = oficio_letter_pdf(letter_lines("FGE-FPP-2026-000001-O", "1710034065"))
    return sign_pdf(pdf, identity, certify=False, field_name="Firma")


def test_a_path_is_built_through_a_shipped_intermediate_and_revocation_is_reported(
    ecuador_like_pki: dict[str, object], tmp_path: Path, closed_port: int
) -> None:
    pdf = _signed_oficio(ecuador_like_pki, closed_port, tmp_path)
    intermediate = ecuador_like_pki["intermediate"][0]  # type: ignore[index]
    trust = OficioTrust.from_certificates(
        (ecuador_like_pki["root"], intermediate),  # type: ignore[arg-type]
        fetch_revocation=True,
    )
    check = check_oficio_pdf(pdf, trust)
    assert check.signature.valid, check.signature.reason
    assert check.details is not None
    assert check.details["certification_path"] == [
        "AC RAIZ DE PRUEBAS",
        "AC SUBORDINADA DE PRUEBAS",
        "ANA LUCIA TORRES VERA",
    ]
    # The CA's CRL cannot be fetched (nothing listens there): said so, not a silent pass.
    assert check.details["revocation"]["status"] == "UNAVAILABLE"
    assert check.details["signer_identification"] == {
        "kind": "NATIONAL_ID",
        "country": "EC",
        "number": "1710034065",
    }
    assert check.details["certification_authority"] == "Banco Central del Ecuador"


def test_an_intermediate_alone_is_not_a_trust_anchor(
    ecuador_like_pki: dict[str, object], tmp_path: Path, closed_port: int
) -> None:
    """FirmaEC compares the signer with its embedded intermediates; a path must reach a root."""
    pdf = _signed_oficio(ecuador_like_pki, closed_port, tmp_path)
    intermediate = ecuador_like_pki["intermediate"][0]  # type: ignore[index]
    only_intermediate = OficioTrust.from_certificates((intermediate,), fetch_revocation=False)
    assert only_intermediate.roots == ()
    check = check_oficio_pdf(pdf, only_intermediate)
    assert not check.signature.valid
    assert check.signature.reason == "UNTRUSTED"


def test_signer_identity_from_the_legacy_extension_and_organization() -> None:
    key = _key()
    legacy_cedula = b"\x0c\x0a1710034065"  # UTF8String, as Security Data writes it
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "JUAN PEREZ")]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AUTORIDAD SUBCA-1")]))
        .public_key(key.public_key())
        .serial_number(42)
        .not_valid_before(_NOW)
        .not_valid_after(_NOW + dt.timedelta(days=1))
        .add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(x509.ObjectIdentifier("1.3.6.1.4.1.37746.3.10"), None)]
            ),
            False,
        )
        .add_extension(
            x509.UnrecognizedExtension(
                x509.ObjectIdentifier("1.3.6.1.4.1.37746.3.1"), legacy_cedula
            ),
            False,
        )
        .sign(key, hashes.SHA256())
    )
    described = describe_signer(certificate)
    assert described["signer"] == "JUAN PEREZ"
    assert described["signer_certificate_issuer"] == "AUTORIDAD SUBCA-1"
    assert described["signer_identification"] == {
        "kind": "NATIONAL_ID_OR_PASSPORT",
        "number": "1710034065",
    }
    assert described["certification_authority"] == "Security Data"
    assert described["organization_identifier"] is None
    assert describe(certificate)["role"] == "intermediate"  # issuer != subject
    assert certificate.public_bytes(Encoding.PEM)
