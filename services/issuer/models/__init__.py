"""Issuer models, re-exported so Alembic and the services import one place."""

from services.issuer.models.authority import AUTHORITY_KINDS, Authority
from services.issuer.models.authority_token import AuthorityToken
from services.issuer.models.base import Base
from services.issuer.models.certificate import Certificate
from services.issuer.models.certificate_counter import CertificateCounter
from services.issuer.models.certificate_request import REQUEST_STATUSES, CertificateRequest
from services.issuer.models.certificate_reservation import CertificateReservation
from services.issuer.models.notification import NOTIFICATION_STATUSES, Notification
from services.issuer.models.staff_token import StaffToken

__all__ = [
    "AUTHORITY_KINDS",
    "NOTIFICATION_STATUSES",
    "REQUEST_STATUSES",
    "Authority",
    "AuthorityToken",
    "Base",
    "Certificate",
    "CertificateCounter",
    "CertificateRequest",
    "CertificateReservation",
    "Notification",
    "StaffToken",
]
