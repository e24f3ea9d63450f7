"""Body limits: a 100 MB body streamed at a real `relevo run` costs no memory.

    .venv/bin/python bench/body_limits.py [--megabytes 100]

Starts `relevo run` (embedded defaults, Slack on with placeholder credentials), then
streams a chunked body of N MB to `POST /slack/events` (a webhook: 1 MiB limit) and to
`POST /webchat/messages` (a JSON API: 128 KiB), and prints each answer, how many bytes
the client had sent when it came, and the server's peak resident memory (VmHWM)
before and after. Before the limits, Slack's route read the whole body before the
signature check: 517 MB of RSS for 100 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator

import httpx
from serving import free_port, peak_rss_mb, wait_healthy

CHUNK = 64 * 1024






class Body:
    def __init__(self, total: int) -> None:
        self.total, self.sent = total, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"x" * CHUNK


async def stream(base: str, path: str, total: int) -> str:
    body = Body(total)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        try:
            response = await client.post(path, content=body,
                                         headers={"Content-Type": "application/json"})
            answer = str(response.status_code)
        except httpx.HTTPError as exc:  # the 413 came while we were still sending
            answer = f"refused, connection closed by the server ({type(exc).__name__})"
    return f"{path}: {answer} after {body.sent / 1e6:.1f} MB sent"




def start_server(folder: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RELEVO_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/relevo.db",
           "RELEVO_NLU__BACKEND": "none", "RELEVO_SLACK__BOT_TOKEN": "xoxb-bench",
           "RELEVO_SLACK__SIGNING_SECRET": "bench-secret", "RELEVO_SLACK__CHANNEL": "C0BENCH",
           "RELEVO_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "-m", "relevo.app.cli", "run", "--port", str(port)],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def main(megabytes: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = start_server(folder, port)
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_healthy(base, process)
            print(f"server peak RSS before: {peak_rss_mb(process.pid):.0f} MB")
            for path in ("/slack/events", "/webchat/messages"):
                print(await stream(base, path, megabytes * 1024 * 1024))
            print(f"server peak RSS after:  {peak_rss_mb(process.pid):.0f} MB")
        finally:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=100)
    asyncio.run(main(parser.parse_args().megabytes))
