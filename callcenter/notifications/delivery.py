"""Sending one email or SMS: the outside world. Tests use a real SMTP or HTTP server on loopback,
or replace `send` with a recorder.

The "log" backends (development) print each message on the console instead: under `make run`
the worker's console is the customer's mailbox, link included. They print rather than log so
that the log redaction (log_redaction.py), which is right for log lines, leaves the link usable.
"""
from __future__ import annotations

import json
import re
import smtplib
import sys
import urllib.request
from email.message import EmailMessage

_RULE = "-" * 72
# A customer's subject is printed inside the body: no control sequence reaches the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", text)


def print_message(kind: str, headers: dict[str, str], body: str) -> None:
    """One message as a framed block on stdout, flushed at once (the worker's stdout is a pipe
    under `make run`)."""
    lines = [f"--- {kind} ({kind.upper()}_BACKEND=log: printed here, not sent) ".ljust(len(_RULE), "-")]
    lines += [f"{name + ':':<9}{_printable(value)}" for name, value in headers.items()]
    lines += ["", _printable(body).rstrip("\n"), _RULE]
    print("\n".join(lines), file=sys.stdout, flush=True)


def masked_phone(phone: str) -> str:
    """The console shows whose phone it was only by its first digits (docs/PRIVACY.md)."""
    return phone[:3] + "…"


def send(config, recipient: str, subject: str, body: str) -> None:
    if config["MAIL_BACKEND"] == "log":
        print_message("mail", {"To": recipient, "Subject": subject}, body)
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
    (the shape most SMS relays take); "log" (the default) prints it, the number masked."""
    if config["SMS_BACKEND"] == "log":
        print_message("sms", {"To": masked_phone(recipient)}, body)
        return
    request = urllib.request.Request(config["SMS_HTTP_URL"], data=json.dumps({"to": recipient, "body": body}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (an operator-set URL)
        if response.status >= 300:
            raise RuntimeError(f"SMS gateway answered {response.status}")
