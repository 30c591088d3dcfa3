"""The set-up log: one row per change to users, teams, skills, categories, rules and policies."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..actors import Actor
from ..extensions import db
from .models import SetupLogEntry


def record(actor: Actor, action: str, subject: str, now: datetime, **details: Any) -> None:
    db.session.add(SetupLogEntry(actor_user_id=actor.user_id, actor_name=actor.name, action=action,
                                 subject=subject[:200], details=details, created_at=now))


def recent(limit: int = 200) -> list[SetupLogEntry]:
    return list(db.session.scalars(select(SetupLogEntry).order_by(SetupLogEntry.id.desc()).limit(limit)))
