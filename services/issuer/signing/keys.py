"""Key material for the issuer: development PKI, test CAs, PKCS#12 and PEM files.

Everything here is plain ``cryptography``; turning a PKCS#12 into a pyHanko signer is
:mod:`.identity`'s job.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from services.issuer.seal.keys import create_seal_key_file

from .identity import load_signer

# RSA rather than EC P-256: Adobe Reader, FirmaEC and the Ecuadorian CAs all sign and
# verify RSA out of the box, while ECDSA PDF signatures still trip up older readers.
# 3072 bits is the NIST size for security beyond 2030.
RSA_KEY_SIZE = 3072
DEFAULT_PASSPHRASE = b"development"
DEV_ORGANIZATION = "Ministerio del Interior (DESARROLLO)"
DEV_CA_NAME = "CA Raíz de Movimientos Migratorios (DESARROLLO)"
DEV_SIGNER_NAME = "Emisor de Certificados de Movimientos Migratorios (DESARROLLO)"
CA_VALIDITY = dt.timedelta(days=3650)
SIGNER_VALIDITY = dt.timedelta(days=3 * 365)
# Back-date notBefore a little so a freshly minted certificate is not rejected by a
# verifier whose clock runs slightly behind ours.
_CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class DevelopmentPki:
    directory: Path
    ca_cert: Path
    ca_key: Path
    signer_p12: Path
    passphrase: bytes
    # EC P-256 key of the QR code's seal: separate from the PDF signing key.
    seal_key: Path
    # The CA's (empty) CRL: long-term validation needs revocation data for the signer.
    ca_crl: Path


def _name(common_name: str, organization: str, country: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def create_ca(
    common_name: str,
    *,
    organization: str = DEV_ORGANIZATION,
    country: str = "EC",
    valid_for: dt.timedelta = CA_VALIDITY,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """Create a self-signed root CA (used for the dev PKI and for test CAs)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    name = _name(common_name, organization, country)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + valid_for)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def issue_signing_certificate(
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    common_name: str,
    *,
    organization: str = DEV_ORGANIZATION,
    country: str = "EC",
    valid_for: dt.timedelta = SIGNER_VALIDITY,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """Issue an end-entity document-signing certificate (digitalSignature+nonRepudiation)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    now = dt.datetime.now(dt.UTC)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization, country))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(min(now + valid_for, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        # emailProtection is what most national CAs (Ecuador's included) put on signing
        # certificates; pyHanko does not constrain EKU by default, so this is informative.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def write_pkcs12(
    path: Path,
    key: rsa.RSAPrivateKey,
    cert: x509.Certificate,
    ca_certs: list[x509.Certificate],
    passphrase: bytes,
) -> None:
    """Write key, certificate and chain as a passphrase-protected PKCS#12 (mode 0600)."""
    data = pkcs12.serialize_key_and_certificates(
        name=cert.subject.rfc4514_string().encode(),
        key=key,
        cert=cert,
        cas=ca_certs,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    _write_atomically(path, data, mode=0o600)


def load_certificates_pem(source: Path | str | bytes) -> list[x509.Certificate]:
    """Read one or more PEM certificates from a file path or from PEM text/bytes.

    A ``str`` is taken as PEM text when it contains a PEM header, otherwise as a path,
    so configuration values can hold either. Raises ``ValueError`` if none are found.
    """
    if isinstance(source, str):
        source = source.encode() if "-----BEGIN" in source else Path(source)
    data = source.read_bytes() if isinstance(source, Path) else source
    return x509.load_pem_x509_certificates(data)


def create_development_pki(
    directory: Path,
    *,
    organization: str = DEV_ORGANIZATION,
    overwrite: bool = False,
    passphrase: bytes = DEFAULT_PASSPHRASE,
) -> DevelopmentPki:
    """Create (or reuse) a development root CA, a signing identity issued by it, and a
    seal key.

    Existing material is never replaced unless ``overwrite`` is set: a CA that already
    exists keeps its key so previously issued documents remain verifiable (the seal key
    is never replaced: printed QR codes outlive any overwrite).
    """
    directory.mkdir(parents=True, exist_ok=True)
    pki = DevelopmentPki(
        directory=directory,
        ca_cert=directory / "ca.pem",
        ca_key=directory / "ca.key.pem",
        signer_p12=directory / "signer.p12",
        passphrase=passphrase,
        seal_key=directory / "seal.key.pem",
        ca_crl=directory / "ca.crl",
    )
    create_seal_key_file(pki.seal_key)
    _create_pki(pki, organization=organization, overwrite=overwrite)
    if pki.ca_key.exists() and (overwrite or not pki.ca_crl.exists()):
        _write_atomically(pki.ca_crl, empty_crl(*_load_ca(pki)))
    return pki


def _create_pki(pki: DevelopmentPki, *, organization: str, overwrite: bool) -> None:
    passphrase = pki.passphrase
    have_ca, have_key, have_p12 = (p.exists() for p in (pki.ca_cert, pki.ca_key, pki.signer_p12))
    if overwrite or not (have_ca or have_key or have_p12):
        ca_cert, ca_key = create_ca(DEV_CA_NAME, organization=organization)
        _write_atomically(pki.ca_key, _key_pem(ca_key), mode=0o600)
        _write_atomically(pki.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM))
    elif have_ca and have_p12:
        load_signer(pki.signer_p12, passphrase)  # fail now, not at first signature
        return
    elif have_ca and have_key:
        ca_cert, ca_key = _load_ca(pki)
    else:
        raise FileExistsError(
            f"incomplete development PKI in {pki.directory}; remove it or pass overwrite=True"
        )
    cert, key = issue_signing_certificate(
        ca_cert, ca_key, DEV_SIGNER_NAME, organization=organization
    )
    write_pkcs12(pki.signer_p12, key, cert, [ca_cert], passphrase)


def empty_crl(ca_cert: x509.Certificate, ca_key: rsa.RSAPrivateKey) -> bytes:
    """A DER CRL revoking nothing, valid as long as the CA (development only: a real CA
    publishes fresh CRLs or OCSP)."""
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    now = dt.datetime.now(dt.UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - _CLOCK_SKEW)
        .next_update(ca_cert.not_valid_after_utc)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
        .add_extension(x509.CRLNumber(1), False)
        .sign(ca_key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.DER)


def _load_ca(pki: DevelopmentPki) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    cert = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{pki.ca_key} is not an RSA private key")
    return cert, key


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    # Unencrypted on purpose: the dev CA key exists only to mint local signers.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    # mkstemp creates the file 0600, so key material is never world-readable, not even
    # briefly; the rename means concurrent readers never see a half-written file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
