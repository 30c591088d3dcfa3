"""Sending one email. The outside world: tests replace `send` with a recorder."""
from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

log = logging.getLogger(__name__)


def send(config, recipient: str, subject: str, body: str) -> None:
    if config["MAIL_BACKEND"] == "log":
        log.info("mail to %s: %s", recipient, subject)
        return
    msg = EmailMessage()
    msg["From"] = config["MAIL_FROM"]
    msg["To"] = recipient
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        smtp.send_message(msg)
