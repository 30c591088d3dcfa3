"""Staff accounts: users, API tokens, sessions, language."""
from __future__ import annotations

from ..auth import services as auth
from ..auth.models import ApiToken, User
from . import unit_of_work


def create_user(email: str, password: str, role: str, **details) -> User:
    with unit_of_work():
        return auth.create_user(email, password, role, **details)


def create_token(user: User, label: str = "", expires_days: int | None = None) -> str:
    """A new API token, shown now and never again (only its hash is kept)."""
    with unit_of_work():
        return auth.create_token(user, label, expires_days)


def revoke_token(token_id: int) -> ApiToken:
    with unit_of_work():
        return auth.revoke_token(token_id)


def end_sessions(user: User) -> None:
    """Signing out ends every session of the user (a copied cookie stops working)."""
    with unit_of_work():
        auth.end_sessions(user)


def set_locale(user_id: int, locale: str) -> None:
    with unit_of_work():
        auth.set_locale(user_id, locale)


def mark_token_used(token_id: int) -> None:
    with unit_of_work():
        auth.mark_token_used(token_id)
