from services.issuer.models import Base
from shared.migrate import run_env

run_env(Base.metadata, "ISSUER_DATABASE_URL")
