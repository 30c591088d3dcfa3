"""Form pieces shared by the customer form and the agents' phone form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from .customers.normalise import is_phone
from .extensions import db
from .i18n import language_code
from .tickets import labels
from .tickets.models import Category


class LazyLabel:
    """A label looked up when the form renders, in the reader's language (a form's choices are
    built before the request's locale is known)."""

    def __init__(self, fn, code):
        self.fn, self.code = fn, code

    def __str__(self) -> str:
        return self.fn(self.code)

    def __html__(self) -> str:
        return str(escape(str(self)))


def kind_choices():
    return [(code, LazyLabel(labels.kind, code)) for code in labels.KINDS]


def channel_choices():
    return [(code, LazyLabel(labels.channel, code)) for code in labels.CHANNELS]


def severity_choices():
    return [(code, LazyLabel(labels.severity, code)) for code in ("ordinary", "serious", "critical")]


def category_choices() -> list[tuple[str, str]]:
    locale = "zh" if language_code() == "zh" else "en"
    rows = db.session.scalars(select(Category).where(Category.active).order_by(Category.position)).all()
    return [(c.code, c.label(locale)) for c in rows]


def check_phone(form, field) -> None:
    if field.data and not is_phone(field.data):
        raise ValidationError(_l("Enter a phone number, digits only or with + - ( ) and spaces."))


class ContactFields:
    """Name, phone, email, kind, category, subject, description: what every new ticket needs."""

    kind = RadioField(_l("What is it about?"), choices=kind_choices(), default="complaint",
                      validators=[DataRequired(_l("Choose complaint, service request or inquiry."))])
    name = StringField(_l("Your name"), validators=[DataRequired(_l("Tell us your name.")), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40), check_phone])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=254), Email(_l("That is not an email address."))])
    category = SelectField(_l("Category"), validators=[DataRequired(_l("Choose a category."))])
    subject = StringField(_l("Subject"), validators=[DataRequired(_l("Give a short subject.")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[
        DataRequired(_l("Describe what happened.")), Length(min=5, max=20000)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Optional() ends each field's own chain when empty, so the pair is checked here.
        if not (self.phone.data or "").strip() and not (self.email.data or "").strip():
            self.email.errors = [*self.email.errors, _l("Give a phone number or an email so we can reach you.")]
            ok = False
        return ok

    def ticket_data(self, channel: str) -> dict:
        return {
            "kind": self.kind.data, "channel": channel, "category": self.category.data,
            "subject": self.subject.data.strip(), "description": self.description.data.strip(),
            "customer": {"name": self.name.data.strip(), "phone": (self.phone.data or "").strip() or None,
                         "email": (self.email.data or "").strip() or None},
        }
