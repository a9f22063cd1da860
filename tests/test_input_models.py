"""Every request body is an InputModel, so no route can forget the input-hygiene rules
(INVALID_CHARACTERS, dates as strings, unknown fields refused)."""

from __future__ import annotations

from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel

from services.issuer.app import create_app as create_issuer
from services.issuer.settings import IssuerSettings
from services.registry.app import create_app as create_registry
from services.registry.settings import RegistrySettings
from shared.validation import InputModel


def test_every_json_body_is_an_input_model() -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"
    apps = [
        create_registry(RegistrySettings(database_url=url)),
        create_issuer(IssuerSettings(database_url=url)),
    ]
    bodies = {}
    for app in apps:
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if not isinstance(route, APIRoute):
                continue
            for param in route.dependant.body_params:
                model = param.field_info.annotation
                if isinstance(model, type) and issubclass(model, BaseModel):
                    bodies[f"{sorted(route.methods)} {context.path}"] = model
    assert len(bodies) >= 9, bodies
    loose = {where: m.__name__ for where, m in bodies.items() if not issubclass(m, InputModel)}
    assert not loose, f"request bodies that skip InputModel: {loose}"
