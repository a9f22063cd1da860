"""A national-scale registry, written straight into the registry's schema with COPY.

Realistic in the ways that matter to the hot queries: many persons with one to a few
crossings and a long tail of frequent travellers (Lomax-distributed, some with hundreds);
about 70% Ecuadorians (cédula, travelling on passport or on the cédula itself) and 30%
foreigners (passport only); passports renewed every few years, so frequent travellers hold
several documents; a few persons first known by a passport and later merged into their
cédula (``persons.canonical_id``); ~0.1% of movements annulled. Rows are written in
shuffled chunks, so one person's movements sit on different heap pages, as they would
after years of interleaved uploads. Triggers only forbid UPDATE/DELETE, so COPY is allowed;
identifiers, persons and movements are consistent with what ``record_movement()`` builds.
"""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

CHUNK = 200_000
START = datetime(2012, 1, 1, tzinfo=UTC)
SPAN_DAYS = 14 * 365
FOREIGN = ["COL", "PER", "USA", "VEN", "ESP", "ARG", "CHL", "MEX", "DEU", "CHN", "CUB", "ITA"]
SURNAMES = ["PEREZ", "GOMEZ", "TORRES", "VERA", "MORA", "CEVALLOS", "ZAMBRANO", "SMITH",
            "GARCIA", "LOPEZ", "ANDRADE", "SALAZAR", "ROJAS", "DIAZ", "ORTIZ", "SUAREZ"]  # fmt: skip
GIVEN = ["MARIA", "JOSE", "ANA", "LUIS", "CARLOS", "SOFIA", "DANIEL", "LUCIA", "PEDRO"]
MOVEMENT_COLUMNS = [
    "movement_id", "person_id", "direction", "occurred_at", "control_point", "document_type",
    "document_number", "issuing_country", "nationality", "national_id", "surnames",
    "given_names", "birth_date", "sex", "transport_mode", "transport_carrier",
    "transport_number", "origin_country", "destination_country", "observations", "anomalies",
    "content_sha256", "recorded_at", "recorded_by",
]  # fmt: skip
IDENTIFIER_COLUMNS = [
    "identifier", "person_id", "national_id", "document_type", "document_number",
    "issuing_country", "first_seen_at",
    # The identity data of record, first recorded with each identifier.
    "surnames", "given_names", "birth_date", "sex", "nationality",
]  # fmt: skip


def cedula(n: int) -> str:
    """The same numbering as the bench's Lua prelude: valid for n below 144 million."""
    body = f"{1 + n // 6_000_000 % 24:02d}{n // 1_000_000 % 6}{n % 1_000_000:06d}"
    total = sum(d - 9 if d > 9 else d
                for d in (int(c) * (2 if i % 2 == 0 else 1) for i, c in enumerate(body)))  # fmt: skip
    return body + str((10 - total % 10) % 10)


@dataclass
class Loaded:
    movements: int = 0
    persons: int = 0
    identifiers: int = 0
    annulments: int = 0
    seconds: float = 0.0
    # Samples to search for: cédulas of ordinary persons and of frequent travellers.
    cedulas: list[str] = field(default_factory=list)
    frequent: list[str] = field(default_factory=list)
    documents: list[tuple[str, str, str]] = field(default_factory=list)


def _crossings(rng: random.Random) -> int:
    # Lomax(1.4) x 1.5: median 1-2 crossings, mean about 4.5, a tail into the hundreds.
    return min(3000, 1 + int(rng.paretovariate(1.4) * 1.5 - 1.5))


