"""The subject's name must match the registry's data of record (SUBJECT_NAME_MISMATCH).

A mistyped cédula must not produce someone else's certificate. Oficios write names in
every order ("PÉREZ GÓMEZ MARÍA JOSÉ", "María José Pérez Gómez") and often with one
surname only, so the rule is deliberately lenient: at least one of the person's surnames
of record appears among the words of ``full_name``, compared without case or accents.
Particles ("DE", "LA", "DEL"...) are not surnames on their own.
"""

from __future__ import annotations

import re
import unicodedata

from shared.errors import FieldError

_PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "Y", "DA", "DO", "DOS", "VAN", "VON"})
_WORD = re.compile(r"[A-Z]+")


def _words(text: str) -> set[str]:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
    return {w for w in _WORD.findall(bare) if w not in _PARTICLES}


def shares_a_surname(full_name: str, surnames_of_record: str) -> bool:
    return bool(_words(full_name) & _words(surnames_of_record))


def name_errors(full_name: str | None, surnames_of_record: str | None) -> list[FieldError]:
    """Empty when there is nothing to compare (no name given, person unknown)."""
    if not full_name or not surnames_of_record or not _words(surnames_of_record):
        return []
    if shares_a_surname(full_name, surnames_of_record):
        return []
    return [
        FieldError(
            "SUBJECT_NAME_MISMATCH",
            "subject.full_name",
            f"'{full_name}' shares no surname with the person the registry knows under this "
            "identity; check the identity number",
        )
    ]


class SubjectNameMismatch(Exception):
    """Raised while issuing, before anything is written, when the registry's person does
    not carry the name the oficio gave: the request is rejected instead."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors
