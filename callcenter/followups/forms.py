"""The staff pages' follow-up forms: a try at reaching the customer, a callback booked from a
ticket, a customer's do-not-call hours, and the follow-up policy (whose values the API's
schema checks: the page turns hours and percentages into what it stores, and its messages
into words under each field)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import validate
from werkzeug.datastructures import MultiDict
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional, ValidationError

from ..forms_base import Form
from ..forms_common import LazyLabel, check_phone
from ..tickets.labels import KINDS
from . import desk_words
from .models import Outcome
from .schemas import PolicySchema, RevisitRule
from .windows import asap_of, chosen, option_value

OUTCOMES = [o.value for o in Outcome]
YES_NO = {"yes": True, "no": False}
SCORES = [str(n) for n in range(1, 6)]


def _yes_no(value: str | None) -> bool | None:
    return YES_NO.get(value or "")


# ---------------------------------------------------------------- a try

class AttemptForm(Form):
    outcome = RadioField(_l("How did the call go?"), validate_choice=False, validators=[
        InputRequired(_l("Choose how the call went.")), AnyOf(OUTCOMES, _l("Choose how the call went."))])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    # A revisit that reached the customer: their answers.
    solved = RadioField(_l("Is the problem solved?"), validate_choice=False,
                        validators=[Optional(), AnyOf(list(YES_NO), _l("Answer yes or no."))])
    score = RadioField(_l("Satisfaction, 1 (very unhappy) to 5 (very happy)"), validate_choice=False,
                       validators=[Optional(), AnyOf(SCORES, _l("A score from 1 to 5."))])
    comment = TextAreaField(_l("The customer's comment"), validators=[Optional(), Length(max=2000)])
    may_contact_again = RadioField(_l("May we contact you again?"), validate_choice=False,
                                   validators=[Optional(), AnyOf(list(YES_NO), _l("Answer yes or no."))])

    def __init__(self, *args, revisit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.revisit = revisit
        self.outcome.choices = [(code, LazyLabel(desk_words.outcome, code)) for code in OUTCOMES]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.revisit and self.outcome.data == "reached":
            # These two decide whether a service recovery starts: asked on every reached revisit.
            if not self.solved.data:
                self.solved.errors = [*self.solved.errors, _l("Ask whether the problem is solved.")]
                ok = False
            if not self.score.data:
                self.score.errors = [*self.score.errors, _l("Ask for a score from 1 to 5.")]
                ok = False
        return ok

    def answers(self) -> dict[str, Any] | None:
        """A reached revisit's answers; none otherwise (the other outcomes carry none)."""
        if not (self.revisit and self.outcome.data == "reached"):
            return None
        return {"solved": _yes_no(self.solved.data), "score": int(self.score.data),
                "comment": (self.comment.data or "").strip() or None,
                "may_contact_again": _yes_no(self.may_contact_again.data)}

    def typed(self) -> list[str]:
        """What the agent wrote, to show again when the try could not be recorded."""
        return [text.strip() for text in (self.note.data, self.comment.data) if text and text.strip()]


# ---------------------------------------------------------------- a callback from a ticket

class CallbackForm(Form):
    # The offered windows; one sent back after it began is the action's to refuse, in its words.
    slot = SelectField(_l("When to call"), validate_choice=False,
                       validators=[InputRequired(_l("Choose when to call."))])
    phone = StringField(_l("Number to call"), validators=[
        InputRequired(_l("Give the number to call.")), Length(max=40), check_phone])
    note = StringField(_l("Note for whoever calls"), validators=[Optional(), Length(max=500)])

    def offer(self, slots: list[tuple[datetime, datetime]], now: datetime) -> None:
        self._asap = asap_of(slots, now)
        self.slot.choices = [(option_value((a, b), self._asap),
                              desk_words.asap(b) if (a, b) == self._asap else desk_words.window(a, b)) for a, b in slots]

    def validate_slot(self, field) -> None:
        if chosen(field.data, self._asap) is None:
            raise ValidationError(_l("Choose one of the offered times."))

    def callback_data(self, ticket_id: int, language: str | None) -> dict[str, Any]:
        start, end = chosen(self.slot.data, self._asap)
        return {"ticket_id": ticket_id, "phone": self.phone.data.strip(), "window_start": start,
                "window_end": end, "note": (self.note.data or "").strip() or None, "language": language}


# ---------------------------------------------------------------- do-not-call hours

class DoNotCallForm(Form):
    do_not_call = StringField(_l("Do not call between (e.g. 21:00-09:00; several separated by commas)"),
                              validators=[Optional(), Length(max=60)])


# ---------------------------------------------------------------- the policy

def _bounds(field) -> tuple[float, float]:
    found = next(v for v in field.validators if isinstance(v, (validate.Range, validate.Length)))
    return found.min, found.max


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _scaled(text: str | None, factor: float) -> Any:
    """A number people type in hours or percent, in the unit stored; text that is no number as
    typed, for the schema to refuse under its field."""
    try:
        return round(float((text or "").strip()) * factor, 6 if factor < 1 else None)
    except (ValueError, OverflowError):  # not a number, or NaN or infinity
        return text


