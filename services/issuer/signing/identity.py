"""Loading a PKCS#12 into a pyHanko signer (what production configures)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash


@dataclass(frozen=True)
class SigningIdentity:
    """A ready-to-use signer plus the certificates needed to describe and verify it."""

    signer: SimpleSigner
    certificate: x509.Certificate
    ca_certificates: tuple[x509.Certificate, ...]


class _PreparsedKeySigner(SimpleSigner):
    """SimpleSigner that keeps the already-parsed RSA key instead of re-parsing it.

    ``SimpleSigner.sign_raw`` deserialises its key on every call, and ``cryptography``
    re-validates RSA keys on load: ~160 ms for RSA 3072, twice per PDF (pyHanko signs a
    dummy CMS to size the placeholder). The key was validated once when the PKCS#12 was
    read. Only the RSA PKCS#1 v1.5 path is short-circuited, with the very primitives
    pyHanko itself uses; anything else goes through the parent unchanged.
    """

    def __init__(
        self, private_key: PrivateKeyTypes, cert: x509.Certificate, chain: list[x509.Certificate]
    ) -> None:
        der = serialization.Encoding.DER
        super().__init__(
            signing_cert=asn1_x509.Certificate.load(cert.public_bytes(der)),
            signing_key=asn1_keys.PrivateKeyInfo.load(
                private_key.private_bytes(
                    der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            ),
            # Unannotated upstream, hence the ignore.
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [asn1_x509.Certificate.load(c.public_bytes(der)) for c in chain]
            ),
        )
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if (
            isinstance(self._private_key, rsa.RSAPrivateKey)
            and mechanism["algorithm"].native == f"{digest_algorithm}_rsa"
        ):
            hash_algo = get_pyca_cryptography_hash(digest_algorithm)
            return self._private_key.sign(data, padding.PKCS1v15(), hash_algo)
        return super().sign_raw(data, digest_algorithm)


def load_signer(p12_path: Path, passphrase: bytes | None) -> SigningIdentity:
    """Load a PKCS#12 (key, certificate, CA chain) into a :class:`SigningIdentity`.

    Raises ``ValueError`` if it cannot be decrypted or lacks the key or certificate.
    """
    key, cert, cas = pkcs12.load_key_and_certificates(p12_path.read_bytes(), passphrase)
    if key is None or cert is None:
        raise ValueError(f"{p12_path} does not contain a private key and its certificate")
    return SigningIdentity(
        signer=_PreparsedKeySigner(key, cert, cas),
        certificate=cert,
        ca_certificates=tuple(cas),
    )
