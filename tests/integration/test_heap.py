"""A long-running process leaves its start-up heap out of the collector's walks (callcenter/heap.py).
Each check runs in a process of its own: freezing the test runner's heap would keep its garbage."""
import subprocess
import sys

from tests.processes import ROOT, app_env

SETTLE = """
import gc, weakref
from callcenter import heap
class Node: pass
gc.disable()  # only settle() may collect the cycle below
node = Node(); node.me = node; alive = weakref.ref(node); del node
frozen = heap.settle()
gc.enable()
print(alive() is None, frozen > 0)
"""


def _python(code: str, env=None) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1].split()  # the last line: start-up may print before it


def test_settling_collects_start_up_garbage_before_freezing_the_rest():
    assert _python(SETTLE) == ["True", "True"]


def test_the_web_process_freezes_its_heap_once_the_app_is_built(app):
    env = app_env(app.config["SQLALCHEMY_DATABASE_URI"], app.config["REDIS_URL"])
    # A frozen object is in none of the collector's generations: the app is among them unless
    # it was built before the freeze.
    app_collected, frozen = _python("import gc, wsgi; print(any(o is wsgi.app for o in gc.get_objects()), "
                                    "gc.get_freeze_count())", env)
    assert app_collected == "False"
    assert int(frozen) > 10_000  # the modules, the app and the mappers, not a handful of objects
