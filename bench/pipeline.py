"""Full-pipeline benchmark: web visitors against a real `relevo run` on loopback.

Each visitor opens the WebSocket, then in a loop posts a shopper question and waits
until the bot's answer arrives (the moment it is readable by the shopper). Prints
messages/s, latency p50/p99 from POST to answer, and the server's peak RSS.

    python bench/pipeline.py --visitors 50 --seconds 20
    python bench/pipeline.py --nlu none          # every message handed off

The server runs on embedded defaults (SQLite file, in-process bus, embedded NLU,
demo knowledge base) in its own process; this client runs in another.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from serving import free_port, peak_rss_mb, wait_healthy

QUESTIONS = [
    ("How long does shipping take to Madrid?", "en"),
    ("¿Cuánto cuesta el envío?", "es"),
    ("Can I return headphones I already opened?", "en"),
    ("¿Qué métodos de pago aceptáis?", "es"),
    ("Is this charger compatible with an iPhone 15?", "en"),
    ("¿Dónde está mi pedido?", "es"),
    ("Do you have the smartwatch in stock?", "en"),
    ("¿Tiene garantía el portátil?", "es"),
]








async def visitor(
    http: aiohttp.ClientSession,
    base: str,
    deadline: float,
    latencies: list[float],
    counter: itertools.count[int],
    errors: list[str],
) -> None:
    while time.perf_counter() < deadline:
        await conversation(http, base, deadline, latencies, counter, errors)


async def conversation(
    http: aiohttp.ClientSession,
    base: str,
    deadline: float,
    latencies: list[float],
    counter: itertools.count[int],
    errors: list[str],
) -> None:
    """One visitor session; it ends when the bot hands off (a person would answer next)."""
    async with http.post(f"{base}/webchat/sessions") as response:
        token = (await response.json())["visitor_token"]
    headers = {"Authorization": f"Bearer {token}"}
    ws_url = base.replace("http://", "ws://") + f"/webchat/ws?token={token}"
    async with http.ws_connect(ws_url) as socket_:
        while time.perf_counter() < deadline:
            text, locale = QUESTIONS[next(counter) % len(QUESTIONS)]
            started = time.perf_counter()
            async with http.post(
                f"{base}/webchat/messages", json={"text": text, "locale": locale}, headers=headers
            ) as response:
                if response.status != 202:
                    errors.append(f"POST {response.status}")
                    continue
                sent_id = (await response.json())["message_id"]
            while True:
                frame = await socket_.receive(timeout=30)
                if frame.type != aiohttp.WSMsgType.TEXT:
                    errors.append(f"socket {frame.type}")
                    return
                message = json.loads(frame.data)
                if message["author"]["kind"] != "shopper" and message["id"] > sent_id:
                    latencies.append(time.perf_counter() - started)
                    break
            if message["author"]["kind"] == "system":
                return


async def load(base: str, visitors: int, seconds: float) -> tuple[list[float], float, list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    counter = itertools.count()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(visitor(http, base, deadline, latencies, counter, errors) for _ in range(visitors))
        )
        elapsed = time.perf_counter() - started
    return latencies, elapsed, errors


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument(
        "--nlu", default="embedded", choices=["embedded", "none"],
        help="none: every message is handed off (one message per visitor session)",
    )
    args = parser.parse_args()

    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="relevo-bench-"))
    env = {
        **os.environ,
        "RELEVO_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'relevo.db'}",
        "RELEVO_NLU__BACKEND": args.nlu,
        "RELEVO_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "relevo.app.cli", "run", "--port", str(port)],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(wait_healthy(base, server))
        asyncio.run(load(base, min(args.visitors, 10), args.warmup))
        latencies, elapsed, errors = asyncio.run(load(base, args.visitors, args.seconds))
        rss = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if not latencies:
        raise SystemExit(f"no message was answered; errors: {errors[:5]}")
    print(f"machine: {os.cpu_count()} cores; server: 1 process (embedded defaults, NLU={args.nlu})")
    print(f"visitors: {args.visitors}, measured for {elapsed:.1f} s")
    print(f"answered messages: {len(latencies)}  errors: {len(errors)}")
    print(f"throughput: {len(latencies) / elapsed:,.0f} messages/s")
    print(
        f"latency POST -> answer readable: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms"
    )
    print(f"server peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()
