import re
from datetime import date
from zoneinfo import available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms_base import Form
from ..forms_common import kind_choices
from ..tickets.labels import staff_status, tier
from ..tickets.lifecycle import STATUSES
from .calendar import overlaps, parse_hours


def _minutes(label, required=False):
    checks = [DataRequired(_l("Give a target."))] if required else [Optional()]
    return IntegerField(label, validators=[*checks, NumberRange(1, 525_600)])


class Checkboxes(SelectMultipleField):
    """One box per choice; an empty value sent by a script means none ticked."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        super().process_formdata([v for v in valuelist if v])


class PolicyForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the policy a name.")), Length(max=120)])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    priority = SelectField(_l("Priority"), validators=[Optional()])
    tier = SelectField(_l("Customer tier"), validators=[Optional()])
    channel = SelectField(_l("Channel"), validators=[Optional()])
    category = StringField(_l("Categories (codes, comma-separated)"), validators=[Optional(), Length(max=300)])
    calendar = SelectField(_l("Calendar"))
    first_response = _minutes(_l("First response (minutes)"), required=True)
    next_response = _minutes(_l("Next response (minutes)"))
    resolution = _minutes(_l("Resolution (minutes)"), required=True)
    final_response = _minutes(_l("Final response to complaints (minutes)"))
    warn_at = StringField(_l("Warn at (percent, comma-separated)"), default="75,90", validators=[Length(max=40)])
    pause_statuses = Checkboxes(_l("Pause the clocks while the ticket is"), default=["pending_customer"])
    position = IntegerField(_l("Position (lower is checked first)"), default=100, validators=[NumberRange(0, 100_000)])
    active = BooleanField(_l("Active"), default=True)
    # The escalation chain after a breach (level 1 is the breach: the assignee is told).
    level2_after = IntegerField(_l("Level 2: business minutes after the breach"), default=30,
                                validators=[Optional(), NumberRange(0, 43_200)])
    level2_raise = BooleanField(_l("Level 2 raises the priority one step"), default=True)
    level3_after = IntegerField(_l("Level 3: business minutes after the breach"), default=60,
                                validators=[Optional(), NumberRange(0, 43_200)])
    # Stored as the API stores it (supervisor, user:EMAIL, team:NAME); the action checks the target exists.
    level3_to = SelectField(_l("Level 3 hands the ticket to"), default="supervisor", validate_choice=False, validators=[
        Optional(), Length(max=200),
        Regexp(r"^(supervisor|user:\S+@\S+|team:.+)$", message=_l("Pick the supervisors, a person or a team."))])

    def __init__(self, *args, calendars=(), people=(), teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pause_statuses.choices = [(s, staff_status(s)) for s in STATUSES]
        self.level3_to.choices = {
            _("Supervisors"): [("supervisor", _("The supervisors"))],
            _("A person"): [(f"user:{email}", f"{name} · {email}") for email, name in people],
            _("A team"): [(f"team:{name}", name) for name in teams]}
        self._offer_target(self.level3_to.data)
        any_ = ("", _l("Any"))
        self.kind.choices = [any_, *kind_choices()]
        self.priority.choices = [any_] + [(p, p) for p in ("P1", "P2", "P3", "P4")]
        self.tier.choices = [any_] + [(t, tier(t)) for t in ("VIP", "A", "B", "C")]
        self.channel.choices = [any_, ("web", _l("Web form")), ("phone", _l("Phone")), ("email", _l("Email")),
                                ("api", "API")]
        self.calendar.choices = [("24x7", "24x7")] + [(c, c) for c in calendars]

    def validate_warn_at(self, field):
        try:
            values = [int(v) for v in _csv(field.data)]
        except ValueError:
            raise ValidationError(_l("Percentages, e.g. 75,90.")) from None
        if any(not 1 <= v <= 99 for v in values):
            raise ValidationError(_l("Percentages, e.g. 75,90."))

    def validate_level3_after(self, field):
        if field.data is not None and self.level2_after.data is not None and field.data < self.level2_after.data:
            raise ValidationError(_l("Level 3 comes after level 2."))

    def _offer_target(self, value: str | None) -> None:
        """A target saved through the API or sent back that the pickers do not list (a colleague
        since deactivated) stays selectable, so saving the page keeps it or the action names it."""
        listed = {v for group in self.level3_to.choices.values() for v, _label in group}
        if value and value not in listed:
            self.level3_to.choices[_("Other")] = [(value, value)]

    def policy_data(self) -> dict:
        match = {k: getattr(self, k).data for k in ("kind", "priority", "tier", "channel") if getattr(self, k).data}
        if _csv(self.category.data):
            match["category"] = _csv(self.category.data)
        targets = {f"{k}_seconds": getattr(self, k).data * 60
                   for k in ("first_response", "next_response", "resolution", "final_response") if getattr(self, k).data}
        return {"name": self.name.data.strip(), "match": match, "calendar": self.calendar.data, "targets": targets,
                "warn_at": [int(v) / 100 for v in _csv(self.warn_at.data)],
                "pause_statuses": list(self.pause_statuses.data or []), "position": self.position.data,
                "active": self.active.data, "escalation": self._escalation()}

    def _escalation(self) -> list[dict]:
        steps = []
        if self.level2_after.data is not None:
            steps.append({"level": 2, "after_seconds": self.level2_after.data * 60,
                          "raise_priority": bool(self.level2_raise.data)})
        if self.level3_after.data is not None:
            steps.append({"level": 3, "after_seconds": self.level3_after.data * 60,
                          "reassign_to": (self.level3_to.data or "").strip() or "supervisor"})
        return steps

    def fill_from(self, policy) -> None:
        match = policy.match or {}
        self.name.data, self.calendar.data, self.position.data, self.active.data = (
            policy.name, policy.calendar, policy.position, policy.active)
        for key in ("kind", "priority", "tier", "channel"):
            value = match.get(key)
            getattr(self, key).data = value[0] if isinstance(value, list) else value
        category = match.get("category") or []
        self.category.data = ", ".join(category if isinstance(category, list) else [category])
        for key in ("first_response", "next_response", "resolution", "final_response"):
            seconds = (policy.targets or {}).get(f"{key}_seconds")
            getattr(self, key).data = seconds // 60 if seconds else None
        self.warn_at.data = ",".join(str(round(v * 100)) for v in policy.warn_at or [])
        self.pause_statuses.data = list(policy.pause_statuses or [])
        steps = {step["level"]: step for step in policy.escalation or []}
        level2, level3 = steps.get(2), steps.get(3)
        self.level2_after.data = level2["after_seconds"] // 60 if level2 else None
        self.level2_raise.data = bool(level2 and level2.get("raise_priority"))
        self.level3_after.data = level3["after_seconds"] // 60 if level3 else None
        self.level3_to.data = (level3 or {}).get("reassign_to", "")
        self._offer_target(self.level3_to.data)


def _csv(text):
    return [v.strip() for v in (text or "").split(",") if v.strip()]


WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday"))
HOURS_HINT = _l("Hours like 09:00-12:00,13:00-18:00, or 22:00-06:00 past midnight; empty when closed.")


def _hours_field(label):
    return StringField(label, validators=[Optional(), Length(max=200)], render_kw={"placeholder": _l("closed")})


class CalendarForm(Form):
    """A business calendar: opening hours per weekday, a country's holidays, dates of our own."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the calendar a name.")), Length(max=80)])
    tz = SelectField(_l("Time zone"), default="Asia/Shanghai")
    country = SelectField(_l("Public holidays of"), validators=[Optional()])
    day_0, day_1, day_2, day_3, day_4, day_5, day_6 = (_hours_field(label) for label in WEEKDAYS)
    extra_closed = TextAreaField(_l("Also closed on (dates, one per line)"), validators=[Length(max=4000)],
                                 render_kw={"placeholder": "2026-12-31"})
    extra_open = TextAreaField(_l("Also open on (a date and its hours per line)"), validators=[Length(max=4000)],
                               render_kw={"placeholder": "2026-12-26 09:00-12:00"})

    def __init__(self, *args, countries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tz.choices = sorted(available_timezones())
        self.country.choices = [("", _l("None"))] + list(countries)

    def days(self):
        return [getattr(self, f"day_{d}") for d in range(7)]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        week = {}
        for number, field in enumerate(self.days()):
            try:
                week[number] = parse_hours(field.data or "")
            except ValueError:
                field.errors.append(HOURS_HINT)
                ok = False
        if len(week) == 7 and not any(week.values()):
            self.day_0.errors.append(_l("Open at least one day."))
            ok = False
        for problem in overlaps(week):  # the days that parsed: every mistake shows at once
            day = int(problem.split(":")[0].split()[-1])
            self.days()[day].errors.append(_l("These hours overlap each other or the next day's."))
            ok = False
        return ok

    def validate_extra_closed(self, field):
        try:
            _dates(field.data)
        except ValueError:
            raise ValidationError(_l("Dates like 2026-10-01, one per line.")) from None

    def validate_extra_open(self, field):
        try:
            _open_days(field.data)
        except ValueError:
            raise ValidationError(_l("A date and its hours per line, like 2026-12-26 09:00-12:00.")) from None

    def calendar_data(self) -> dict:
        """The API's CalendarIn shape, so both paths go through one schema."""
        return {"name": self.name.data.strip(), "tz": self.tz.data, "country": self.country.data or None,
                "weekly": {str(d): f.data.strip() for d, f in enumerate(self.days()) if (f.data or "").strip()},
                "extra_closed": [d.isoformat() for d in _dates(self.extra_closed.data)],
                "extra_open": {d.isoformat(): h for d, h in _open_days(self.extra_open.data).items()}}

    def fill_from(self, row) -> None:
        self.name.data, self.tz.data, self.country.data = row.name, row.tz, row.country or ""
        for day, field in enumerate(self.days()):
            field.data = (row.weekly or {}).get(str(day), "")
        self.extra_closed.data = "\n".join(row.extra_closed or [])
        self.extra_open.data = "\n".join(f"{d} {h}" for d, h in sorted((row.extra_open or {}).items()))


def _dates(text) -> list[date]:
    return [date.fromisoformat(part) for part in re.split(r"[\s,;]+", text or "") if part]


def _open_days(text) -> dict[date, str]:
    out = {}
    for line in filter(None, (line.strip() for line in (text or "").splitlines())):
        day, _sep, hours = line.partition(" ")
        if not hours.strip() or not parse_hours(hours.strip()):
            raise ValueError(line)
        out[date.fromisoformat(day)] = hours.strip().replace(" ", "")
    return out
