"""What the fuzzers did, counted for the run's summary: cases sent per surface and the
failures among them (a 5xx answer, or a parser raising what it does not declare), each
with its cause (the exception and the line of relevo that raised it), counted as they
happen, before a test fails on one, so a run says "N cases, K 5xx" and why."""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Tally:
    cases: Counter[str] = field(default_factory=Counter)  # surface → cases run
    failures: Counter[str] = field(default_factory=Counter)  # surface → 5xx / crashes
    causes: Counter[str] = field(default_factory=Counter)  # cause → failures

    def record(self, surface: str, *, failed: bool, cause: str = "a 5xx answer") -> None:
        self.cases[surface] += 1
        if failed:
            self.failures[surface] += 1
            self.causes[cause] += 1

    def crashed(self, surface: str, error: BaseException) -> None:
        self.record(surface, failed=True, cause=cause_of(error))

    async def send(self, surface: str, request: Awaitable[httpx.Response]) -> httpx.Response:
        """Await `request`, counted. The in-process transport re-raises what the app
        raised, where a server would have answered 500: that counts as a 5xx."""
        try:
            response = await request
        except Exception as error:
            self.crashed(surface, error)
            raise
        self.record(surface, failed=response.status_code >= 500)
        return response

    def lines(self) -> list[str]:
        total = sum(self.cases.values())
        if not total:
            return []
        failed = sum(self.failures.values())
        lines = [f"fuzz: {total} cases on {len(self.cases)} surfaces, "
                 f"{failed} 5xx or undeclared parser errors"]
        lines += [f"  {surface}: {self.failures[surface]} of {self.cases[surface]}"
                  for surface in sorted(self.failures)]
        lines += [f"  cause: {cause} ({count})" for cause, count in self.causes.most_common()]
        return lines


def cause_of(error: BaseException) -> str:
    """`Error at file:line`, the innermost line of relevo (not of a library, not of the
    tests) the exception passed through."""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if f.filename.startswith(str(REPO)) and "/.venv/" not in f.filename
              and "/tests/" not in f.filename]
    where = f" at {Path(frames[-1].filename).relative_to(REPO)}:{frames[-1].lineno}" \
        if frames else ""
    return f"{type(error).__name__}{where}"


def backend(database_url: str) -> str:
    """`sqlite` or `postgres`, to name where a case ran."""
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


TALLY = pytest.StashKey[Tally]()


def tally_of(config: pytest.Config) -> Tally:
    if TALLY not in config.stash:
        config.stash[TALLY] = Tally()
    return config.stash[TALLY]
