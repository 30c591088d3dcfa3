"""GET /healthz: is the database and Redis reachable?"""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from .extensions import db, limiter, redis_client

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    body = {"status": "ok", "db": "ok", "redis": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # report, never raise: this is what load balancers poll
        body["db"] = f"error: {type(exc).__name__}"
    finally:
        db.session.rollback()
    try:
        redis_client().ping()
    except Exception as exc:
        body["redis"] = f"error: {type(exc).__name__}"
    failing = [part for part in ("db", "redis") if body[part] != "ok"]
    if failing:
        body["status"] = "unavailable"
        body["failing"] = failing
        return jsonify(body), 503
    return jsonify(body), 200
