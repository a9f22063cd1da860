from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    max_batch_size: int = Field(default=1000, ge=1, le=1000)
    max_future_skew_seconds: int = Field(
        default=300, ge=0, description="How far in the future occurred_at may be (clock skew)."
    )
    history_page_max: int = Field(default=1000, ge=1, le=5000)
    control_point_cache_seconds: float = Field(default=60.0, ge=0)
