"""Authorisation comes first: the issuer's whole route table against every token kind,
and an authority's token can never act as staff."""

from __future__ import annotations

from fastapi import FastAPI
from httpx import AsyncClient

from tests.issuer.conftest import Authorities
from tests.support.authorization import check_matrix

AUTHORITY = frozenset({"certificates:request"})
EXPECTED = {
    ("POST", "/v1/certificate-requests"): AUTHORITY,
    ("GET", "/v1/certificate-requests"): AUTHORITY,
    ("GET", "/v1/certificate-requests/{request_id}"): AUTHORITY,
    ("GET", "/v1/certificates/{certificate_id}/pdf"): AUTHORITY,
    ("POST", "/v1/certificates/{certificate_id}/revocation"): frozenset({"admin"}),
    ("GET", "/v1/verify/{verification_code}"): None,
    ("POST", "/v1/verify"): None,
    ("GET", "/v1/signing-certificates"): None,
    ("GET", "/v1/seal-keys"): None,
    ("POST", "/v1/verify/seal"): None,
    ("GET", "/livez"): None,
    ("GET", "/readyz"): None,
    ("GET", "/metrics"): None,
    ("GET", "/docs"): None,  # Swagger UI, served offline
    ("GET", "/docs/oauth2-redirect"): None,
}


async def test_every_route_checks_the_caller_before_the_request(
    issuer_app: FastAPI, issuer: AsyncClient, authorities: Authorities
) -> None:
    tokens = {
        "certificates:request": authorities.fiscalia.headers,
        "admin": authorities.admin.headers,
    }
    checked = await check_matrix(issuer_app, issuer, EXPECTED, tokens)
    assert checked > 200
