"""The base of every page form: text no database can store is a message under its field."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from .input_guard import problem


class Form(FlaskForm):
    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            values = field.data if isinstance(field.data, list) else [field.data]
            if any(isinstance(v, str) and problem(v) for v in values):
                field.errors = [*field.errors, _l("This contains a character that cannot be stored (a NUL byte).")]
                ok = False
        return ok
