"""The fuzzers' shared settings: Hypothesis profiles, the case count, the run summary.

In CI (`CI=true`) every run draws the same cases (`derandomize`, no example database),
so a red build reproduces on any machine; locally each run draws new ones and
Hypothesis remembers failing cases in `.hypothesis/`. `RELEVO_FUZZ_EXAMPLES` sets the
cases per operation or property (default `DEFAULT_EXAMPLES`, kept small so CI stays
within minutes); raise it for a long local run.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

from tests.conftest import IN_CI
from tests.fuzz.tally import Tally, tally_of

DEFAULT_EXAMPLES = 25
CI_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)


def examples() -> int:
    raw = os.environ.get("RELEVO_FUZZ_EXAMPLES", "")
    if not raw:
        return DEFAULT_EXAMPLES
    if not raw.isdigit() or int(raw) < 1:
        raise pytest.UsageError(f"RELEVO_FUZZ_EXAMPLES: a positive integer, not {raw!r}")
    return int(raw)


# One app serves every example of a test (starting one per example would cost seconds
# each), so function-scoped fixtures are shared on purpose; a request's time depends on
# the database, so no deadline; payloads are whole recorded ones, mutated, so they are
# large and slow to draw by design.
_SHARED = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def pytest_configure(config: pytest.Config) -> None:
    count = examples()
    # CI reports a failing case as drawn, unshrunk: shrinking one that goes through the
    # app and the database takes a minute or more. Locally, failures are shrunk.
    settings.register_profile("relevo-ci", derandomize=True, database=None, print_blob=True,
                              phases=CI_PHASES, max_examples=count, **_SHARED)
    settings.register_profile("relevo-dev", max_examples=count, **_SHARED)
    settings.load_profile("relevo-ci" if IN_CI else "relevo-dev")


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Tally:
    return tally_of(request.config)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = tally_of(terminalreporter.config).lines()
    if lines:
        terminalreporter.section("fuzzing")
        for line in lines:
            terminalreporter.write_line(line)
