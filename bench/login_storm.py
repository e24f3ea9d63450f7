"""Login-storm benchmark: do shoppers and /healthz keep their latency while 100 clients
hammer the console log-in with wrong passwords?

    .venv/bin/python bench/login_storm.py                      # SQLite (embedded default)
    .venv/bin/python bench/login_storm.py --database postgres  # a fresh database on
        # $RELEVO_TEST_DATABASE_URL's server (default postgres@127.0.0.1:5432)
    .venv/bin/python bench/login_storm.py --limits off         # rate limits out of the way:
        # every wrong log-in reaches the password hashing (what an attacker with many
        # IP addresses causes)

A real `relevo run` serves on loopback in its own process, with one operator who has a
password. Phase 1 (calm): shoppers chat on the web widget (POST a question, wait for the
bot's answer on the WebSocket) while a prober GETs /healthz every 250 ms. Phase 2
(storm): the same, plus `--storm` clients each sending a wrong log-in (half for the real
operator's e-mail, half for unknown ones), at most one per `--pace` seconds per client.
From one client address the per-IP limit refuses most of them (429): that is the point,
a storm must cost the server nothing. Prints per phase: shopper latency (POST → answer
readable) p50/p99/max, /healthz p50/p99/max, and the log-in statuses.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from serving import free_port, wait_healthy

QUESTIONS = [
    ("How long does shipping take to Madrid?", "en"),
    ("¿Cuánto cuesta el envío?", "es"),
    ("Can I return headphones I already opened?", "en"),
    ("¿Qué métodos de pago aceptáis?", "es"),
]
OPERATOR_EMAIL = "ana@shop.test"
TIMEOUT = aiohttp.ClientTimeout(total=180)


@dataclass
class Phase:
    name: str
    shopper: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    logins: collections.Counter[str] = field(default_factory=collections.Counter)
    login_seconds: list[float] = field(default_factory=list)




def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def ms(values: list[float]) -> str:
    if not values:
        return "no samples"
    p50, p99, top = (percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000,
                     max(values) * 1000)
    return f"p50 {p50:7.1f} ms  p99 {p99:8.1f} ms  max {top:8.1f} ms  (n={len(values)})"


async def shopper(http: aiohttp.ClientSession, base: str, phase: list[Phase],
                  stop: asyncio.Event) -> None:
    """One web-chat visitor asking questions one after another; a new session whenever
    the bot hands the conversation to a person."""
    turn = 0
    while not stop.is_set():
        async with http.post(f"{base}/webchat/sessions") as response:
            token = (await response.json())["visitor_token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with http.ws_connect(base.replace("http", "ws") + f"/webchat/ws?token={token}") as ws:
            while not stop.is_set():
                text, locale = QUESTIONS[turn % len(QUESTIONS)]
                turn += 1
                current, started = phase[0], time.perf_counter()
                async with http.post(f"{base}/webchat/messages", headers=headers,
                                     json={"text": text, "locale": locale}) as response:
                    if response.status != 202:
                        current.errors[f"shopper POST {response.status}"] += 1
                        continue
                    sent_id = (await response.json())["message_id"]
                kind = await answer(ws, sent_id)
                if kind is None:
                    current.errors["shopper: no answer in 120 s"] += 1
                    break
                current.shopper.append(time.perf_counter() - started)
                await asyncio.sleep(0.05)
                if kind == "system":
                    break


async def answer(ws: aiohttp.ClientWebSocketResponse, sent_id: int) -> str | None:
    while True:
        try:
            frame = await ws.receive(timeout=120)
        except TimeoutError:
            return None
        if frame.type != aiohttp.WSMsgType.TEXT:
            return None
        message = json.loads(frame.data)
        if message["author"]["kind"] != "shopper" and message["id"] > sent_id:
            return str(message["author"]["kind"])


async def prober(http: aiohttp.ClientSession, base: str, phase: list[Phase],
                 stop: asyncio.Event) -> None:
    while not stop.is_set():
        current, started = phase[0], time.perf_counter()
        try:
            async with http.get(f"{base}/healthz") as response:
                await response.read()
                if response.status != 200:
                    current.errors[f"healthz {response.status}"] += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            current.errors[f"healthz {type(exc).__name__}"] += 1
        current.health.append(time.perf_counter() - started)
        await asyncio.sleep(0.25)


async def attacker(http: aiohttp.ClientSession, base: str, number: int, phase: Phase,
                   stop: asyncio.Event, pace: float) -> None:
    email = OPERATOR_EMAIL if number % 2 == 0 else f"nobody{number}@shop.test"
    while not stop.is_set():
        started = time.perf_counter()
        try:
            async with http.post(f"{base}/console/session",
                                 json={"email": email, "password": f"guess {uuid.uuid4()}"}) as r:
                await r.read()
                phase.logins[str(r.status)] += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            phase.logins[type(exc).__name__] += 1
        took = time.perf_counter() - started
        phase.login_seconds.append(took)
        await asyncio.sleep(max(0.0, pace - took))


async def run(base: str, args: argparse.Namespace) -> list[Phase]:
    calm, storm = Phase("calm"), Phase("storm")
    current = [calm]
    stop, stop_storm = asyncio.Event(), asyncio.Event()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=TIMEOUT) as http:
        background = [asyncio.create_task(shopper(http, base, current, stop))
                      for _ in range(args.shoppers)]
        background.append(asyncio.create_task(prober(http, base, current, stop)))
        await asyncio.sleep(args.seconds)
        current[0] = storm
        attackers = [asyncio.create_task(attacker(http, base, n, storm, stop_storm, args.pace))
                     for n in range(args.storm)]
        await asyncio.sleep(args.seconds)
        stop_storm.set()
        stop.set()
        await asyncio.gather(*attackers, *background, return_exceptions=True)
    return [calm, storm]


async def warm_up(base: str) -> None:
    """A few questions first: the first answers pay for lazy set-up, not for the storm."""
    calm, stop = [Phase("warm-up")], asyncio.Event()
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        task = asyncio.create_task(shopper(http, base, calm, stop))
        await asyncio.sleep(3)
        stop.set()
        await task


async def postgres_database(server_url: str) -> str:
    import asyncpg

    name = f"relevo_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


async def drop_postgres(database_url: str) -> None:
    import asyncpg

    server, name = database_url.rsplit("/", 1)
    admin = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://")
                                  + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()




def relevo(env: dict[str, str], cwd: Path, *args: str, stdin: str = "") -> str:
    done = subprocess.run([sys.executable, "-m", "relevo.app.cli", *args], cwd=cwd, env=env,
                          input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"relevo {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def server_env(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    env = {**os.environ, "RELEVO_LOG_LEVEL": "WARNING", "RELEVO_NLU__BACKEND": "embedded"}
    if args.database == "postgres":
        server = os.environ.get("RELEVO_TEST_DATABASE_URL",
                                "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
        env["RELEVO_DATABASE_URL"] = asyncio.run(postgres_database(server))
    else:
        env["RELEVO_DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir / 'relevo.db'}"
    if args.limits == "off":
        for key in ("IP_ATTEMPTS", "ACCOUNT_ATTEMPTS"):
            env[f"RELEVO_HANDOFF__LOGIN__{key}"] = "1000000000"
    return env


def report(phases: list[Phase], args: argparse.Namespace) -> None:
    print(f"machine: {os.cpu_count()} cores; database: {args.database}; limits: {args.limits}; "
          f"storm: {args.storm} clients, one wrong log-in per {args.pace} s each at most; "
          f"{args.shoppers} shoppers; {args.seconds:.0f} s per phase")
    for phase in phases:
        print(f"[{phase.name}]")
        print(f"  shopper POST -> answer: {ms(phase.shopper)}")
        print(f"  /healthz:               {ms(phase.health)}")
        if phase.logins:
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(phase.logins.items()))
            print(f"  log-ins: {statuses};  log-in {ms(phase.login_seconds)}")
        if phase.errors:
            print(f"  errors: {dict(phase.errors)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--limits", choices=["on", "off"], default="on")
    parser.add_argument("--storm", type=int, default=100, help="concurrent log-in clients")
    parser.add_argument("--pace", type=float, default=1.0)
    parser.add_argument("--shoppers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15, help="length of each phase")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="relevo-storm-"))
    env = server_env(args, workdir)
    port = free_port()
    relevo(env, workdir, "operators", "add", "--name", "Ana", "--kind", "internal",
           "--email", OPERATOR_EMAIL)
    relevo(env, workdir, "operators", "set-password", OPERATOR_EMAIL, "--password-stdin",
           stdin="the right password\n")
    server = subprocess.Popen(
        [sys.executable, "-m", "relevo.app.cli", "run", "--port", str(port)],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / "server.log", "wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(wait_healthy(base, server))
        asyncio.run(warm_up(base))
        phases = asyncio.run(run(base, args))
        report(phases, args)
        print(f"server log: {workdir / 'server.log'}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print("the server did not stop within 30 s of SIGTERM: killed")
            server.kill()
            server.wait()
        if args.database == "postgres":
            asyncio.run(drop_postgres(env["RELEVO_DATABASE_URL"]))


if __name__ == "__main__":
    main()
