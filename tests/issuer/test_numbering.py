"""Certificate numbers are gapless under concurrency; verification codes are unguessable."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.issuer.certificates.codes import (
    CODE_BITS,
    new_verification_code,
    normalise_verification_code,
)
from services.issuer.models import Certificate
from tests.issuer.conftest import Authorities, IssuerFactory
from tests.issuer.helpers import certificate_request

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
NUMBER = re.compile(r"^CMM-(\d{4})-(\d{6})$")


async def _year_sequences(engine: AsyncEngine, year: int) -> list[int]:
    async with async_sessionmaker(engine)() as session:
        return list(
            (
                await session.scalars(
                    select(Certificate.sequence)
                    .where(Certificate.year == year)
                    .order_by(Certificate.sequence)
                )
            ).all()
        )


async def test_concurrent_issuances_get_consecutive_numbers(
    issuer_factory: IssuerFactory, committed_authorities: Authorities, issuer_engine: AsyncEngine
) -> None:
    headers = committed_authorities.fiscalia.headers
    async with issuer_factory(committing=True) as (_, issuer):
        responses = await asyncio.gather(
            *(
                issuer.post("/v1/certificate-requests", json=certificate_request(), headers=headers)
                for _ in range(20)
            )
        )
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses]

    numbers = [NUMBER.match(r.json()["certificate"]["number"]) for r in responses]
    assert all(numbers)
    year = int(numbers[0].group(1))  # type: ignore[union-attr]
    ours = sorted(int(m.group(2)) for m in numbers)  # type: ignore[union-attr]
    assert ours == list(range(ours[0], ours[0] + 20)), "20 consecutive numbers"
    # And the year as a whole (other committing tests issue too) has no gaps or repeats.
    every = await _year_sequences(issuer_engine, year)
    assert every == list(range(1, len(every) + 1))

    codes = [r.json()["certificate"]["verification_code"] for r in responses]
    assert len(set(codes)) == 20


def test_verification_code_format_and_entropy() -> None:
    assert CODE_BITS >= 80
    codes = {new_verification_code() for _ in range(5000)}
    assert len(codes) == 5000
    assert all(CODE.match(code) for code in codes)
    # Every symbol of the alphabet shows up in every position: no structure to guess.
    for position in (0, 7, 18):
        assert len({code[position] for code in codes}) == 32


def test_typed_codes_are_normalised() -> None:
    assert normalise_verification_code(" 7kq4 m2xd-9pza h3tb ") == "7KQ4-M2XD-9PZA-H3TB"
    assert normalise_verification_code("7KQ4-M2XD-9PZA-H3TO") == "7KQ4-M2XD-9PZA-H3T0"
    assert normalise_verification_code("7KQ4-M2XD-9PZA") is None
    assert normalise_verification_code("7KQ4-M2XD-9PZA-H3TU") is None


async def test_concurrent_resends_of_one_oficio_issue_once(
    issuer_factory: IssuerFactory, committed_authorities: Authorities, issuer_engine: AsyncEngine
) -> None:
    body = certificate_request()
    headers = committed_authorities.juzgado.headers
    async with issuer_factory(committing=True) as (_, issuer):
        responses = await asyncio.gather(
            *(issuer.post("/v1/certificate-requests", json=body, headers=headers) for _ in range(5))
        )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["request_id"] for r in responses}) == 1
    assert len({r.json()["certificate"]["number"] for r in responses}) == 1
