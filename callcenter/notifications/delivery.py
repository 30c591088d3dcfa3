"""Sending one email or SMS: the outside world. Tests use a real SMTP or HTTP server on loopback,
or replace `send` with a recorder."""
from __future__ import annotations

import json
import logging
import smtplib
import urllib.request
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


def send_sms(config, recipient: str, body: str) -> None:
    """An SMS through the gateway: SMS_BACKEND=http posts {"to", "body"} as JSON to SMS_HTTP_URL
    (the shape most SMS relays take); "log" (the default) only logs that one was sent."""
    if config["SMS_BACKEND"] == "log":
        log.info("sms to %s (%d characters)", recipient[:3] + "…", len(body))
        return
    request = urllib.request.Request(config["SMS_HTTP_URL"], data=json.dumps({"to": recipient, "body": body}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (an operator-set URL)
        if response.status >= 300:
            raise RuntimeError(f"SMS gateway answered {response.status}")
