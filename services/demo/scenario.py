"""The demo's travellers and their crossings, as border terminals would send them.

Movement ids are derived from names (uuid5), so running the demo twice re-sends the
same movements: the registry answers ``duplicate`` instead of storing them again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

NAMESPACE = uuid.UUID("6f1c1e52-5b8e-4d0c-9a57-2f3d8b1c0e77")


@dataclass(frozen=True)
class Traveller:
    key: str
    surnames: str
    given_names: str
    birth_date: str
    sex: str
    nationality: str
    national_id: str | None
    documents: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    # document name -> (document_type, number, issuing country)

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surnames}"


MARIA = Traveller(
    "maria", "PEREZ GOMEZ", "MARIA JOSE", "1990-05-01", "F", "ECU", "1710034065",
    {"old": ("PASSPORT", "A1234567", "ECU"), "new": ("PASSPORT", "A7654321", "ECU")},
)  # fmt: skip
CARLOS = Traveller(  # dual national: Ecuadorian cédula, Colombian passport too
    "carlos", "RESTREPO VELEZ", "CARLOS ANDRES", "1982-11-23", "M", "ECU", "0926687856",
    {"ecu": ("PASSPORT", "B9876543", "ECU"), "col": ("PASSPORT", "AQ123987", "COL")},
)  # fmt: skip
SOFIA = Traveller(  # a minor travelling with her cédula to Colombia (Andean Community)
    "sofia", "PEREZ TORRES", "SOFIA VALENTINA", "2015-08-14", "F", "ECU", "1713175071",
    {"ci": ("NATIONAL_ID", "1713175071", "ECU")},
)  # fmt: skip
LUIS = Traveller(  # a Peruvian visitor known only by his passport
    "luis", "QUISPE MAMANI", "LUIS ALBERTO", "1978-02-09", "M", "PER", None,
    {"per": ("PASSPORT", "PE4455667", "PER")},
)  # fmt: skip
NOBODY = Traveller(  # asked about by a court, never crossed a border
    "nobody", "ANDRADE LOPEZ", "JORGE LUIS", "1975-04-30", "M", "ECU", "1704460532", {},
)  # fmt: skip


def _movement(
    traveller: Traveller, n: int, direction: str, when: str, point: str, document: str,
    *, other: str | None = None, transport: tuple[str, str | None, str | None] | None = None,
    observations: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    kind, number, country = traveller.documents[document]
    mode, carrier, flight = transport or ("AIR", None, None)
    return {
        "movement_id": str(uuid.uuid5(NAMESPACE, f"{traveller.key}-{n}")),
        "direction": direction,
        "occurred_at": when,
        "control_point": point,
        "traveller": {
            "document_type": kind, "document_number": number, "issuing_country": country,
            "nationality": traveller.nationality, "national_id": traveller.national_id,
            "surnames": traveller.surnames, "given_names": traveller.given_names,
            "birth_date": traveller.birth_date, "sex": traveller.sex,
        },
        "transport": {"mode": mode, "carrier": carrier, "number": flight},
        "origin_country": other if direction == "ENTRY" else None,
        "destination_country": other if direction == "EXIT" else None,
        "observations": observations,
    }  # fmt: skip


AV = ("AIR", "AV", "AV8374")
LA = ("AIR", "LA", "LA1442")
CM = ("AIR", "CM", "CM473")
BUS = ("LAND", "Flota Imbabura", None)

# Airport terminals post one by one as travellers pass the booth.
ONLINE: list[dict[str, Any]] = [
    _movement(MARIA, 1, "EXIT", "2016-07-02T08:15:00-05:00", "AIR-UIO", "old", other="COL", transport=AV),
    _movement(MARIA, 2, "ENTRY", "2016-07-20T21:40:00-05:00", "AIR-UIO", "old", other="COL", transport=AV),
    _movement(MARIA, 3, "EXIT", "2019-12-18T06:05:00-05:00", "AIR-GYE", "old", other="USA", transport=CM),
    _movement(MARIA, 4, "ENTRY", "2020-01-06T23:10:00-05:00", "AIR-GYE", "old", other="USA", transport=CM),
    # Passport renewed in 2022: the cédula ties the new passport to the same person.
    _movement(MARIA, 5, "EXIT", "2023-04-10T10:30:00-05:00", "AIR-UIO", "new", other="ESP", transport=LA),
    _movement(MARIA, 6, "ENTRY", "2023-05-02T16:45:00-05:00", "AIR-UIO", "new", other="ESP", transport=LA),
    _movement(CARLOS, 1, "EXIT", "2021-09-01T07:00:00-05:00", "AIR-UIO", "ecu", other="USA", transport=CM),
    _movement(CARLOS, 2, "ENTRY", "2021-09-15T22:30:00-05:00", "AIR-UIO", "ecu", other="USA", transport=CM),
    _movement(SOFIA, 1, "EXIT", "2024-02-10T11:00:00-05:00", "AIR-UIO", "ci", other="COL", transport=AV,
              observations="Menor de edad; viaja con autorización notariada de ambos padres."),
    _movement(SOFIA, 2, "ENTRY", "2024-02-18T19:20:00-05:00", "AIR-UIO", "ci", other="COL", transport=AV),
]  # fmt: skip

# Land posts work offline and upload their day in one batch.
OFFLINE_BATCH: list[dict[str, Any]] = [
    _movement(CARLOS, 3, "ENTRY", "2024-12-20T09:12:00-05:00", "LAND-RUMICHACA", "col", other="COL", transport=BUS),
    _movement(CARLOS, 4, "EXIT", "2025-01-05T17:48:00-05:00", "LAND-RUMICHACA", "col", other="COL", transport=BUS),
    _movement(LUIS, 1, "ENTRY", "2025-06-01T10:00:00-05:00", "LAND-HUAQUILLAS", "per", other="PER",
              transport=("LAND", "CIFA", None)),
    _movement(LUIS, 2, "EXIT", "2025-06-15T15:30:00-05:00", "LAND-MACARA", "per", other="PER",
              transport=("LAND", "Loja Internacional", None)),
]  # fmt: skip

# Keyed by mistake against María's passport at a booth: a supervisor annuls it.
MISTAKE = _movement(
    MARIA, 99, "ENTRY", "2023-04-11T09:00:00-05:00", "AIR-GYE", "new", other="ESP", transport=LA
)