# Sent as typed: the schema reads them as whole numbers, or names the field it cannot.
WHOLE_NUMBERS = ("max_attempts", "slot_minutes", "warn_before_seconds", "survey_expiry_days", "survey_reminder_days",
                 "survey_per_customer_days", "auto_close_days")
MATCH_FIELDS = ("kind", "tier", "category")
EXTRA_ROWS = 2  # blank rows for new rules
MAX_ROWS = 50  # rows read from a sent table (the schema allows fewer rules)


def hints() -> dict[str, str]:
    """The words under a refused field, with the bounds the API's schema holds."""
    policy, rule = PolicySchema().fields, RevisitRule().fields

    def between(template, field, scale=1.0):
        low, high = _bounds(field)
        return template % {"min": _number((low or 0) / scale), "max": _number(high / scale)}

    days = _("A whole number of days from %(min)s to %(max)s.")
    return {
        "retry_schedule": between(_("Steps like 15m, 1h, 1d or next_morning, separated by commas: "
                                    "%(min)s to %(max)s of them."), policy["retry_schedule"]),
        "max_attempts": between(_("A whole number from %(min)s to %(max)s."), policy["max_attempts"]),
        "slot_minutes": between(_("A whole number of minutes from %(min)s to %(max)s."), policy["slot_minutes"]),
        "warn_before_seconds": between(_("A whole number of seconds from %(min)s to %(max)s."),
                                       policy["warn_before_seconds"]),
        "revisit_window_hours": between(_("A number of hours from %(min)s to %(max)s."),
                                        policy["revisit_window_seconds"], 3600),
        "survey_expiry_days": between(days, policy["survey_expiry_days"]),
        "survey_reminder_days": between(days, policy["survey_reminder_days"]),
        "survey_per_customer_days": between(days, policy["survey_per_customer_days"]),
        "auto_close_days": between(days, policy["auto_close_days"]),
        "after_hours": between(_("A number of hours from %(min)s to %(max)s."), rule["after_seconds"], 3600),
        "sample": between(_("A percentage from %(min)s to %(max)s."), rule["sample"], 0.01),
        "order": _("A whole number."),
        "match": _("Choose from the lists."),
        "revisit_rules": between(_("At most %(max)s rules."), policy["revisit_rules"]),
    }


