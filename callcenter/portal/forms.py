from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..followups.windows import ASAP, Window, asap_of, chosen, option_value, window_value
from ..forms_base import Form
from ..forms_common import ContactFields, LazyLabel, category_choices, check_phone, kind_choices


class ReplyForm(Form):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(_l("Write a message first.")), Length(max=20000)])


class LostLinkForm(Form):
    reference = StringField(_l("Reference"), validators=[DataRequired(_l("Give the reference, like CC-2026-000123.")),
                                                         Length(max=40)])
    contact = StringField(_l("The phone or email you gave"), validators=[
        DataRequired(_l("Give the phone number or email you gave with the request.")), Length(max=254)])


# ---------------------------------------------------------------- callback windows

class WindowChoice:
    """The select of callback windows. The options are the slots offered now; any well-formed
    window no longer than a slot is taken, so one picked on a page opened a while ago reaches
    the window check, which says what is wrong with it (begun already, outside our hours)."""

    window = SelectField(_l("When should we call?"), validate_choice=False)

    def offer(self, slots: list[Window], label: Callable[[datetime, datetime], str], longest: timedelta,
              now: datetime) -> None:
        self._longest = longest
        self._asap = asap_of(slots, now)
        self.window.choices = [(option_value(w, self._asap), label(*w)) for w in slots]
        picked = self.chosen_window()
        if picked and self.window.data != ASAP and window_value(*picked) not in {v for v, _label in self.window.choices}:
            self.window.choices.insert(0, (window_value(*picked), label(*picked)))  # shown as it was picked

    def chosen_window(self) -> Window | None:
        return chosen(self.window.data, self._asap)

    def check_window_shape(self) -> bool:
        window = self.chosen_window()
        if window is None or window[1] - window[0] > self._longest:
            self.window.errors = [*self.window.errors, _l("Choose one of the offered times.")]
            return False
        return True


class CallbackForm(WindowChoice, Form):
    """A callback asked for on the status page: the number is the ticket's unless changed."""

    phone = StringField(_l("Phone to call"), validators=[
        DataRequired(_l("Give the phone number we should call.")), Length(max=40), check_phone])
    note = TextAreaField(_l("Anything we should know before we call (optional)"),
                         validators=[Optional(), Length(max=2000)])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self.check_window_shape() and ok

    def callback_data(self, language: str) -> dict:
        start, end = self.chosen_window()
        return {"phone": self.phone.data.strip(), "window_start": start, "window_end": end,
                "note": (self.note.data or "").strip() or None, "language": language}


class SubmitForm(WindowChoice, ContactFields, Form):
    """The customer form, with an optional callback at a window of the customer's choosing."""

    callback = BooleanField(_l("Please call me back"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices()
        self.category.choices = category_choices()

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not self.callback.data:
            return ok  # the window select is ignored unless a callback is asked for
        if not (self.phone.data or "").strip():
            self.phone.errors = [*self.phone.errors, _l("Give a phone number so we can call you back.")]
            ok = False
        return self.check_window_shape() and ok

    def callback_data(self, language: str) -> dict | None:
        """What to book once the ticket exists, or None when no callback was asked for."""
        if not self.callback.data:
            return None
        start, end = self.chosen_window()
        return {"phone": self.phone.data.strip(), "window_start": start, "window_end": end, "language": language}


# ---------------------------------------------------------------- the satisfaction survey

def _number_or_none(value) -> int | None:
    """A radio's value as a number; anything else is no answer (the range check says so)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _in_range(low: int, high: int, message, *, required: bool):
    def check(form, field) -> None:
        if field.data is None and not (required or (field.raw_data and field.raw_data[0])):
            return
        if field.data is None or not low <= field.data <= high:
            raise ValidationError(message)
    return check


def csat_choices() -> list[tuple[int, LazyLabel]]:
    return [(score, LazyLabel(csat_words, score)) for score in range(1, 6)]


def csat_words(score: int) -> str:
    """A satisfaction score as the customer chose it, in the page's words."""
    return {1: _("Very dissatisfied"), 2: _("Dissatisfied"), 3: _("Neither satisfied nor dissatisfied"),
            4: _("Satisfied"), 5: _("Very satisfied")}.get(score, str(score))


class SurveyForm(Form):
    csat = RadioField(_l("How satisfied are you with how we handled your request?"), coerce=_number_or_none,
                      choices=csat_choices(), validate_choice=False,
                      validators=[_in_range(1, 5, _l("Choose how satisfied you are, from 1 to 5."), required=True)])
    nps = RadioField(_l("How likely are you to recommend us to a friend? (optional)"), coerce=_number_or_none,
                     choices=[(n, str(n)) for n in range(11)], validate_choice=False,
                     validators=[_in_range(0, 10, _l("Choose a number from 0 to 10, or leave it empty."),
                                           required=False)])
    comment = TextAreaField(_l("Anything you want to tell us? (optional)"), validators=[
        Length(max=2000, message=_l("Keep it to %(max)d characters, please."))])
