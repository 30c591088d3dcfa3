"""The public form and the sign-in page are rate limited per client address (Flask-Limiter on Redis)."""
import pytest

from callcenter.extensions import limiter
from tests.factories import csrf_from


@pytest.fixture
def limits_on(app):
    assert limiter.enabled
    previous = (app.config["RATELIMIT_SUBMIT"], app.config["RATELIMIT_LOGIN"])
    app.config.update(RATELIMIT_SUBMIT="3 per minute", RATELIMIT_LOGIN="2 per minute")
    yield
    app.config.update(RATELIMIT_SUBMIT=previous[0], RATELIMIT_LOGIN=previous[1])


def _token(client, path):
    return csrf_from(client.get(path).get_data(as_text=True))


def test_submitting_too_often_is_429(client, world, limits_on):
    token = _token(client, "/submit")
    codes = [client.post("/submit", data={"csrf_token": token}).status_code for _ in range(4)]
    assert codes == [400, 400, 400, 429]
    assert client.get("/submit").status_code == 200  # reading the form is not limited


def test_guessing_passwords_is_429(client, world, limits_on):
    token = _token(client, "/login")
    codes = [client.post("/login", data={"email": "anna@test.cc", "password": "x", "csrf_token": token}).status_code
             for _ in range(3)]
    assert codes == [400, 400, 429]
