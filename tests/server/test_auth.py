"""Login, bad credentials, logout revoking the token, ``/me`` and the error shapes."""

from __future__ import annotations


async def test_login_returns_a_token_that_authenticates(ws):
    response = await ws.http.post(
        "/api/v1/auth/login",
        json={"email": "ADMIN@convos.test", "password": "admin", "device": "laptop"},
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body["token"]) >= 40
    assert body["agent"]["email"] == "admin@convos.test"
    assert body["agent"]["role"] == "admin"
    me = await ws.http.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == body["agent"]["id"]


async def test_bad_password_and_unknown_email_are_bad_credentials(ws):
    for email, password in [("admin@convos.test", "nope"), ("ghost@convos.test", "admin")]:
        response = await ws.http.post(
            "/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "bad_credentials"


async def test_logout_revokes_only_the_token_used(ws):
    second = await ws.http.post(
        "/api/v1/auth/login", json={"email": "admin@convos.test", "password": "admin"}
    )
    other_token = second.json()["token"]
    response = await ws.http.post("/api/v1/auth/logout", headers=ws.auth(ws.admin_id))
    assert response.status_code == 204
    revoked = await ws.http.get("/api/v1/me", headers=ws.auth(ws.admin_id))
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "unauthorized"
    still = await ws.http.get("/api/v1/me", headers={"Authorization": f"Bearer {other_token}"})
    assert still.status_code == 200


async def test_missing_and_garbage_tokens_are_unauthorized(client):
    for headers in [{}, {"Authorization": "Bearer garbage"}, {"Authorization": "Basic eA=="}]:
        response = await client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"


async def test_malformed_login_is_invalid_with_the_field(client):
    response = await client.post("/api/v1/auth/login", json={"email": "a@b.c"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert response.json()["field"] == "password"


async def test_unknown_route_is_not_found_json(client):
    response = await client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_health_answers_without_auth(client):
    response = await client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["server_time"].endswith("Z")


async def test_health_names_the_database_and_gives_its_connection_back(client, app):
    for _ in range(3):
        response = await client.get("/api/v1/health")
        assert response.json()["database"] == "sqlite"
    assert app.state.db.engine.pool.checkedout() == 0
