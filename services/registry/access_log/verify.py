"""``registry audit verify``: recompute the chain from the rows and name what breaks it.

Reads rows and links together, in id order (one FULL JOIN, streamed), and reports,
lowest row first: a row whose content no longer matches its seal or its link
(changed), a link whose row is gone (deleted), a row the chain passed over or a row
without a seal (inserted behind the service's back), a link that does not follow
from the one before (the chain rewritten), and a saved head the chain no longer
extends.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.registry.access_log.chain import (
    CANONICAL_FIELDS,
    GENESIS,
    content_hash,
    link_hash,
)
from services.registry.access_log.signing import HeadSignatureInvalid, verify_jws

# Composed from module constants only (no input reaches the SQL text).
_WALK = text(
    f"""
    SELECT coalesce(a.id, c.entry_id) AS entry_id, a.id IS NOT NULL AS present,
           a.content_sha256 AS seal, c.position, c.content_sha256 AS linked,
           c.prev_sha256, c.chain_sha256, {CANONICAL_FIELDS}
    FROM access_log a FULL JOIN access_log_chain c ON c.entry_id = a.id
    ORDER BY coalesce(a.id, c.entry_id), c.position
    """
)


@dataclass
class Report:
    rows: int = 0
    chained: int = 0
    hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Walk:
    report: Report
    position: int = 0
    previous: str = GENESIS
    # The chainer links in id order and only ids that are final: below the last linked
    # row, an unlinked row cannot be a late commit.
    chained_up_to: int = 0

    def visit(self, row: Any) -> Iterator[str]:
        entry = row.entry_id
        if row.present:
            self.report.rows += 1
            fields = list(row[7:])
            recomputed = content_hash(fields)
            if row.seal is None:
                yield f"row {entry} inserted behind the service's back: it has no seal"
            elif recomputed != row.seal:
                yield f"row {entry} changed: its content no longer matches its seal"
        if row.position is None:
            if row.present and row.seal is not None and entry < self.chained_up_to:
                yield (
                    f"row {entry} inserted behind the service's back: the chain had "
                    f"already passed its place (after position {self.position})"
                )
            return
        yield from self._link(row, entry, recomputed if row.present else None)

    def _link(self, row: Any, entry: int, recomputed: str | None) -> Iterator[str]:
        if row.position != self.position + 1:
            yield (
                f"chain links {self.position + 1}..{row.position - 1} are missing before "
                f"row {entry}: rows and their links were deleted"
            )
        if not row.present:
            yield f"row {entry} deleted (it was chained at position {row.position})"
        elif recomputed != row.linked:
            yield f"row {entry} changed: its content no longer matches chain link {row.position}"
        if row.prev_sha256 != self.previous or link_hash(row.prev_sha256, row.linked) != (
            row.chain_sha256
        ):
            yield f"chain link {row.position} (row {entry}) was rewritten"
        self.position, self.previous = row.position, row.chain_sha256
        self.report.chained += 1
        self.report.hash = row.chain_sha256


async def verify_chain(conn: AsyncConnection, *, limit: int = 50) -> Report:
    report = Report()
    chained_up_to = await conn.scalar(text("SELECT max(entry_id) FROM access_log_chain"))
    walk = _Walk(report, chained_up_to=int(chained_up_to or 0))
    result = await conn.stream(_WALK.execution_options(yield_per=2000))
    async for row in result:
        for problem in walk.visit(row):
            if len(report.problems) < limit:
                report.problems.append(problem)
    return report


async def check_head(
    conn: AsyncConnection, head: dict[str, Any], *, jwks: dict[str, Any] | None
) -> list[str]:
    """Problems with a head saved earlier: the chain must still pass through it."""
    problems = []
    rows, expected = int(head["rows"]), str(head["hash"])
    if jwks is not None:
        try:
            signed = verify_jws(str(head.get("signature", "")), jwks)
        except HeadSignatureInvalid as exc:
            problems.append(f"the saved head's signature is not valid: {exc}")
        else:
            if signed.get("rows") != rows or signed.get("hash") != expected:
                problems.append("the saved head's rows/hash differ from what was signed")
    if rows == 0:
        return problems
    found = await conn.scalar(
        text("SELECT chain_sha256 FROM access_log_chain WHERE position = :p"), {"p": rows}
    )
    if found is None:
        problems.append(f"the chain no longer reaches the saved head ({rows} rows)")
    elif found != expected:
        problems.append(
            f"the chain no longer extends the saved head: link {rows} is {found}, "
            f"the head says {expected}"
        )
    return problems
