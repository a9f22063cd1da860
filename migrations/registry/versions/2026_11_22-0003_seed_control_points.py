"""Ecuador's official migration control points.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

International airports, the land crossings with Colombia and Peru (CEBAF: Centro
Binacional de Atención en Frontera) and the seaports where the Subsecretaría de
Migración controls entries and exits. New points are added by later migrations;
closed ones are deactivated, never deleted (old movements refer to them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTROL_POINTS = [
    # code, name, kind, province
    ("AIR-UIO", "Aeropuerto Internacional Mariscal Sucre (Quito)", "AIRPORT", "Pichincha"),
    ("AIR-GYE", "Aeropuerto Internacional José Joaquín de Olmedo (Guayaquil)", "AIRPORT", "Guayas"),
    ("AIR-CUE", "Aeropuerto Mariscal Lamar (Cuenca)", "AIRPORT", "Azuay"),
    ("AIR-MEC", "Aeropuerto Internacional Eloy Alfaro (Manta)", "AIRPORT", "Manabí"),
    ("AIR-LTX", "Aeropuerto Internacional Cotopaxi (Latacunga)", "AIRPORT", "Cotopaxi"),
    ("LAND-RUMICHACA", "Puente Internacional de Rumichaca (Tulcán)", "LAND_BORDER", "Carchi"),
    (
        "LAND-SAN-MIGUEL",
        "CEBAF San Miguel (Puente Internacional San Miguel)",
        "LAND_BORDER",
        "Sucumbíos",
    ),
    ("LAND-HUAQUILLAS", "CEBAF Huaquillas", "LAND_BORDER", "El Oro"),
    ("LAND-MACARA", "Puente Internacional de Macará", "LAND_BORDER", "Loja"),
    ("LAND-ZAPOTILLO", "Puente Internacional Lalamor (Zapotillo)", "LAND_BORDER", "Loja"),
    ("LAND-JIMBURA", "Control Migratorio de Jimbura (Espíndola)", "LAND_BORDER", "Loja"),
    ("LAND-LA-BALSA", "Puente Internacional La Balsa (Zumba)", "LAND_BORDER", "Zamora Chinchipe"),
    (
        "LAND-NUEVO-ROCAFUERTE",
        "Control Migratorio de Nuevo Rocafuerte (fluvial)",
        "LAND_BORDER",
        "Orellana",
    ),
    ("SEA-GYE", "Puerto Marítimo de Guayaquil", "SEAPORT", "Guayas"),
    ("SEA-MANTA", "Puerto de Manta", "SEAPORT", "Manabí"),
    ("SEA-ESMERALDAS", "Puerto de Esmeraldas", "SEAPORT", "Esmeraldas"),
    ("SEA-PUERTO-BOLIVAR", "Puerto Bolívar (Machala)", "SEAPORT", "El Oro"),
    ("SEA-LA-LIBERTAD", "Puerto de La Libertad", "SEAPORT", "Santa Elena"),
]

control_points = sa.table(
    "control_points",
    sa.column("code", sa.Text),
    sa.column("name", sa.Text),
    sa.column("kind", sa.Text),
    sa.column("province", sa.Text),
    sa.column("active", sa.Boolean),
)


def upgrade() -> None:
    op.bulk_insert(
        control_points,
        [
            {"code": c, "name": n, "kind": k, "province": p, "active": True}
            for c, n, k, p in CONTROL_POINTS
        ],
    )


def downgrade() -> None:
    codes = [c for c, *_ in CONTROL_POINTS]
    op.execute(control_points.delete().where(control_points.c.code.in_(codes)))
