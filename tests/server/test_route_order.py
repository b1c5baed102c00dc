"""The hot routers tried first: the same route answers every path, the same document.

``create_app`` includes ``MATCHED_FIRST`` (health, channels, conversations) before the other
routers so that the customer ingress and the agent's reply do not try every other route first.
Starlette takes the first route that matches path and method (else the first that matches the
path, for its 405), so the order could change an answer where two routers' patterns overlap (a
``/x/{id}`` taking a literal ``/x/export`` of another router). These tests match thousands of
concrete paths and methods, made from every route's own pattern and every literal segment of
the API, in an app built in ``ROUTERS`` order and in the default one: the same route (and the
same path parameters) every time. The OpenAPI document is byte for byte the one of the app in
``ROUTERS`` order, built from its routes as they are.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import RouteContext, iter_route_contexts
from starlette.routing import BaseRoute, Match

from convos_server.api.deps import current_agent, get_bus, get_db, get_live
from convos_server.api.responses import api_routes, build_openapi
from convos_server.app import MATCHED_FIRST, create_app
from convos_server.config import Settings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ODD_VALUES = ("1", "0", "42", "-1", "007", "99999999999999999999", "x", "a b", "😀", "%2F", "")
PARAM = re.compile(r"{[^}]+}")
PAIRS_PER_ROUTE = 120


@pytest.fixture
def apps(settings: Settings) -> tuple[FastAPI, FastAPI]:
    """(routers in ``ROUTERS`` order, routers in the default matching order)."""
    return create_app(settings, matched_first=()), create_app(settings)


def _serialised(document: dict[str, Any]) -> bytes:
    # As FastAPI's JSONResponse serves /openapi.json.
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def test_the_hot_routers_are_tried_first(apps: tuple[FastAPI, FastAPI]) -> None:
    documented, reordered = apps
    first = [route.path_format for route in iter_route_contexts(reordered.routes)][3:6]
    assert first == [
        "/api/v1/health",
        "/api/v1/channels/{inbox_id}/messages",
        "/api/v1/channels/{inbox_id}/outbound",
    ]
    assert MATCHED_FIRST
    assert _paths(documented) != _paths(reordered)


def _paths(app: FastAPI) -> list[str | None]:
    return [route.path_format for route in iter_route_contexts(app.routes)]


def test_openapi_is_byte_identical_to_the_routers_order(apps: tuple[FastAPI, FastAPI]) -> None:
    documented, reordered = apps
    as_included = build_openapi(documented, list(iter_route_contexts(documented.routes)))
    expected = _serialised(as_included)
    assert _serialised(reordered.openapi()) == expected
    assert _serialised(documented.openapi()) == expected
    # The reordered app's routes taken as they are would list the hot routes first.
    unsorted = build_openapi(reordered, list(iter_route_contexts(reordered.routes)))
    assert _serialised(unsorted) != expected


def _literals(routes: Sequence[RouteContext]) -> set[str]:
    return {
        segment
        for route in routes
        for segment in (route.path_format or "").split("/")
        if segment and not PARAM.fullmatch(segment)
    }


def _fill(path_format: str, values: Sequence[str]) -> str:
    parts = iter(values)
    return PARAM.sub(lambda _: next(parts), path_format)


def _concrete_paths(routes: Sequence[RouteContext], seed: int = 14) -> Iterator[str]:
    """Paths made from every route's pattern with literal and odd values, and near misses."""
    rng = random.Random(seed)
    values = sorted(_literals(routes)) + list(ODD_VALUES)
    for route in routes:
        path_format = route.path_format or "/"
        slots = len(PARAM.findall(path_format))
        combos = list(itertools.product(values, repeat=slots))
        if len(combos) > PAIRS_PER_ROUTE:
            combos = rng.sample(combos, PAIRS_PER_ROUTE)
        for combo in combos:
            path = _fill(path_format, combo)
            yield path
            yield path + "/"
            yield path + "/" + rng.choice(values)
            yield path.rsplit("/", 1)[0] or "/"


def _scope(path: str, method: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "path_params": {}}


Matcher = Callable[[dict[str, Any]], tuple[Match, dict[str, Any]]]


Choice = tuple[Match, int, dict[str, Any]]


def _chosen(matchers: Sequence[Matcher], scope: dict[str, Any]) -> Choice:
    """Starlette's choice: the first full match, else the first partial (its 405)."""
    partial: Choice | None = None
    for index, matches in enumerate(matchers):
        match, child = matches(dict(scope))
        if match == Match.FULL:
            return match, index, child.get("path_params", {})
        if match == Match.PARTIAL and partial is None:
            partial = (match, index, child.get("path_params", {}))
    return partial or (Match.NONE, -1, {})


def _route_key(routes: Sequence[RouteContext], index: int) -> object:
    """The routers' routes are shared by both apps; /openapi.json and /docs are per app."""
    if index < 0:
        return None
    route = routes[index]
    methods = frozenset(route.methods or ())
    return (route.path_format, methods, route.name, route.endpoint.__qualname__)


def _top_level_owner(app: FastAPI) -> dict[int, BaseRoute]:
    """Which of ``app.routes`` (an included router or a plain route) holds each route."""
    return {
        id(context.original_route): top
        for top in app.routes
        for context in iter_route_contexts([top])
    }


def test_every_path_matches_the_same_route(apps: tuple[FastAPI, FastAPI]) -> None:
    documented, reordered = apps
    before = list(iter_route_contexts(documented.routes))
    after = list(iter_route_contexts(reordered.routes))
    owners = _top_level_owner(reordered)
    matchers_before = [route.matches for route in before]
    matchers_after = [route.matches for route in after]
    matchers_top = [route.matches for route in reordered.routes]
    paths = sorted(set(_concrete_paths(before)))
    assert len(paths) > 5_000, len(paths)
    seen: dict[Match, set[object]] = {Match.FULL: set(), Match.PARTIAL: set(), Match.NONE: set()}
    for path in paths:
        for method in METHODS:
            scope = _scope(path, method)
            kind_before, index_before, params_before = _chosen(matchers_before, scope)
            kind_after, index_after, params_after = _chosen(matchers_after, scope)
            route = _route_key(after, index_after)
            assert (kind_after, route, params_after) == (
                kind_before,
                _route_key(before, index_before),
                params_before,
            ), (method, path)
            # The app's own first pass over its routers picks the router holding that route.
            kind_top, index_top, _ = _chosen(matchers_top, scope)
            assert kind_top == kind_after, (method, path)
            if index_after >= 0:
                owner = owners[id(after[index_after].original_route)]
                assert reordered.routes[index_top] is owner, (method, path)
            seen[kind_after].add(route)
    every_route = {_route_key(after, index) for index in range(len(after))}
    assert seen[Match.FULL] == every_route
    assert seen[Match.PARTIAL]
    assert seen[Match.NONE]


def _solved(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _solved(dependency)


def test_the_hot_routes_solve_only_the_caller(apps: tuple[FastAPI, FastAPI]) -> None:
    """The ingress and the reply take the database, bus and live state from ``app.state``:
    FastAPI solves no dependency for the ingress, and only the token's for the reply."""
    _documented, reordered = apps
    solved = {
        (route.path_format, method): set(_solved(route.dependant))
        for route in api_routes(reordered)
        for method in route.methods or ()
    }
    assert solved[("/api/v1/channels/{inbox_id}/messages", "POST")] == set()
    reply = solved[("/api/v1/conversations/{conversation_id}/messages", "POST")]
    assert current_agent in reply
    assert not reply & {get_db, get_bus, get_live}
