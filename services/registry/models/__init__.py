"""Registry models, re-exported so Alembic and the services import one place."""

from services.registry.models.access_log import AccessLogEntry, AccessLogLink
from services.registry.models.api_client import ApiClient
from services.registry.models.base import Base
from services.registry.models.control_point import ControlPoint
from services.registry.models.movement import Annulment, Movement
from services.registry.models.person import Person, PersonIdentifier

__all__ = [
    "AccessLogEntry",
    "AccessLogLink",
    "Annulment",
    "ApiClient",
    "Base",
    "ControlPoint",
    "Movement",
    "Person",
    "PersonIdentifier",
]
