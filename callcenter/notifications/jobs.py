"""RQ jobs for customer messages: thin, taking ids; the actions do the work."""
from __future__ import annotations

from ..actions import notifications
from ..jobs import app_job


@app_job
def deliver(message_id: int) -> str:
    return notifications.deliver(message_id)


@app_job
def resend_unsent(older_than_seconds: int = 30) -> int:
    return notifications.resend_unsent(older_than_seconds)
