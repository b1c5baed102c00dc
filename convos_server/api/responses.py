"""The error answers of every route, declared once for the OpenAPI document.

Every error is ``ErrorBody`` (``{code, message}`` plus optional details). Most answers follow
from what a route is, and ``declare_error_responses`` derives them from the route table:
401 for routes behind a bearer token, 403 for admin-only ones, 404 for routes with a path id,
413 for routes that take a body, 400 for a JSON body that is not UTF-8 text, 422 for routes
with any input (FastAPI's own 422 schema is replaced: this server never answers with it).
Answers only some routes give (409, 429, another 403) come from ``errors(...)`` in the
route's ``responses``. Binary answers are
declared with ``BINARY_RESPONSE``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel, ConfigDict

from convos_server.api.deps import current_agent, require_admin

ERROR_SCHEMA_NAME = "ErrorBody"
DESCRIPTIONS = {
    400: "The body cannot be decoded as UTF-8 JSON (`invalid`)",
    401: "No bearer token, or a revoked one (`unauthorized`); wrong credentials",
    403: "Not allowed to the caller (`forbidden`)",
    404: "No such object, or one the caller may not see (`not_found`)",
    409: "The object's state forbids it (e.g. `ticket_closed`, `agent_not_online`, `conflict`)",
    413: "The request body is too large (`too_large`)",
    422: "Bad input (`invalid`, with `field`)",
    429: "Too many at once (`too_many_streams`) or too fast (`Retry-After`)",
}
BINARY_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The bytes, with the file's sniffed type",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class ErrorBody(BaseModel):
    """``{code, message}``; ``field`` names the input to blame, other keys add details."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    field: str | None = None


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route decorator: the given error statuses with ``ErrorBody``."""
    return {
        status: {"model": ErrorBody, "description": DESCRIPTIONS[status]} for status in statuses
    }


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _has_input(dependant: Dependant) -> bool:
    if dependant.path_params or dependant.query_params or dependant.header_params:
        return True
    if dependant.body_params:
        return True
    return any(_has_input(dependency) for dependency in dependant.dependencies)


def api_routes(app: FastAPI) -> list[RouteContext]:
    """Every API route of ``app`` (routers included), with its full path and dependencies."""
    return [
        route
        for route in iter_route_contexts(app.routes)
        if isinstance(route.original_route, APIRoute)
    ]


def derived_statuses(route: RouteContext) -> set[int]:
    """The error statuses that follow from the route's dependencies, path and body."""
    calls = set(_calls(route.dependant))
    statuses: set[int] = set()
    if current_agent in calls:
        statuses.add(401)
    if require_admin in calls:
        statuses.add(403)
    if route.dependant.path_params:
        statuses.add(404)
    if (route.methods or set()) & {"POST", "PUT", "PATCH"}:
        statuses.add(413)
    if route.dependant.body_params:
        statuses.add(400)
    if _has_input(route.dependant):
        statuses.add(422)
    return statuses


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[status],
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}
        },
    }


def documented_routes(app: FastAPI, routers: Sequence[APIRouter]) -> list[RouteContext]:
    """``app``'s routes with those of ``routers`` in that order (others first, as they are).

    The app may include its routers in another order for matching (see ``create_app``); the
    document keeps the documented one."""
    rank = {id(route): i for i, router in enumerate(routers) for route in router.routes}
    routes = list(iter_route_contexts(app.routes))
    return sorted(routes, key=lambda route: rank.get(id(route.original_route), -1))


def build_openapi(app: FastAPI, routes: Sequence[RouteContext]) -> dict[str, Any]:
    """The OpenAPI document of ``routes`` (in that order), every error answer declared."""
    document = get_openapi(
        title=app.title, version=app.version, openapi_version=app.openapi_version, routes=routes
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_SCHEMA_NAME] = ErrorBody.model_json_schema()
    for route in routes:
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        declared = {int(s) for s in route.responses if str(s).isdigit() and int(s) >= 400}
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            for status in sorted(derived_statuses(route) | declared):
                operation["responses"][str(status)] = _error_response(status)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def declare_error_responses(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Make ``app.openapi()`` declare every route's error answers with ``ErrorBody``, listing
    the routes of ``routers`` in that order."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, documented_routes(app, routers))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
