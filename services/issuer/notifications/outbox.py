"""Writing callbacks to the outbox, in the transaction that settles a PENDING request.

The event and the status change commit together or not at all: no event for a change
that rolled back, no change without its event (the transactional outbox pattern).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.issuer.certificate_requests.views import certificate_out
from services.issuer.certificates.service import CertificateIssuer
from services.issuer.models import Authority, Certificate, CertificateRequest, Notification

EVENT_TYPES = {"ISSUED": "certificate_request.issued", "REJECTED": "certificate_request.rejected"}


def event_payload(
    issuer: CertificateIssuer,
    certificate_request: CertificateRequest,
    certificate: Certificate | None,
    *,
    at: datetime,
) -> dict[str, Any]:
    body = {
        "type": EVENT_TYPES[certificate_request.status],
        "timestamp": at.isoformat(),
        "request_id": str(certificate_request.id),
        "oficio_number": certificate_request.oficio_number,
        "certificate": certificate_out(issuer, certificate).model_dump(mode="json")
        if certificate
        else None,
        "errors": certificate_request.errors,
    }
    # Stored as JSONB: normalise through JSON so what is stored is what is sent.
    parsed: dict[str, Any] = json.loads(json.dumps(body))
    return parsed


async def enqueue_settled(
    session: AsyncSession,
    issuer: CertificateIssuer,
    certificate_request: CertificateRequest,
    certificate: Certificate | None,
    *,
    at: datetime,
) -> Notification | None:
    """Queue the event for a request that just left PENDING; None when its authority has
    no callback URL (it then polls, as before)."""
    authority = await session.get(Authority, certificate_request.authority_id)
    if authority is None or not authority.callback_url:
        return None
    notification = Notification(
        certificate_request_id=certificate_request.id,
        authority_id=authority.id,
        event_type=EVENT_TYPES[certificate_request.status],
        payload=event_payload(issuer, certificate_request, certificate, at=at),
        status="RETRYING",
        attempts=0,
        next_attempt_at=at,
    )
    session.add(notification)
    await session.flush()
    return notification
