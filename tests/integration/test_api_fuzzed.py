"""Schemathesis generates requests from the OpenAPI document for every operation, valid and
invalid, and sends them as a supervisor and as an admin: no answer is a 5xx, and every answer
matches the schema the document gives for it. Examples are bounded to keep `make test` short;
SCHEMATHESIS_EXAMPLES raises the bound."""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests import factories
from tests.conftest import _truncate_all

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def fuzz_world(app):
    """One desk for the whole module: schemathesis's examples share it (tickets pile up)."""
    with app.app_context():
        _truncate_all()
        from callcenter.extensions import db

        db.session.remove()
        world = factories.build_world()
        from callcenter.actions import tickets
        from callcenter.actors import Actor
        from callcenter.auth.models import User

        boss = Actor.of_user(db.session.get(User, world.id("boss")))
        for i in range(3):
            tickets.create_ticket(factories.ticket_body(subject=f"seed {i}"), boss)
    return world


@pytest.fixture(scope="module")
def api_schema(app, fuzz_world):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema


@pytest.fixture
def clean_state():
    """Keep the module's desk between examples (the integration default would empty it)."""
    yield


def _fuzz(operation, mode, tokens) -> list[str]:
    """Run bounded examples of one operation in one generation mode; the failures, described."""
    failures: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None, phases=[Phase.explicit, Phase.generate])
    def run(case):
        for who in ("boss", "admin"):  # a supervisor is refused much an admin may do: both answers are checked
            try:
                case.call_and_validate(headers={"Authorization": f"Bearer {tokens[who]}"},
                                       checks=[not_a_server_error, response_schema_conformance,
                                               content_type_conformance])
            except Exception as exc:  # noqa: BLE001 - schemathesis's FailureGroup: collected, reported together
                failures.append(f"{operation.label} ({mode.value}, {who}): {str(exc)[:600]}")
                return

    run()
    return failures


def test_no_operation_answers_5xx_or_off_its_schema(api_schema, fuzz_world):
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _fuzz(operation, mode, fuzz_world.tokens)
    assert operations >= 40
    assert failures == [], "\n\n".join(failures[:15])
