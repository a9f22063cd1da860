from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from services.registry.deps import AnyClient
from services.registry.models import ControlPoint
from shared.db import SessionDep
from shared.web import api_router


class ControlPointOut(BaseModel):
    """A punto de control migratorio."""

    code: str = Field(description="What a movement's `control_point` carries, e.g. `AIR-UIO`.")
    name: str = Field(description="Official name, e.g. Aeropuerto Internacional Mariscal Sucre.")
    kind: Literal["AIRPORT", "SEAPORT", "LAND_BORDER"] = Field(description="Kind of post.")
    province: str = Field(description="Provincia where the post is.")
    active: bool = Field(description="Inactive posts are refused in new movements.")


class ControlPointList(BaseModel):
    items: list[ControlPointOut] = Field(description="Every control point, active or not.")


router = api_router(prefix="/v1/control-points", tags=["control points"])


@router.get("", response_model=ControlPointList)
async def list_control_points(session: SessionDep, caller: AnyClient) -> ControlPointList:
    """Ecuador's official migration control points. Any valid token.

    Terminals send one of these `code`s as `control_point`; inactive points are
    kept because old movements refer to them, but new movements there are refused.
    """
    rows = await session.scalars(select(ControlPoint).order_by(ControlPoint.code))
    return ControlPointList(
        items=[ControlPointOut.model_validate(r, from_attributes=True) for r in rows]
    )
