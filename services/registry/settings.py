from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    control_point_cache_seconds: float = Field(
        default=60.0, ge=0, description="How long the list of active control points is cached."
    )
