"""RQ jobs for customer messages: thin, taking ids; the actions do the work."""
from __future__ import annotations

import logging

from ..actions import notifications
from ..jobs import app_job

log = logging.getLogger(__name__)


@app_job
def deliver(message_id: int) -> str:
    return notifications.deliver(message_id)


@app_job
def resend_unsent(older_than_seconds: int = 30) -> int:
    queued = notifications.resend_unsent(older_than_seconds)
    if queued:  # a routine sweep says nothing
        log.info("resending %d message(s) whose delivery job was lost", queued)
    return queued
