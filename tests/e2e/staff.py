"""Signing staff in through the real login form."""
import re

from tests.factories import PASSWORD

# Where sign-in lands: the person's console view (an agent's "My work", a supervisor's teams,
# an admin's whole list: desk/queue.py home_view).
CONSOLE = re.compile(r"/desk/(\?view=\w+)?$")


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(CONSOLE)