class PolicyForm(Form):
    calendar = SelectField(_l("Calendar of the hours we call in"), validate_choice=False)
    retry_schedule = StringField(_l("Wait before each new try (e.g. 15m, 1h, next_morning)"),
                                 validators=[Length(max=200)])
    max_attempts = StringField(_l("Tries at most"))
    callback_skill = SelectField(_l("Skill a callback needs"), validate_choice=False)
    slot_minutes = StringField(_l("Length of an offered window (minutes)"))
    warn_before_seconds = StringField(_l("Warn this long before a window ends (seconds)"))
    revisit_window_hours = StringField(_l("Time to make a revisit in (business hours)"))
    survey_expiry_days = StringField(_l("A survey link works for (days)"))
    survey_reminder_days = StringField(_l("Remind an unanswered survey after (days)"))
    survey_per_customer_days = StringField(_l("At most one survey per customer in (days)"))
    auto_close_days = StringField(_l("Close an unanswered resolved ticket after (days)"))

    def __init__(self, *args, calendars=(), skills=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar.choices = [("24x7", _("Around the clock (24x7)"))] + [(name, name) for name in calendars]
        self.callback_skill.choices = [("", _("None"))] + list(skills)
        self.categories = list(categories)
        self.rule_rows: list[dict[str, Any]] = []
        self._row_of: list[int] = []  # the policy's n-th rule is the page's row _row_of[n]

    def validate_calendar(self, field) -> None:
        if field.data not in {value for value, _label in self.calendar.choices}:
            raise ValidationError(_l("Choose one of the calendars."))

    def validate_callback_skill(self, field) -> None:
        if (field.data or "") not in {value for value, _label in self.callback_skill.choices}:
            raise ValidationError(_l("Choose a skill from the catalogue, or none."))

    # ------------------------------------------------------------ showing what is saved

    def fill_from(self, st) -> None:
        self.calendar.data, self.callback_skill.data = st.calendar, st.callback_skill or ""
        self.retry_schedule.data = ", ".join(st.retry_schedule)
        for name in WHOLE_NUMBERS:
            getattr(self, name).data = str(getattr(st, name))
        self.revisit_window_hours.data = _number(st.revisit_window_seconds / 3600)
        self.rule_rows = [self._row_of_rule(n, rule) for n, rule in enumerate(st.revisit_rules, start=1)]
        self._add_blank_rows()

    @staticmethod
    def _row_of_rule(order: int, rule: dict[str, Any]) -> dict[str, Any]:
        match = dict(rule.get("match") or {})
        # kind, tier and category of one value each are the lists' to show; anything else (several
        # values, or conditions set through the API) is kept as it is and shown in words.
        shown = {key: match.pop(key) for key in MATCH_FIELDS if isinstance(match.get(key), str)}
        return {"order": str(order), **{key: shown.get(key, "") for key in MATCH_FIELDS},
                "after_hours": _number(int(rule.get("after_seconds", 0)) / 3600),
                "sample": _number(round(float(rule.get("sample", 1.0)) * 100, 4)),
                "other": match, "remove": False, "errors": {}}

    def _add_blank_rows(self) -> None:
        start = len(self.rule_rows) + 1
        self.rule_rows += [{"order": str(start + i), **{key: "" for key in MATCH_FIELDS}, "after_hours": "",
                            "sample": "", "other": {}, "remove": False, "errors": {}} for i in range(EXTRA_ROWS)]

    # ------------------------------------------------------------ reading what was sent

    def read_rules(self, formdata: MultiDict, saved_rules) -> None:
        """The rules table as sent. Conditions the page does not show come from the saved rule of
        the same row (never from the browser), so a save keeps them and cannot invent them."""
        saved = [self._row_of_rule(n, rule)["other"] for n, rule in enumerate(saved_rules, start=1)]
        sent = formdata.get("rule_count") or ""
        count = min(int(sent), MAX_ROWS) if sent.isdigit() else 0
        self.rule_rows = []
        for i in range(count):
            row = {key: (formdata.get(f"rule-{i}-{key}") or "").strip() for key in ("order", *MATCH_FIELDS,
                                                                                     "after_hours", "sample")}
            row["other"] = saved[i] if i < len(saved) else {}
            row["remove"], row["errors"] = bool(formdata.get(f"rule-{i}-remove")), {}
            self.rule_rows.append(row)

    def _rules(self) -> list[dict[str, Any]] | None:
        """The rules in the order given, blank and removed rows left out; None when a row's
        choices are not from the lists (the errors are on the row)."""
        kept, ok = [], True
        choices = {"kind": set(KINDS), "tier": {"VIP", "A", "B", "C"}, "category": set(self.categories)}
        for index, row in enumerate(self.rule_rows):
            blank = not any(row[key] for key in (*MATCH_FIELDS, "after_hours", "sample")) and not row["other"]
            if row["remove"] or blank:
                continue
            for key in MATCH_FIELDS:
                if row[key] and row[key] not in choices[key]:
                    row["errors"][key] = _("Choose from the list.")
                    ok = False
            try:
                order = int(row["order"] or index + 1)
            except ValueError:
                row["errors"]["order"], ok = hints()["order"], False
                continue
            match = {**row["other"], **{key: row[key] for key in MATCH_FIELDS if row[key]}}
            rule = {"match": match, "after_seconds": _scaled(row["after_hours"], 3600),
                    "sample": _scaled(row["sample"], 0.01)}
            kept.append((order, index, rule))
        kept.sort(key=lambda item: (item[0], item[1]))
        self._row_of = [index for _order, index, _rule in kept]
        return [rule for _order, _index, rule in kept] if ok else None

    def policy_data(self) -> dict[str, Any] | None:
        """What the action takes, in the units it stores; None when a rule row is refused here."""
        rules = self._rules()
        if rules is None:
            return None
        data: dict[str, Any] = {
            "calendar": self.calendar.data, "callback_skill": self.callback_skill.data or None,
            "retry_schedule": [step.strip() for step in (self.retry_schedule.data or "").split(",") if step.strip()],
            "revisit_window_seconds": _scaled(self.revisit_window_hours.data, 3600), "revisit_rules": rules}
        for name in WHOLE_NUMBERS:
            data[name] = (getattr(self, name).data or "").strip()
        return data

    # ------------------------------------------------------------ the action's refusals

    def show_refusal(self, fields: dict[str, Any], message: str) -> None:
        """Each refused value's words under its field; what has no field of its own, on top."""
        words = hints()
        for path, messages in fields.items():
            parts = str(path).split(".")
            name = {"revisit_window_seconds": "revisit_window_hours"}.get(parts[0], parts[0])
            if name == "revisit_rules" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(self._row_of):
                row = self.rule_rows[self._row_of[int(parts[1])]]
                key = {"after_seconds": "after_hours"}.get(parts[2], parts[2])
                row["errors"][key if key in words else "match"] = words.get(key, words["match"])
            elif name in self._fields:
                text = words.get(name) or "; ".join(str(m) for m in _as_list(messages))
                self[name].errors = [*self[name].errors, text]
            else:
                self.form_errors.append(words.get(name) or message)
        if not fields:
            self.form_errors.append(message)


def _as_list(messages) -> list:
    return messages if isinstance(messages, list) else [messages]
