import redis

from callcenter.extensions import db


def test_healthz_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok", "db": "ok", "redis": "ok"}


def test_healthz_names_a_failing_redis(app, client):
    good = app.extensions["callcenter.redis"]
    app.extensions["callcenter.redis"] = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        r = client.get("/healthz")
    finally:
        app.extensions["callcenter.redis"] = good
    assert r.status_code == 503
    assert r.json["redis"].startswith("error") and r.json["db"] == "ok" and r.json["failing"] == ["redis"]


def test_healthz_names_a_failing_database(app, client):
    with app.app_context():
        engine = db.engine
        original = engine.pool
        from sqlalchemy.pool import NullPool

        engine.pool = NullPool(lambda: (_ for _ in ()).throw(OSError("db down")))
        try:
            r = client.get("/healthz")
        finally:
            engine.pool = original
    assert r.status_code == 503 and r.json["db"].startswith("error") and r.json["failing"] == ["db"]


CONTRACT_PATHS = {
    "/api/v1/tickets": {"get", "post"},
    "/api/v1/tickets/{ticket_id}": {"get"},
    "/api/v1/tickets/{ticket_id}/transitions": {"post"},
    "/api/v1/tickets/{ticket_id}/messages": {"post"},
    "/api/v1/tickets/{ticket_id}/assign": {"post"},
    "/api/v1/tickets/{ticket_id}/events": {"get"},
    "/api/v1/agents": {"get"},
    "/api/v1/agents/{agent_id}/presence": {"put"},
}


def test_openapi_document_lists_every_endpoint(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json
    assert doc["openapi"].startswith("3.")
    for path, methods in CONTRACT_PATHS.items():
        assert path in doc["paths"], path
        assert methods <= set(doc["paths"][path]), (path, doc["paths"][path].keys())
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    create = doc["paths"]["/api/v1/tickets"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "TicketCreate" in doc["components"]["schemas"]
