from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..auth.services import parse_skills
from ..errors import DomainError
from ..forms_base import Form
from ..forms_common import channel_choices, kind_choices
from ..tickets.labels import tier


def _csv(text: str | None) -> list[str]:
    return [v.strip() for v in (text or "").split(",") if v.strip()]


class RuleForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the rule a name.")), Length(max=120)])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    category = StringField(_l("Categories (codes, comma-separated)"), validators=[Optional(), Length(max=300)])
    channel = SelectField(_l("Channel"), validators=[Optional()])
    tier = SelectField(_l("Customer tier"), validators=[Optional()])
    language = SelectField(_l("Language"), validators=[Optional()])
    keywords = StringField(_l("Keywords (comma-separated)"), validators=[Optional(), Length(max=500)])
    skills = StringField(_l("Required skills, e.g. billing:3,network:2"), validators=[Optional(), Length(max=300)])
    team = StringField(_l("Team"), validators=[Optional(), Length(max=80)])
    priority = SelectField(_l("Priority"), validators=[Optional()])
    position = IntegerField(_l("Position (lower is checked first)"), default=100,
                            validators=[NumberRange(0, 100_000)])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        any_ = ("", _l("Any"))
        self.kind.choices = [any_, *kind_choices()]
        self.channel.choices = [any_, *channel_choices()]
        self.tier.choices = [any_] + [(t, tier(t)) for t in ("VIP", "A", "B", "C")]
        self.language.choices = [any_, ("zh", "中文"), ("en", "English")]
        self.priority.choices = [("", _l("Keep"))] + [(p, p) for p in ("P1", "P2", "P3", "P4")]

    def validate_skills(self, field) -> None:
        try:
            parse_skills(field.data)
        except DomainError as err:
            raise ValidationError(err.message) from None

    def rule_data(self) -> dict:
        match = {k: getattr(self, k).data for k in ("kind", "channel", "tier", "language") if getattr(self, k).data}
        if _csv(self.category.data):
            match["category"] = _csv(self.category.data)
        if _csv(self.keywords.data):
            match["keywords"] = _csv(self.keywords.data)
        return {"name": self.name.data, "match": match, "skills": parse_skills(self.skills.data),
                "team": (self.team.data or "").strip() or None, "priority": self.priority.data or None,
                "position": self.position.data, "active": self.active.data}

    def fill_from(self, rule) -> None:
        match = rule.match or {}
        self.name.data, self.position.data, self.active.data = rule.name, rule.position, rule.active
        for key in ("kind", "channel", "tier", "language"):
            value = match.get(key)
            getattr(self, key).data = value[0] if isinstance(value, list) else value
        self.category.data = ", ".join(match.get("category", []) if isinstance(match.get("category"), list)
                                       else [match["category"]] if match.get("category") else [])
        self.keywords.data = ", ".join(match.get("keywords", []))
        self.skills.data = ",".join(f"{k}:{v}" for k, v in (rule.skills or {}).items())
        self.team.data = rule.team.name if rule.team else ""
        self.priority.data = rule.priority or ""
