"""Schemathesis against `/openapi.json`: every operation, on SQLite and PostgreSQL, with
a bounded number of generated cases each (`RELEVO_FUZZ_EXAMPLES`). Pass condition: no
5xx answer (schemathesis's `not_a_server_error` check), whatever the input.

Every case is sent with a real token (the admin's for `/api/…`, a visitor's for the
web chat), so it reaches the handler instead of stopping at 401. Routes left out of
the schema (provider webhooks, console, widget) are fuzzed by the webhook properties.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from anyio.from_thread import start_blocking_portal
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from tests.conftest import IN_CI, postgres_database
from tests.fuzz.conftest import examples
from tests.fuzz.openapi_target import Target, openapi_document, running_target
from tests.fuzz.tally import Tally

CONFIG = SchemathesisConfig.from_dict({
    "generation": {
        "max-examples": examples(),
        # CI draws the same cases every run; locally each run draws new ones.
        "deterministic": IN_CI,
        "no-shrink": IN_CI,  # as the Hypothesis profiles (conftest.py)
        **({"database": "none"} if IN_CI else {}),
    },
    # Each operation on its own: sequences (links between operations) are not fuzzed.
    "phases": {"stateful": {"enabled": False}},
    "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
})
SCHEMA = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """One app per database for every operation (a start trains the NLU: ~2 s)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'relevo.db'}"
        with running_target(url) as started:
            yield started
        return
    with start_blocking_portal() as portal, \
            portal.wrap_async_context_manager(postgres_database()) as url:
        with running_target(url) as started:
            yield started


def authenticate(case: schemathesis.Case, target: Target) -> None:
    """The real token instead of the generated `authorization` header, and never the
    fuzzer's own admin as the operator to edit or remove (it would lock itself out)."""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    headers["Authorization"] = f"Bearer {target.token_for(case.operation.path)}"
    case.headers = headers
    if case.path_parameters and case.path_parameters.get("operator_id") == target.admin_id:
        case.path_parameters["operator_id"] = target.victim_id


@SCHEMA.parametrize()
def test_no_input_gets_a_server_error(
    case: schemathesis.Case, target: Target, tally: Tally, request: pytest.FixtureRequest
) -> None:
    authenticate(case, target)
    surface = f"{case.operation.label} [{request.node.callspec.params['target']}]"
    try:
        response = case.call(app=target.app)
    except Exception as error:
        # The in-process client re-raises what the app raised; a server answers 500.
        tally.crashed(surface, error)
        raise
    tally.record(surface, failed=response.status_code >= 500)
    case.validate_response(response, checks=[not_a_server_error])
