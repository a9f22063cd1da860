"""The "RESUMEN DE PERMANENCIA" of a certificate: the registry's stay summary as of the
period's end (``POST /v1/stays/summary``, same numbers), in the JSON and as printed lines.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.issuer.registry_client import StaySummary

HEADING = "RESUMEN DE PERMANENCIA"
_STATUS = {"IN_ECUADOR": "EN ECUADOR", "ABROAD": "FUERA DEL PAÍS", "UNKNOWN": "SIN REGISTROS"}


def stay_summary_json(summary: StaySummary) -> dict[str, Any]:
    """What the certificate's JSON carries: the counts, not the stays or movements."""
    return summary.model_dump(
        mode="json", include={"on", "status", "days_in_ecuador", "visitor_allowance", "returnee"}
    )


def _date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def stay_summary_lines(summary: StaySummary) -> list[str]:
    days = summary.days_in_ecuador
    lines = [
        f"Situación al {_date(summary.on)}: {_STATUS.get(summary.status, summary.status)}.",
        f"Días en Ecuador: últimos 90 días: {days.last_90} — últimos 180 días: "
        f"{days.last_180} — últimos 365 días: {days.last_365}.",
    ]
    if summary.returnee is not None:
        returnee = summary.returnee
        more = "sí" if returnee.more_than_two_years_abroad else "no"
        lines.append(
            f"Tiempo fuera del país antes del último retorno: {returnee.days_abroad} días "
            f"(salida {_date(returnee.abroad_from)}, retorno {_date(returnee.returned_on)}); "
            f"más de dos años: {more}."
        )
    if summary.visitor_allowance is not None:
        allowance = summary.visitor_allowance
        lines.append(
            f"Permanencia como visitante: {allowance.days_used} de {allowance.allowance_days} "
            f"días en {allowance.window_days}; restantes: {allowance.days_remaining}; "
            f"excedidos: {allowance.overstay_days}."
        )
    return lines
