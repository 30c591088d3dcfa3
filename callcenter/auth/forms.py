from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email

from ..forms_base import Form


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(_l("Enter your email.")), Email(_l("That is not an email address."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
