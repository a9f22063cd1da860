from pydantic import Field
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
