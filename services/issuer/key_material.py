"""The signing identity and trust anchors, loaded once at startup.

Loading the PKCS#12 costs ~150 ms (RSA key validation): done per certificate it would
double the issuance time, so the app keeps one :class:`KeyMaterial` for its lifetime.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from services.issuer.oficios.signed_pdf import OficioTrust
from services.issuer.settings import DEV_KEYS_DIRECTORY, IssuerSettings
from services.issuer.signing import (
    SigningIdentity,
    create_development_pki,
    load_certificates_pem,
    load_signer,
)


@dataclass(frozen=True)
class KeyMaterial:
    signer: SigningIdentity
    # What verifiers trust: certificates we issued validate against it.
    ca_certificates: tuple[x509.Certificate, ...]
    # CAs whose signatures on oficios are accepted; empty means no oficio PDF can pass.
    oficio_trust_roots: tuple[x509.Certificate, ...]
    # The same, split into anchors and intermediates for path building.
    oficio_trust: OficioTrust

    @property
    def ca_pem(self) -> bytes:
        return b"".join(c.public_bytes(Encoding.PEM) for c in self.ca_certificates)


def load_key_material(settings: IssuerSettings) -> KeyMaterial:
    """Blocking (file reads, key validation): call it off the event loop."""
    if settings.uses_development_keys:
        # `issuer keys init` on demand, so a fresh clone runs; never in production.
        create_development_pki(DEV_KEYS_DIRECTORY)
    password = settings.signing_p12_password.get_secret_value().encode() or None
    signer = load_signer(settings.signing_p12_path, password)
    source = settings.oficio_trust_source
    roots = tuple(load_trust_certificates(source)) if source is not None else ()
    return KeyMaterial(
        signer=signer,
        ca_certificates=tuple(load_certificates_pem(settings.ca_certificate_path)),
        oficio_trust_roots=roots,
        oficio_trust=OficioTrust.from_certificates(
            roots, fetch_revocation=settings.fetches_oficio_revocation
        ),
    )


def load_trust_certificates(source: Path) -> list[x509.Certificate]:
    """A PEM file, or every ``*.pem`` of a directory (the shipped bundle's layout)."""
    if source.is_dir():
        return [c for path in sorted(source.glob("*.pem")) for c in load_certificates_pem(path)]
    return load_certificates_pem(source)
