"""The canned-response form of the management page. Its checks are the service's (one place):
the form only reads the fields, and shows each refusal under its field."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length

from ..forms_base import Form
from . import service
from .models import CannedResponse, Scope

WHERE_FIELD = {"scope": "where", "title": "title", "shortcut": "shortcut", "language": "language", "body": "body"}


class CannedForm(Form):
    title = StringField(_l("Title"), validators=[Length(max=service.TITLE_MAX * 2)])
    shortcut = StringField(_l("Shortcut word (type / and the word in a reply)"),
                           validators=[Length(max=service.SHORTCUT_MAX * 2)])
    language = SelectField(_l("Language"), choices=[("zh", _l("Chinese")), ("en", _l("English"))],
                           validate_choice=False)
    where = SelectField(_l("Who may use it"), validate_choice=False)
    body = TextAreaField(_l("Text"), validators=[Length(max=service.BODY_MAX * 2)])

    def __init__(self, *args, teams=(), site: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("personal", _("Only me (personal)"))]
        choices += [(f"team:{t.id}", _("Team: %(team)s", team=t.name)) for t in teams]
        if site:
            choices.append(("site", _("Everyone (site-wide)")))
        self.where.choices = choices

    def fill_from(self, row: CannedResponse) -> None:
        self.title.data, self.shortcut.data, self.language.data, self.body.data = (
            row.title, row.shortcut, row.language, row.body)
        self.where.data = f"team:{row.team_id}" if row.scope is Scope.team else row.scope.value

    def data_for_service(self) -> dict[str, Any]:
        where = self.where.data or ""
        scope, team_id = where, None
        if where.startswith("team:"):
            scope, raw = "team", where[5:]
            team_id = int(raw) if raw.isdigit() else -1
        return {"title": self.title.data, "shortcut": self.shortcut.data, "language": self.language.data,
                "body": self.body.data, "scope": scope, "team_id": team_id}

    def show_refusal(self, fields: dict[str, str], message: str) -> None:
        shown = False
        for name, text in fields.items():
            target = WHERE_FIELD.get(name)
            if target:
                self[target].errors = [*self[target].errors, text]
                shown = True
        if not shown:
            self.form_errors.append(message)


class DeleteForm(Form):
    """A delete button's form: its CSRF token only."""
