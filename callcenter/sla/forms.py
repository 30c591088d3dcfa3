from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..tickets.lifecycle import STATUSES


def _minutes(label, required=False):
    checks = [DataRequired(_l("Give a target."))] if required else [Optional()]
    return IntegerField(label, validators=[*checks, NumberRange(1, 525_600)])


class PolicyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the policy a name.")), Length(max=120)])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    priority = SelectField(_l("Priority"), validators=[Optional()])
    tier = SelectField(_l("Customer tier"), validators=[Optional()])
    category = StringField(_l("Categories (codes, comma-separated)"), validators=[Optional(), Length(max=300)])
    calendar = SelectField(_l("Calendar"))
    first_response = _minutes(_l("First response (minutes)"), required=True)
    next_response = _minutes(_l("Next response (minutes)"))
    resolution = _minutes(_l("Resolution (minutes)"), required=True)
    final_response = _minutes(_l("Final response to complaints (minutes)"))
    warn_at = StringField(_l("Warn at (percent, comma-separated)"), default="75,90", validators=[Length(max=40)])
    pause_statuses = StringField(_l("Pause in statuses (comma-separated)"), default="pending_customer",
                                 validators=[Length(max=200)])
    position = IntegerField(_l("Position (lower is checked first)"), default=100, validators=[NumberRange(0, 100_000)])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, calendars=(), **kwargs):
        super().__init__(*args, **kwargs)
        any_ = ("", _l("Any"))
        self.kind.choices = [any_, ("complaint", _l("Complaint")), ("service_request", _l("Service request")),
                             ("inquiry", _l("Inquiry"))]
        self.priority.choices = [any_] + [(p, p) for p in ("P1", "P2", "P3", "P4")]
        self.tier.choices = [any_] + [(t, t) for t in ("VIP", "A", "B", "C")]
        self.calendar.choices = [("24x7", "24x7")] + [(c, c) for c in calendars]

    def validate_warn_at(self, field):
        try:
            values = [int(v) for v in _csv(field.data)]
        except ValueError:
            raise ValidationError(_l("Percentages, e.g. 75,90.")) from None
        if any(not 1 <= v <= 99 for v in values):
            raise ValidationError(_l("Percentages, e.g. 75,90."))

    def validate_pause_statuses(self, field):
        if any(s not in STATUSES for s in _csv(field.data)):
            raise ValidationError(_l("Unknown status."))

    def policy_data(self) -> dict:
        match = {k: getattr(self, k).data for k in ("kind", "priority", "tier") if getattr(self, k).data}
        if _csv(self.category.data):
            match["category"] = _csv(self.category.data)
        targets = {f"{k}_seconds": getattr(self, k).data * 60
                   for k in ("first_response", "next_response", "resolution", "final_response") if getattr(self, k).data}
        return {"name": self.name.data.strip(), "match": match, "calendar": self.calendar.data, "targets": targets,
                "warn_at": [int(v) / 100 for v in _csv(self.warn_at.data)],
                "pause_statuses": _csv(self.pause_statuses.data), "position": self.position.data,
                "active": self.active.data}

    def fill_from(self, policy) -> None:
        match = policy.match or {}
        self.name.data, self.calendar.data, self.position.data, self.active.data = (
            policy.name, policy.calendar, policy.position, policy.active)
        for key in ("kind", "priority", "tier"):
            value = match.get(key)
            getattr(self, key).data = value[0] if isinstance(value, list) else value
        category = match.get("category") or []
        self.category.data = ", ".join(category if isinstance(category, list) else [category])
        for key in ("first_response", "next_response", "resolution", "final_response"):
            seconds = (policy.targets or {}).get(f"{key}_seconds")
            getattr(self, key).data = seconds // 60 if seconds else None
        self.warn_at.data = ",".join(str(round(v * 100)) for v in policy.warn_at or [])
        self.pause_statuses.data = ",".join(policy.pause_statuses or [])


def _csv(text):
    return [v.strip() for v in (text or "").split(",") if v.strip()]
