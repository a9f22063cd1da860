"""The issuer's settings: environment variables prefixed ``ISSUER_``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

DEV_KEYS_DIRECTORY = Path(".data/keys")
# What `issuer keys init` writes (services.issuer.signing.create_development_pki).
DEV_SIGNING_P12 = DEV_KEYS_DIRECTORY / "signer.p12"
DEV_CA_CERTIFICATE = DEV_KEYS_DIRECTORY / "ca.pem"
DEV_SEAL_KEY = DEV_KEYS_DIRECTORY / "seal.key.pem"
DEV_CA_CRL = DEV_KEYS_DIRECTORY / "ca.crl"
DEV_SIGNING_PASSWORD = "development"  # noqa: S105 - the development PKI's documented passphrase
# Ecuador's accredited CAs (roots and intermediates, with a manifest): what oficios signed
# with FirmaEC chain to. Production trusts it unless told otherwise.
ECUADOR_TRUST_BUNDLE = Path(__file__).parent / "trust" / "ecuador"


class IssuerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ISSUER_", extra="ignore")

    # Oficios arrive with their signed PDF in base64: a few MB is normal.
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, description="413 beyond this.")

    registry_url: str = "http://127.0.0.1:8001"
    registry_token: SecretStr = Field(
        default=SecretStr(""), description="A registry token with the history:read scope."
    )
    registry_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    public_base_url: str = Field(
        default="http://127.0.0.1:8002",
        description="How the public reaches this service; builds pdf_url, verify_url and the QR.",
    )
    signing_p12_path: Path = Field(
        default=DEV_SIGNING_P12, description="PKCS#12 with the signing key and its chain."
    )
    signing_p12_password: SecretStr = SecretStr(DEV_SIGNING_PASSWORD)
    ca_certificate_path: Path = Field(
        default=DEV_CA_CERTIFICATE,
        description="PEM of the CA verifiers trust; served by GET /v1/signing-certificates.",
    )
    oficio_trust_roots_path: Path | None = Field(
        default=None,
        description="PEM file, or a directory of PEM files, of the CAs trusted to sign "
        "oficios: self-signed ones are trust anchors, the rest intermediates for building "
        "paths. Default: Ecuador's accredited CAs in production, none in development.",
    )
    oficio_revocation_fetch: bool | None = Field(
        default=None,
        description="Ask the signer's CA (CRL/OCSP) whether its certificate is revoked. "
        "Default: on in production, off elsewhere. Unreachable answers are reported on the "
        "request, never taken as a pass.",
    )
    seal_key_path: Path = Field(
        default=DEV_SEAL_KEY,
        description="PEM EC P-256 private key sealing the QR codes (not the PDF signing key).",
    )
    seal_key_pem: SecretStr | None = Field(
        default=None, description="The seal key's PEM itself (a secret store); wins over the path."
    )
    seal_retired_keys_path: Path | None = Field(
        default=None,
        description="PEM bundle of retired seal public keys, still published at /v1/seal-keys.",
    )
    tsa_url: str | None = Field(
        default=None,
        description="RFC 3161 timestamp authority: signatures become PAdES B-LT (long-term).",
    )
    tsa_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    signing_crl_path: Path | None = Field(
        default=None,
        description="DER CRL of the signing CA, embedded for long-term validation when the "
        "CA publishes none online (development: the dev CA's).",
    )
    tsa_trust_roots_path: Path | None = Field(
        default=None,
        description="PEM of the CA(s) that certify the timestamp authority (its chain is "
        "validated and embedded with the signature).",
    )
    require_signed_oficio: bool = False
    oficio_max_age_days: int = Field(default=365, ge=1, le=3650)
    pending_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    # How long an issuance in flight keeps its request from the pending worker: longer
    # than the registry calls, the TSA round trip and the rendering together. A request
    # whose issuer died is finished by the worker once this has passed.
    # Processes that render and sign certificates (0: threads of the server).
    render_processes: int = Field(default=2, ge=0, le=64)
    # How much lower those processes' CPU priority is than the server's (nice): under
    # load the event loop (probes, cheap requests) runs before a PDF does.
    render_niceness: int = Field(default=10, ge=0, le=19)
    # With render_processes=0: certificates signed (and timestamped) at once, in threads.
    signing_threads: int = Field(default=2, ge=1, le=64)
    pending_lease_seconds: float = Field(default=60.0, ge=0, le=3600)
    certificate_number_prefix: str = Field(default="CMM", pattern=r"^[A-Z]{2,10}$")
    # Callbacks (Standard Webhooks) when a PENDING request is settled.
    callback_poll_seconds: float = Field(default=2.0, gt=0, le=3600)
    callback_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    callback_retry_base_seconds: float = Field(default=5.0, ge=0, le=3600)
    callback_retry_max_seconds: float = Field(default=3600.0, ge=0, le=86400)
    callback_give_up_after_seconds: float = Field(default=86400.0, ge=0, le=7 * 86400)

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> IssuerSettings:
        if not self.is_production:
            return self
        problems = []
        if not self.registry_token.get_secret_value().strip():
            problems.append("registry_token is required")
        # The development PKI is for laptops: production must name its own key material,
        # and its public address, which is printed in every certificate's QR code.
        for name in (
            "signing_p12_path",
            "signing_p12_password",
            "ca_certificate_path",
            "public_base_url",
        ):
            if name not in self.model_fields_set:
                problems.append(f"{name} is required")
        if "seal_key_path" not in self.model_fields_set and self.seal_key_pem is None:
            problems.append("seal_key_path or seal_key_pem is required")
        if self.signing_p12_password.get_secret_value() == DEV_SIGNING_PASSWORD:
            problems.append("signing_p12_password must not be the development placeholder")
        if self.tsa_url and self.tsa_trust_roots_path is None:
            problems.append("tsa_url needs tsa_trust_roots_path")
        if problems:
            raise ValueError("; ".join(problems) + " in production")
        return self

    @property
    def oficio_trust_source(self) -> Path | None:
        if self.oficio_trust_roots_path is not None:
            return self.oficio_trust_roots_path
        return ECUADOR_TRUST_BUNDLE if self.is_production else None

    @property
    def fetches_oficio_revocation(self) -> bool:
        if self.oficio_revocation_fetch is not None:
            return self.oficio_revocation_fetch
        return self.is_production

    @property
    def uses_development_keys(self) -> bool:
        return self.signing_p12_path == DEV_SIGNING_P12 and not self.is_production

    def public_url(self, path: str) -> str:
        return self.public_base_url.rstrip("/") + path
