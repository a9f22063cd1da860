from services.registry.models import Base
from shared.migrate import run_env

run_env(Base.metadata, "REGISTRY_DATABASE_URL")
