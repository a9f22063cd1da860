"""Tests for services.issuer.signing: dev PKI, PAdES certification and validation."""

from __future__ import annotations

import datetime as dt
import stat
from io import BytesIO
from pathlib import Path

import anyio
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.signers import PdfSigner
from pyhanko.sign.validation import (
    SignatureCoverageLevel,
    read_certification_data,
    validate_pdf_signature,
)
from pyhanko_certvalidator import ValidationContext
from reportlab.pdfgen import canvas

from services.issuer.signing import (
    DevelopmentPki,
    SigningIdentity,
    create_ca,
    create_development_pki,
    issue_signing_certificate,
    load_certificates_pem,
    load_signer,
    sign_certificate_pdf,
    sign_pdf,
    validate_signed_pdf,
    write_pkcs12,
)

SECRET_TEXT = b"Saldo de movimientos: 100"
CA = tuple[x509.Certificate, rsa.RSAPrivateKey]


def make_pdf(text: bytes = SECRET_TEXT) -> bytes:
    buf = BytesIO()
    # Uncompressed so tests can find and alter page text in the raw bytes.
    c = canvas.Canvas(buf, pageCompression=0)
    c.drawString(72, 720, text.decode())
    c.showPage()
    c.save()
    return buf.getvalue()


def make_identity(tmp: Path, ca: CA, cn: str) -> SigningIdentity:
    ca_cert, ca_key = ca
    cert, key = issue_signing_certificate(ca_cert, ca_key, cn)
    write_pkcs12(tmp / f"{cn}.p12", key, cert, [ca_cert], b"secret")
    return load_signer(tmp / f"{cn}.p12", b"secret")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevelopmentPki:
    return create_development_pki(tmp_path_factory.mktemp("pki") / "dev")


@pytest.fixture(scope="module")
def identity(pki: DevelopmentPki) -> SigningIdentity:
    return load_signer(pki.signer_p12, pki.passphrase)


@pytest.fixture(scope="module")
def roots(pki: DevelopmentPki) -> list[x509.Certificate]:
    return load_certificates_pem(pki.ca_cert)


@pytest.fixture(scope="module")
def certified_pdf(identity: SigningIdentity) -> bytes:
    return sign_certificate_pdf(make_pdf(), identity)


@pytest.fixture(scope="module")
def authority_ca() -> CA:
    return create_ca("CA de Pruebas de Autoridades")


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory, authority_ca: CA) -> SigningIdentity:
    return make_identity(tmp_path_factory.mktemp("authority"), authority_ca, "Juez de Pruebas")


# --- development PKI -------------------------------------------------------------


def test_dev_pki_files_and_permissions(pki: DevelopmentPki) -> None:
    for path in (pki.ca_key, pki.signer_p12):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert ca.not_valid_after_utc - ca.not_valid_before_utc > dt.timedelta(days=3640)
    assert not list(pki.directory.glob(".*")), "temporary files left behind"


def test_dev_pki_is_idempotent(tmp_path: Path) -> None:
    first = create_development_pki(tmp_path)
    contents = {p: p.read_bytes() for p in (first.ca_cert, first.ca_key, first.signer_p12)}
    second = create_development_pki(tmp_path)
    assert second == first
    assert {p: p.read_bytes() for p in contents} == contents
    create_development_pki(tmp_path, overwrite=True)
    assert first.ca_cert.read_bytes() != contents[first.ca_cert]


def test_dev_pki_reissues_missing_signer_from_existing_ca(tmp_path: Path) -> None:
    pki = create_development_pki(tmp_path)
    ca_pem = pki.ca_cert.read_bytes()
    pki.signer_p12.unlink()
    create_development_pki(tmp_path)
    assert pki.ca_cert.read_bytes() == ca_pem
    new = load_signer(pki.signer_p12, pki.passphrase)
    assert new.certificate.issuer == x509.load_pem_x509_certificate(ca_pem).subject


def test_dev_pki_refuses_incomplete_directory(tmp_path: Path) -> None:
    pki = create_development_pki(tmp_path)
    pki.ca_key.unlink()
    pki.ca_cert.unlink()
    with pytest.raises(FileExistsError):
        create_development_pki(tmp_path)


def test_load_signer_rejects_wrong_passphrase(pki: DevelopmentPki) -> None:
    with pytest.raises(ValueError):
        load_signer(pki.signer_p12, b"wrong")


def test_signer_certificate_profile(
    identity: SigningIdentity, roots: list[x509.Certificate]
) -> None:
    cert = identity.certificate
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.content_commitment and usage.digital_signature
    assert not usage.key_cert_sign
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert "DESARROLLO" in str(cn)
    assert cert.issuer == roots[0].subject
    assert identity.ca_certificates == (roots[0],)
    public_key = cert.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == 3072


def test_load_certificates_pem_sources(pki: DevelopmentPki, identity: SigningIdentity) -> None:
    two = pki.ca_cert.read_bytes() + identity.certificate.public_bytes(Encoding.PEM)
    assert len(load_certificates_pem(two)) == 2
    assert len(load_certificates_pem(two.decode())) == 2
    assert len(load_certificates_pem(str(pki.ca_cert))) == 1
    with pytest.raises(ValueError):
        load_certificates_pem(b"no certificates here")


# --- signing ---------------------------------------------------------------------


