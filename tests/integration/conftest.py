import pytest


@pytest.fixture(autouse=True)
def _fresh(clean_state):
    yield
