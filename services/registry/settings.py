from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    # A full batch (1000 movements with observations) is a few MB of JSON.
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, description="413 beyond this.")
    control_point_cache_seconds: float = Field(
        default=60.0, ge=0, description="How long the list of active control points is cached."
    )
    visitor_allowance_days: int = Field(
        default=90, ge=1, description="A foreign visitor's days in Ecuador per window."
    )
    visitor_window_days: int = Field(
        default=365, ge=1, description="The rolling window of the visitor allowance, in days."
    )
    audit_key_path: Path | None = Field(
        default=None,
        description="PEM (PKCS#8) Ed25519 key that signs the access log's head; in "
        "development .data/keys/audit-ed25519.pem is created when unset.",
    )
    audit_retired_keys_path: Path | None = Field(
        default=None,
        description="PEM public keys of retired audit keys, still published at "
        "/v1/audit/keys so older heads verify.",
    )
    audit_chain_seconds: float = Field(
        default=2.0, gt=0, le=3600, description="How often new access-log rows are chained."
    )

    @model_validator(mode="after")
    def _production_needs_an_audit_key(self) -> "RegistrySettings":
        if self.is_production and self.audit_key_path is None:
            raise ValueError("audit_key_path is required in production")
        return self
