from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms_base import Form
from ..forms_common import ContactFields, category_choices, kind_choices


class SubmitForm(ContactFields, Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices()
        self.category.choices = category_choices()


class ReplyForm(Form):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(_l("Write a message first.")), Length(max=20000)])


class LostLinkForm(Form):
    reference = StringField(_l("Reference"), validators=[DataRequired(_l("Give the reference, like CC-2026-000123.")),
                                                         Length(max=40)])
    contact = StringField(_l("The phone or email you gave"), validators=[
        DataRequired(_l("Give the phone number or email you gave with the request.")), Length(max=254)])
