"""The issuer's one way to the registry: a typed client around one ``httpx.AsyncClient``.

Both calls are idempotent reads, so transport errors, timeouts and 5xx are retried
with exponential backoff and jitter, within a small budget: a registry that is down
must turn into a quick 202 PENDING, not a hanging request. Whatever still fails is
:class:`RegistryUnavailable`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from datetime import date
from typing import Any, Literal, TypeVar
from uuid import UUID

import httpx
import stamina
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from services.issuer import metrics
from shared.errors import Problem
from shared.request_id import HEADER as REQUEST_ID_HEADER

# A border commuter can have thousands of movements; beyond this a cursor loop is a bug.
MAX_PAGES = 1000


class RegistryUnavailable(Problem):
    status = 503
    type_slug = "registry-unavailable"
    title = "The movements registry cannot be reached"


class _Lenient(BaseModel):
    # The registry may add fields (the contract allows it); the issuer reads what it needs.
    model_config = ConfigDict(extra="ignore")


class Traveller(_Lenient):
    document_type: str
    document_number: str
    issuing_country: str
    nationality: str
    national_id: str | None = None
    surnames: str
    given_names: str


class Transport(_Lenient):
    mode: str
    carrier: str | None = None
    number: str | None = None


class Movement(_Lenient):
    movement_id: UUID
    direction: Literal["ENTRY", "EXIT"]
    occurred_at: AwareDatetime
    control_point: str
    traveller: Traveller
    transport: Transport | None = None
    origin_country: str | None = None
    destination_country: str | None = None
    annulment: dict[str, Any] | None = None


class Person(_Lenient):
    person_id: UUID
    surnames: str
    given_names: str
    nationality: str
    national_id: str | None = None


class History(_Lenient):
    person: Person | None
    movements: list[Movement]


class _HistoryPage(History):
    next_cursor: str | None = None


class DaysInEcuador(_Lenient):
    last_90: int
    last_180: int
    last_365: int


class VisitorAllowance(_Lenient):
    allowance_days: int
    window_days: int
    days_used: int
    days_remaining: int
    overstay_days: int


class Returnee(_Lenient):
    abroad_from: date
    returned_on: date
    days_abroad: int
    more_than_two_years_abroad: bool


class StaySummary(_Lenient):
    on: date
    status: str
    days_in_ecuador: DaysInEcuador
    visitor_allowance: VisitorAllowance | None = None
    returnee: Returnee | None = None


class _ControlPoint(_Lenient):
    code: str
    name: str


class _ControlPoints(_Lenient):
    items: list[_ControlPoint]


class _ServerError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"registry answered {status_code}")
        self.status_code = status_code


_TRANSIENT = (httpx.TransportError, _ServerError)
_M = TypeVar("_M", bound=BaseModel)


class RegistryClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        token: str,
        timeout_seconds: float,
        page_size: int = 500,
        attempts: int = 3,
        retry_budget_seconds: float = 2.0,
        control_points_ttl_seconds: float = 600.0,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._token = token
        # Explicit on every call, so an injected client cannot bring httpx's defaults.
        self._timeout = httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, 2.0))
        self._page_size = page_size
        self._attempts = attempts
        self._retry_budget = retry_budget_seconds
        self._control_points_ttl = control_points_ttl_seconds
        self._control_points: dict[str, str] = {}
        self._control_points_loaded_at = float("-inf")
        self._control_points_lock = asyncio.Lock()

    async def history(
        self,
        identity: dict[str, str],
        *,
        period_from: date | None,
        period_to: date,
        reference: str,
        request_id: str | None,
        on_behalf_of: str | None = None,
    ) -> History:
        """Every page of the person's history for a certificate, oldest first."""
        person: Person | None = None
        movements: list[Movement] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            body = {
                "identity": identity,
                "from": period_from.isoformat() if period_from else None,
                "to": period_to.isoformat(),
                "purpose": "CERTIFICATE",
                "reference": reference,
                "limit": self._page_size,
                "cursor": cursor,
            }
            if on_behalf_of:
                # The registry's access log then names the authority, not only the issuer.
                body["on_behalf_of"] = on_behalf_of
            raw = await self._call("history_search", "POST", "/v1/history/search", body, request_id)
            page = _parse(_HistoryPage, raw, "history_search")
            person = person or page.person
            movements.extend(page.movements)
            cursor = page.next_cursor
            if not cursor:
                return History(person=person, movements=movements)
        raise RegistryUnavailable(f"The registry kept paginating past {MAX_PAGES} pages.")

    async def person(
        self, identity: dict[str, str], *, reference: str, request_id: str | None
    ) -> Person | None:
        """Who the registry knows under this identity (its data of record), reading at most
        one movement. Access-logged by the registry like any search."""
        body = {
            "identity": identity,
            "purpose": "CERTIFICATE",
            "reference": reference,
            "limit": 1,
            "cursor": None,
        }
        raw = await self._call("person_lookup", "POST", "/v1/history/search", body, request_id)
        return _parse(_HistoryPage, raw, "person_lookup").person

    async def stays_summary(
        self,
        identity: dict[str, str],
        *,
        on: date,
        reference: str,
        request_id: str | None,
        on_behalf_of: str | None = None,
    ) -> StaySummary:
        """The registry's stay summary as of ``on`` (its ``POST /v1/stays/summary``)."""
        body = {"identity": identity, "on": on.isoformat(), "purpose": "CERTIFICATE",
                "reference": reference}  # fmt: skip
        if on_behalf_of:
            body["on_behalf_of"] = on_behalf_of
        raw = await self._call("stays_summary", "POST", "/v1/stays/summary", body, request_id)
        return _parse(StaySummary, raw, "stays_summary")

    async def control_point_names(
        self, *, request_id: str | None, needed: Collection[str] = ()
    ) -> dict[str, str]:
        """Code → official name. Cached: the list changes only by registry migration, but a
        code we have not seen yet (a new crossing) triggers one refresh."""
        async with self._control_points_lock:
            age = time.monotonic() - self._control_points_loaded_at
            missing = any(code not in self._control_points for code in needed)
            if age > self._control_points_ttl or (missing and age > 30):
                raw = await self._call(
                    "control_points", "GET", "/v1/control-points", None, request_id
                )
                points = _parse(_ControlPoints, raw, "control_points")
                self._control_points = {p.code: p.name for p in points.items}
                self._control_points_loaded_at = time.monotonic()
            return dict(self._control_points)

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        request_id: str | None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self._token}"}
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        started = time.perf_counter()
        try:
            async for attempt in stamina.retry_context(
                on=_TRANSIENT,
                attempts=self._attempts,
                timeout=self._retry_budget,
                wait_initial=0.2,
                wait_max=1.0,
                wait_jitter=0.3,
            ):
                with attempt:
                    response = await self._http.request(
                        method, self._base_url + path, json=body, headers=headers,
                        timeout=self._timeout,
                    )  # fmt: skip
                    if response.status_code >= 500:
                        raise _ServerError(response.status_code)
        except _TRANSIENT as exc:
            reason = type(exc).__name__ if isinstance(exc, httpx.TransportError) else "5xx"
            raise _failed(operation, reason, f"The registry did not answer: {exc}") from exc
        finally:
            metrics.REGISTRY_CALL_SECONDS.labels(operation).observe(time.perf_counter() - started)
        if response.status_code != 200:
            # 401/403: our token is wrong or lacks history:read. Not transient, but an
            # operator can fix it, so the request waits as PENDING instead of failing.
            raise _failed(
                operation,
                f"http_{response.status_code}",
                f"The registry refused the call with {response.status_code}.",
            )
        try:
            return response.json()
        except ValueError as exc:
            raise _failed(operation, "invalid_json", "The registry sent invalid JSON.") from exc


def _failed(operation: str, reason: str, detail: str) -> RegistryUnavailable:
    metrics.REGISTRY_CALL_FAILURES.labels(operation, reason).inc()
    return RegistryUnavailable(detail)


def _parse(model: type[_M], raw: Any, operation: str) -> _M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise _failed(operation, "unexpected_body", f"Unexpected registry answer: {exc}") from exc
