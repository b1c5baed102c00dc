"""The OpenAPI document is valid JSON and lists the routes of the protocol."""

from __future__ import annotations

import json


async def test_openapi_lists_the_routes(client):
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.text)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ["/api/v1/health", "/api/v1/auth/login", "/api/v1/auth/logout", "/api/v1/me"]:
        assert path in paths, path
    assert "post" in paths["/api/v1/auth/login"]