def test_certificate_signature_is_pades_certification(
    certified_pdf: bytes, roots: list[x509.Certificate]
) -> None:
    reader = PdfFileReader(BytesIO(certified_pdf))
    (sig,) = reader.embedded_signatures
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert sig.md_algorithm == "sha256"
    assert sig.docmdp_level == MDPPerm.NO_CHANGES
    certification = read_certification_data(reader)
    assert certification is not None and certification.permission == MDPPerm.NO_CHANGES
    embedded = {c.dump() for c in sig.other_embedded_certs}
    assert roots[0].public_bytes(Encoding.DER) in embedded, "CA chain must be embedded"

    ca = asn1_x509.Certificate.load(roots[0].public_bytes(Encoding.DER))
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[ca]))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.docmdp_ok


def test_validate_accepts_own_certificate(
    certified_pdf: bytes, roots: list[x509.Certificate]
) -> None:
    check = validate_signed_pdf(certified_pdf, roots, require_certification=True)
    assert check.valid and check.reason is None and check.certified
    assert check.signer_subject is not None and "CN=Emisor de Certificados" in check.signer_subject
    assert check.signed_at is not None
    assert abs(dt.datetime.now(dt.UTC) - check.signed_at) < dt.timedelta(minutes=5)


# --- validation failures ---------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"garbage", b"%PDF-1.7\n%%EOF\n", b"\x00" * 4096])
def test_validate_rejects_garbage(data: bytes, roots: list[x509.Certificate]) -> None:
    assert validate_signed_pdf(data, roots).reason == "NOT_A_PDF"


def test_validate_rejects_truncated(certified_pdf: bytes, roots: list[x509.Certificate]) -> None:
    for cut in (len(certified_pdf) // 2, len(certified_pdf) - 10):
        check = validate_signed_pdf(certified_pdf[:cut], roots)
        assert not check.valid and check.reason is not None


def test_validate_rejects_unsigned(roots: list[x509.Certificate]) -> None:
    check = validate_signed_pdf(make_pdf(), roots)
    assert not check.valid and check.reason == "NOT_SIGNED"


def test_validate_rejects_tampered_byte(
    certified_pdf: bytes, roots: list[x509.Certificate]
) -> None:
    assert certified_pdf.count(SECRET_TEXT) == 1
    tampered = certified_pdf.replace(SECRET_TEXT, SECRET_TEXT.replace(b"100", b"900"))
    check = validate_signed_pdf(tampered, roots)
    assert not check.valid and check.reason == "TAMPERED"


def test_validate_rejects_untrusted_ca(tmp_path: Path, roots: list[x509.Certificate]) -> None:
    rogue = make_identity(tmp_path, create_ca("CA Falsa"), "Emisor Falso")
    check = validate_signed_pdf(sign_certificate_pdf(make_pdf(), rogue), roots)
    assert not check.valid and check.reason == "UNTRUSTED"
    assert check.signer_subject is not None and "Emisor Falso" in check.signer_subject


def test_validate_rejects_when_no_trust_roots(certified_pdf: bytes) -> None:
    assert validate_signed_pdf(certified_pdf, []).reason == "UNTRUSTED"


def test_approval_signature_from_trusted_authority(
    authority: SigningIdentity, authority_ca: CA
) -> None:
    oficio = sign_pdf(make_pdf(b"Oficio 123"), authority, certify=False, field_name="FirmaJuez")
    trusted = [authority_ca[0]]
    accepted = validate_signed_pdf(oficio, trusted)
    assert accepted.valid and not accepted.certified
    rejected = validate_signed_pdf(oficio, trusted, require_certification=True)
    assert not rejected.valid and rejected.reason == "NOT_CERTIFYING"


def test_incremental_update_after_certification_is_rejected(
    certified_pdf: bytes, roots: list[x509.Certificate]
) -> None:
    writer = IncrementalPdfFileWriter(BytesIO(certified_pdf))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()  # type: ignore[no-untyped-call]
    out = BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]
    check = validate_signed_pdf(out.getvalue(), roots)
    assert not check.valid and check.reason == "MODIFIED_AFTER_SIGNING"


def test_signature_added_after_no_changes_certification_is_rejected(
    certified_pdf: bytes,
    authority: SigningIdentity,
    authority_ca: CA,
    roots: list[x509.Certificate],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pyHanko refuses to sign over a NO_CHANGES lock; emulate a tool that does not.
    monkeypatch.setattr(PdfSigner, "_enforce_certification_constraints", lambda *_: None)
    # The last signature is intact and trusted on its own, but the author's DocMDP lock
    # forbade adding it.
    cosigned = sign_pdf(certified_pdf, authority, certify=False, field_name="FirmaExtra")
    check = validate_signed_pdf(cosigned, [*roots, authority_ca[0]])
    assert not check.valid and check.reason == "MODIFIED_AFTER_SIGNING"


def test_runs_in_worker_thread_and_refuses_event_loop(
    identity: SigningIdentity, roots: list[x509.Certificate]
) -> None:
    async def main() -> bool:
        signed = await anyio.to_thread.run_sync(sign_certificate_pdf, make_pdf(), identity)
        with pytest.raises(RuntimeError, match="to_thread"):
            validate_signed_pdf(signed, roots)
        with pytest.raises(RuntimeError, match="to_thread"):
            sign_certificate_pdf(make_pdf(), identity)
        check = await anyio.to_thread.run_sync(validate_signed_pdf, signed, roots)
        return check.valid

    assert anyio.run(main)
