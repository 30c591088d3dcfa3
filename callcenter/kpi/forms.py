"""The report-subscription form (the subscriptions page)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from ..forms_base import Form


class SubscriptionForm(Form):
    frequency = SelectField(_l("How often"), choices=[("daily", _l("Every day (yesterday's figures)")),
                                                      ("weekly", _l("Every Monday (last week's figures)"))])
    team = SelectField(_l("Team"), validate_choice=True)

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.team.choices = [("", _l("All teams"))] + [(str(t.id), t.name) for t in teams]


class StopForm(Form):
    """Only its CSRF token."""
