import threading

import pytest

from tests.socket_client import Listener


@pytest.fixture(autouse=True)
def _fresh(clean_state):
    yield


@pytest.fixture
def listen(live_server, world):
    """Console clients signed in as the given people, closed at the end of the test."""
    opened = []

    def make(email):
        listener = Listener(live_server, email)
        opened.append(listener)
        return listener

    yield make
    # websocket-client waits up to 3 s for the dev server's close frame: close them side by side.
    closers = [threading.Thread(target=listener.close) for listener in opened]
    for t in closers:
        t.start()
    for t in closers:
        t.join()
