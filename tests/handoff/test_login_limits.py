"""Console log-in limits (issue #10, row 2): 5 failures per address per 5 minutes and 10
per account per 15 minutes, then 429 with Retry-After — checked before the password —
on both databases, with the limits in this process or in Redis."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from relevo.app import create_app
from relevo.app.settings import Settings
from tests.conftest import REDIS_URL, require, started
from tests.handoff.helpers import ManualClock, service
from tests.handoff.login_helpers import (
    PASSWORD,
    WRONG,
    limits_store,
    log_in,
    login_app,
    operator_with_password,
    unique_email,
    unique_ips,
)
from tests.settle import wait_until

__all__ = ["limits_store"]  # the fixture, used by name


async def test_the_sixth_failure_from_an_address_locks_it_even_for_the_right_password(
    make_settings: Callable[..., Settings], limits_store: dict[str, Any]
) -> None:
    clock = ManualClock()
    app = login_app(make_settings, clock, **limits_store)
    email, (ip, other_ip) = unique_email(), unique_ips(2)
    async with started(app) as client:
        await operator_with_password(app, email)
        failures = [(await log_in(client, email, WRONG, ip)).status_code for _ in range(5)]
        sixth = await log_in(client, email, WRONG, ip)
        right_while_locked = await log_in(client, email, PASSWORD, ip)
        elsewhere = await log_in(client, unique_email("bea"), WRONG, other_ip)
        clock.advance(299)
        still_locked = await log_in(client, email, PASSWORD, ip)
        clock.advance(1)
        after_the_window = await log_in(client, email, PASSWORD, ip)
    assert failures == [401] * 5
    assert sixth.status_code == 429
    assert sixth.headers["retry-after"] == "300"
    assert sixth.json() == {"detail": "too many failed log-ins: try again later"}
    assert right_while_locked.status_code == 429
    assert right_while_locked.headers["retry-after"] == "300"
    assert elsewhere.status_code == 401  # another address is not locked
    assert still_locked.status_code == 429 and still_locked.headers["retry-after"] == "1"
    assert after_the_window.status_code == 200


async def test_the_eleventh_failure_on_an_account_locks_it_from_every_address(
    make_settings: Callable[..., Settings], limits_store: dict[str, Any]
) -> None:
    clock = ManualClock()
    app = login_app(make_settings, clock, **limits_store)
    email, ips = unique_email(), unique_ips(13)
    async with started(app) as client:
        await operator_with_password(app, email)
        failures = [(await log_in(client, email, WRONG, ips[n])).status_code for n in range(10)]
        eleventh = await log_in(client, email, PASSWORD, ips[10])
        # The same e-mail in another case is the same account.
        shouted = await log_in(client, email.upper(), PASSWORD, ips[11])
        other_account = await log_in(client, unique_email("bea"), WRONG, ips[11])
        clock.advance(900)
        later = await log_in(client, email, PASSWORD, ips[12])
    assert failures == [401] * 10
    assert eleventh.status_code == 429 and eleventh.headers["retry-after"] == "900"
    assert shouted.status_code == 429
    assert other_account.status_code == 401
    assert later.status_code == 200


async def test_lockouts_in_a_row_grow(make_settings: Callable[..., Settings]) -> None:
    clock = ManualClock()
    app = login_app(make_settings, clock)
    (ip,) = unique_ips(1)
    retry_afters = []
    async with started(app) as client:
        for _ in range(3):
            for _ in range(5):  # other accounts each time: only the address is locked
                await log_in(client, unique_email(), WRONG, ip)
            refused = await log_in(client, unique_email(), WRONG, ip)
            retry_afters.append(refused.headers["retry-after"])
            clock.advance(int(refused.headers["retry-after"]))
    assert retry_afters == ["300", "600", "1200"]


async def test_a_success_neither_counts_nor_forgives_earlier_failures(
    make_settings: Callable[..., Settings],
) -> None:
    app = login_app(make_settings, ManualClock())
    email, (ip,) = unique_email(), unique_ips(1)
    async with started(app) as client:
        await operator_with_password(app, email)
        guesses = [(await log_in(client, unique_email("bea"), WRONG, ip)).status_code
                   for _ in range(4)]
        successes = [(await log_in(client, email, PASSWORD, ip)).status_code for _ in range(6)]
        fifth_failure = await log_in(client, unique_email("bea"), WRONG, ip)
        then = await log_in(client, email, PASSWORD, ip)
    assert guesses == [401] * 4
    assert successes == [200] * 6  # log-ins that work never lock anyone out…
    assert fifth_failure.status_code == 401
    assert then.status_code == 429  # …and did not wipe the four failures before them


async def test_forwarded_for_counts_only_from_a_trusted_proxy(
    make_settings: Callable[..., Settings],
) -> None:
    app = login_app(make_settings, ManualClock(), trusted_proxies=[])
    email, ips = unique_email(), unique_ips(6)
    async with started(app) as client:
        statuses = [(await log_in(client, email, WRONG, ip)).status_code for ip in ips]
    # Every attempt came from 127.0.0.1, whatever the header claimed.
    assert statuses == [401] * 5 + [429]


async def test_api_token_log_ins_are_limited_too(make_settings: Callable[..., Settings]) -> None:
    app = login_app(make_settings, ManualClock())
    (ip,) = unique_ips(1)
    async with started(app) as client:
        op = await operator_with_password(app, unique_email())
        wrong = [(await client.post("/console/session", json={"token": f"guess-{n}"},
                                    headers={"X-Forwarded-For": ip})).status_code
                 for n in range(5)]
        right = await client.post("/console/session", json={"token": op.token},
                                  headers={"X-Forwarded-For": ip})
    assert wrong == [401] * 5
    assert right.status_code == 429


async def test_two_app_instances_on_one_redis_share_the_counts(
    make_settings: Callable[..., Settings],
) -> None:
    require(bool(REDIS_URL), "RELEVO_TEST_REDIS_URL is not set: Redis variant skipped")
    clock = ManualClock()
    first = login_app(make_settings, clock, redis_url=REDIS_URL)
    # A second process of the same deployment: same database, same Redis.
    second = create_app(first.state.relevo.settings, load_defaults=False)
    service(second).set_clock(clock)
    email, (ip,) = unique_email(), unique_ips(1)
    async with started(first) as one, started(second) as two:
        await operator_with_password(first, email)
        statuses = [(await log_in(one, email, WRONG, ip)).status_code for _ in range(3)]
        statuses += [(await log_in(two, email, WRONG, ip)).status_code for _ in range(2)]
        on_first = await log_in(one, email, PASSWORD, ip)
        on_second = await log_in(two, email, PASSWORD, ip)
    assert statuses == [401] * 5
    assert on_first.status_code == 429
    assert on_second.status_code == 429


async def test_the_redis_connection_closes_with_the_app(
    make_settings: Callable[..., Settings],
) -> None:
    require(bool(REDIS_URL), "RELEVO_TEST_REDIS_URL is not set: Redis variant skipped")
    from redis.asyncio import Redis

    from relevo.bot.ratelimit_redis import client_name

    app = login_app(make_settings, ManualClock(), redis_url=REDIS_URL)
    observer = Redis.from_url(REDIS_URL)

    async def ours() -> int:
        clients = await observer.client_list()
        return sum(1 for c in clients if c.get("name") == client_name())

    try:
        async with started(app) as client:
            await log_in(client, unique_email(), WRONG, unique_ips(1)[0])
            during = await ours()
        await wait_until(lambda: _none(ours), "the limiter's Redis connections to close")
    finally:
        await observer.aclose()
    assert during >= 1


async def _none(count: Callable[[], Awaitable[int]]) -> bool:
    return await count() == 0


async def test_log_in_is_refused_not_unlimited_when_redis_is_down(
    make_settings: Callable[..., Settings],
) -> None:
    # Nothing listens on port 1.
    app = login_app(make_settings, ManualClock(), redis_url="redis://127.0.0.1:1/0")
    email = unique_email()
    async with started(app) as client:
        await operator_with_password(app, email)
        refused = await log_in(client, email, PASSWORD)
        health = await client.get("/healthz")
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "5"
    assert refused.json() == {"detail": "log-in is unavailable: try again shortly"}
    assert health.status_code == 200
