"""Callcenter: a contact-centre complaint and service-request desk.

The package itself imports nothing, so the pure modules (routing.engine, sla.calendar,
sla.clock, kpi.formulas, tickets.lifecycle ...) load without Flask or SQLAlchemy.
The application is built by callcenter.app.create_app.
"""
from __future__ import annotations


def create_app(config_name: str | None = None, overrides: dict | None = None):
    from .app import create_app as build

    return build(config_name, overrides)
