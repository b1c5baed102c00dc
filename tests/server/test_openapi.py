"""The OpenAPI document is valid JSON and lists the routes of the protocol."""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant

from convos_server.api.responses import api_routes, derived_statuses
from convos_server.app import create_app
from convos_server.config import Settings


async def test_openapi_lists_the_routes(client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.text)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ["/api/v1/health", "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/me"]:
        assert path in paths, path
    assert "post" in paths["/api/v1/auth/login"]


@pytest.fixture
def quiet_app(settings: Settings) -> FastAPI:
    """The app without its lifespan: generating the document needs no database."""
    return create_app(settings)


def test_every_route_declares_its_error_answers(quiet_app):
    app = quiet_app
    document = app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for route in api_routes(app):
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            declared = {int(status) for status in operation["responses"] if status[0] == "4"}
            assert derived_statuses(route) <= declared, (method, route.path_format)
            for status in declared:
                content = operation["responses"][str(status)]["content"]
                assert content == {"application/json": {"schema": error_ref}}, (status, method)


def test_statuses_follow_from_the_route(quiet_app):
    paths = quiet_app.openapi()["paths"]

    def statuses(path: str, method: str) -> set[str]:
        return {s for s in paths[f"/api/v1{path}"][method]["responses"] if s[0] == "4"}

    assert statuses("/agents", "post") == {"400", "401", "403", "409", "413", "422"}
    assert statuses("/tickets/{ticket_id}", "get") == {"401", "404", "422"}
    assert statuses("/events", "get") == {"401", "422", "429"}
    assert statuses("/auth/login", "post") >= {"401", "429"}
    assert statuses("/health", "get") == set()


def test_file_downloads_are_binary(quiet_app):
    paths = quiet_app.openapi()["paths"]
    ok = paths["/api/v1/files/{file_id}"]["get"]["responses"]["200"]
    assert ok["content"] == {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    events = paths["/api/v1/events"]["get"]["responses"]["200"]
    assert "text/event-stream" in events["content"]


def _sync_calls(dependant: Dependant) -> Iterator[str]:
    call = dependant.call
    if call is not None:
        function = call if inspect.isfunction(call) else getattr(call, "__call__", call)  # noqa: B004
        if not inspect.iscoroutinefunction(function):
            yield getattr(call, "__qualname__", repr(call))
    for dependency in dependant.dependencies:
        yield from _sync_calls(dependency)


def test_no_route_runs_a_plain_function_on_the_thread_pool(quiet_app):
    """FastAPI runs a ``def`` endpoint or dependency on its thread pool: a hop per request."""
    offenders = {
        (route.path, name)
        for route in api_routes(quiet_app)
        for name in _sync_calls(route.dependant)
    }
    assert offenders == set()
