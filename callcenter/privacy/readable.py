"""The export as a file a person can read: one HTML page, in the reader's language."""
from __future__ import annotations

from flask import render_template

from ..tickets.labels import describe_event, staff_status


class _Event:
    """describe_event reads attributes; the export holds plain dicts."""

    def __init__(self, row: dict):
        self.kind, self.data, self.field = row["kind"], row["data"] or {}, row["field"]
        self.before, self.after = row["before"], row["after"]


def render_export(data: dict) -> str:
    return render_template("privacy/export.html", data=data, status_label=staff_status,
                           describe=lambda row: describe_event(_Event(row)))
