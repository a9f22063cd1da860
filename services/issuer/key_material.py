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
from services.issuer.seal.keys import (
    SealKeyring,
    SealPublicKey,
    SealSigningKey,
    load_public_keys_pem,
    load_seal_key,
)
from services.issuer.settings import DEV_CA_CRL, DEV_KEYS_DIRECTORY, IssuerSettings
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
    # Seals the QR codes; its public keys are GET /v1/seal-keys.
    seal: SealKeyring
    # CAs of the timestamp authority (ISSUER_TSA_URL): they vouch for timestamps only.
    tsa_trust_roots: tuple[x509.Certificate, ...] = ()
    # DER CRLs embedded with timestamped signatures (the CA's own are fetched online).
    signing_crls: tuple[bytes, ...] = ()

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
        seal=_seal_keyring(settings),
        signing_crls=_signing_crls(settings),
        tsa_trust_roots=tuple(
            load_certificates_pem(settings.tsa_trust_roots_path)
            if settings.tsa_trust_roots_path
            else ()
        ),
    )


def _signing_crls(settings: IssuerSettings) -> tuple[bytes, ...]:
    path = settings.signing_crl_path
    if path is None and settings.uses_development_keys and DEV_CA_CRL.exists():
        path = DEV_CA_CRL
    return (path.read_bytes(),) if path is not None else ()


def _seal_keyring(settings: IssuerSettings) -> SealKeyring:
    current: SealSigningKey
    if settings.seal_key_pem is not None:
        current = load_seal_key(
            settings.seal_key_pem.get_secret_value().encode(), source="ISSUER_SEAL_KEY_PEM"
        )
    else:
        current = load_seal_key(
            settings.seal_key_path.read_bytes(), source=str(settings.seal_key_path)
        )
    retired: tuple[SealPublicKey, ...] = ()
    if settings.seal_retired_keys_path is not None:
        path = settings.seal_retired_keys_path
        retired = tuple(
            k
            for k in load_public_keys_pem(path.read_bytes(), source=str(path))
            if k.kid != current.kid
        )
    return SealKeyring(current=current, retired=retired)


def load_trust_certificates(source: Path) -> list[x509.Certificate]:
    """A PEM file, or every ``*.pem`` of a directory (the shipped bundle's layout)."""
    if source.is_dir():
        return [c for path in sorted(source.glob("*.pem")) for c in load_certificates_pem(path)]
    return load_certificates_pem(source)