class _Person:
    """One person's identity and documents, and their crossings as movement rows."""

    def __init__(self, n: int, rng: random.Random, client: uuid.UUID) -> None:
        self.rng, self.client = rng, client
        self.id = uuid.UUID(int=rng.getrandbits(128))
        self.ecuadorian = rng.random() < 0.7
        self.national_id = cedula(n) if self.ecuadorian else None
        self.nationality = "ECU" if self.ecuadorian else rng.choice(FOREIGN)
        self.surnames = f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
        self.given = f"{rng.choice(GIVEN)} {rng.choice(GIVEN)}"
        self.birth = date(1940, 1, 1) + timedelta(days=rng.randrange(80 * 365))
        self.sex = rng.choice("FM")
        self.n = n

    def document(self, crossing: int, per_passport: int) -> tuple[str, str, str]:
        if self.ecuadorian and crossing % 3 == 2:  # an Andean trip on the cédula itself
            return "NATIONAL_ID", str(self.national_id), "ECU"
        renewal = crossing // per_passport
        return "PASSPORT", f"{'AP'[renewal % 2]}{self.n:08d}{renewal}", self.nationality

    def rows(self, count: int) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        moment = START + timedelta(days=rng.randrange(SPAN_DAYS), minutes=rng.randrange(1440))
        per_passport = max(2, count // rng.randint(1, 3))
        for crossing in range(count):
            document_type, number, country = self.document(crossing, per_passport)
            exit_ = crossing % 2 == 0 if self.ecuadorian else crossing % 2 == 1
            point = rng.choice(("AIR-UIO", "AIR-GYE", "AIR-UIO", "LAND-RUMICHACA",
                                "LAND-HUAQUILLAS", "AIR-CUE"))  # fmt: skip
            movement_id = uuid.UUID(int=rng.getrandbits(128) & ~(0xF << 76) | (4 << 76))
            yield (
                movement_id, self.id, "EXIT" if exit_ else "ENTRY", moment, point,
                document_type, number, country, self.nationality, self.national_id,
                self.surnames, self.given, self.birth, self.sex,
                "LAND" if point.startswith("LAND") else "AIR", None, None,
                None if exit_ else "COL", "COL" if exit_ else None, None, [],
                hashlib.sha256(movement_id.bytes).hexdigest(),
                moment + timedelta(minutes=3), self.client,
            )  # fmt: skip
            moment += timedelta(days=rng.randint(1, 40), minutes=rng.randrange(600))


async def generate(url: str, movements: int, *, seed: int = 7) -> Loaded:
    """Append about ``movements`` movements (whole persons, so a few more) to a migrated
    registry database. Analyse afterwards (the caller VACUUM ANALYZEs)."""
    rng = random.Random(seed)
    loaded = Loaded()
    started = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        client = await conn.fetchval(
            "INSERT INTO api_clients (name, token_hash, scopes) VALUES ($1, $2, $3) RETURNING id",
            "national-data generator", f"generator-{uuid.uuid4()}", ["movements:write"],
        )  # fmt: skip
        # Person numbers (and so cédulas) continue after whatever is there already.
        n = int(await conn.fetchval("SELECT count(*) FROM persons")) + 1_000
        while loaded.movements < movements:
            n = await _chunk(conn, rng, client, n, min(CHUNK, movements - loaded.movements),
                             loaded)  # fmt: skip
    finally:
        await conn.close()
    loaded.seconds = time.perf_counter() - started
    return loaded


VERIFY = [
    # (what, query returning the number of broken references)
    ("movements.person_id", "SELECT count(*) FROM movements m"
     " WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = m.person_id)"),
    ("movements.control_point", "SELECT count(*) FROM movements m"
     " WHERE NOT EXISTS (SELECT 1 FROM control_points c WHERE c.code = m.control_point)"),
    ("person_identifiers.person_id", "SELECT count(*) FROM person_identifiers i"
     " WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = i.person_id)"),
    ("persons.canonical_id", "SELECT count(*) FROM persons q"
     " WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.id = q.canonical_id)"),
    ("annulments.movement_id", "SELECT count(*) FROM annulments a"
     " WHERE NOT EXISTS (SELECT 1 FROM movements m WHERE m.movement_id = a.movement_id)"),
]  # fmt: skip


async def verify(url: str) -> dict[str, int]:
    """Broken references per foreign key (all zero when the load is consistent)."""
    conn = await asyncpg.connect(url)
    try:
        return {what: int(await conn.fetchval(query)) for what, query in VERIFY}
    finally:
        await conn.close()


async def _chunk(
    conn: asyncpg.Connection, rng: random.Random, client: uuid.UUID, first: int, target: int,
    loaded: Loaded,
) -> int:  # fmt: skip
    persons: list[tuple[Any, ...]] = []
    identifiers: dict[str, tuple[Any, ...]] = {}
    rows: list[tuple[Any, ...]] = []
    n = first
    while len(rows) < target:
        person = _Person(n, rng, client)
        count = _crossings(rng)
        mine = list(person.rows(count))
        persons.append((person.id, person.id))
        seen = mine[0][3]
        of_record = (person.surnames, person.given, person.birth, person.sex, person.nationality)
        if person.national_id:
            key = f"CI:{person.national_id}"
            identifiers[key] = (key, person.id, person.national_id, None, None, None, seen,
                                *of_record)  # fmt: skip
        for row in mine:
            key = f"{row[5]}:{row[7]}:{row[6]}"
            if key not in identifiers:
                identifiers[key] = (key, person.id, None, row[5], row[6], row[7], row[3],
                                    *of_record)  # fmt: skip
        if person.national_id and rng.random() < 0.005 and len(mine) > 1:
            # First known by a passport alone, merged when a movement showed the cédula.
            merged = uuid.UUID(int=rng.getrandbits(128))
            persons.append((merged, person.id))
            first_row = mine[0]
            mine[0] = (first_row[0], merged, *first_row[2:9], None, *first_row[10:])
            key = f"{first_row[5]}:{first_row[7]}:{first_row[6]}"
            identifiers[key] = (key, merged, None, *identifiers[key][3:])
        rows.extend(mine)
        if count >= 40 and person.national_id and len(loaded.frequent) < 500:
            loaded.frequent.append(person.national_id)
        elif person.national_id and rng.random() < 0.02 and len(loaded.cedulas) < 5000:
            loaded.cedulas.append(person.national_id)
        elif not person.ecuadorian and rng.random() < 0.02 and len(loaded.documents) < 2000:
            loaded.documents.append(("PASSPORT", mine[0][6], mine[0][7]))
        n += 1
    rng.shuffle(rows)
    annulled = [(r[0], "Registro duplicado", "BENCH", client) for r in rows[::1000]]
    async with conn.transaction():
        # Foreign-key checks row by row would triple the load time; the rows are consistent
        # by construction and verify() checks every reference set-wise afterwards.
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.copy_records_to_table("persons", records=persons,
                                         columns=["id", "canonical_id"])  # fmt: skip
        await conn.copy_records_to_table("person_identifiers", records=identifiers.values(),
                                         columns=IDENTIFIER_COLUMNS)  # fmt: skip
        await conn.copy_records_to_table("movements", records=rows, columns=MOVEMENT_COLUMNS)
        await conn.copy_records_to_table("annulments", records=annulled,
                                         columns=["movement_id", "reason", "reference",
                                                  "annulled_by"])  # fmt: skip
    loaded.movements += len(rows)
    loaded.persons += n - first
    loaded.identifiers += len(identifiers)
    loaded.annulments += len(annulled)
    print(f"    {loaded.movements:,} movements, {loaded.persons:,} persons", flush=True)
    return n
