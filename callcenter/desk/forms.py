from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..db_types import utcnow
from ..forms_base import Form
from ..forms_common import ContactFields, category_choices, kind_choices
from ..forms_common import severity_choices as common_severity_choices


def to_utc(value: datetime) -> datetime:
    """Form datetimes are in the desk's display zone."""
    return value.replace(tzinfo=ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))


def in_the_future(_form, field) -> None:
    """A promise due by now would be broken as it is made: say so under its field."""
    if field.data and to_utc(field.data) <= utcnow():
        raise ValidationError(_l("A promise must be due in the future."))


def priority_choices():
    return [("", _l("Automatic")), ("P1", "P1"), ("P2", "P2"), ("P3", "P3"), ("P4", "P4")]


def severity_choices():
    return [("", _l("Automatic")), *common_severity_choices()]


class PhoneTicketForm(ContactFields, Form):
    language = SelectField(_l("Caller's language"), choices=[("zh", "中文"), ("en", "English")])
    priority = SelectField(_l("Priority"), validators=[Optional()])
    severity = SelectField(_l("Severity (complaints)"), validators=[Optional()])
    promise = StringField(_l("Promise made to the caller"), validators=[Optional(), Length(max=500)])
    promise_due = DateTimeLocalField(_l("Promise due"), validators=[Optional(), in_the_future])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name.label.text = _l("Caller's name")
        self.kind.choices = kind_choices()
        self.category.choices = category_choices()
        self.priority.choices = priority_choices()
        self.severity.choices = severity_choices()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if (self.promise.data or "").strip() and not self.promise_due.data:
            self.promise_due.errors = [*self.promise_due.errors, _l("When is the promise due?")]
            ok = False
        return ok


class MessageForm(Form):
    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write a message first.")), Length(max=20000)])
    internal = BooleanField(_l("Internal note (the customer does not see it)"))
    # The last audit event on the page when the draft began (console.js moves it on while the
    # box is empty): a reply to a ticket others changed since is held for review.
    seen_event_id = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=0, max=2**31 - 1)])


class BulkForm(Form):
    """The list's bulk bar: the ticked tickets, and what to do to each."""
    ticket_ids = SelectMultipleField(coerce=int, validate_choice=False,
                                     validators=[DataRequired(_l("Tick at least one ticket first."))])
    action = SelectField(choices=[("assign", _l("Assign")), ("status", _l("Set status"))])
    agent_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])
    to = SelectField(_l("Status"), validate_choice=False, validators=[Optional()])


class TransitionForm(Form):
    to = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=1000)])
    resolution_summary = TextAreaField(_l("Resolution summary"), validators=[Optional(), Length(max=10000)])
    root_cause = TextAreaField(_l("Root cause"), validators=[Optional(), Length(max=10000)])
    responsible_department = StringField(_l("Responsible department"), validators=[Optional(), Length(max=120)])


class AssignForm(Form):
    agent_id = SelectField(_l("Agent"), coerce=int, validators=[DataRequired()])
    note = TextAreaField(_l("Note for them (internal)"), validators=[Optional(), Length(max=20000)])


class PromiseForm(Form):
    description = StringField(_l("Promise"), validators=[DataRequired(_l("What was promised?")), Length(max=500)])
    due_at = DateTimeLocalField(_l("Due"), validators=[DataRequired(_l("When is it due?")), in_the_future])
