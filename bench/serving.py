"""What the benchmarks that start a real `relevo run` share: a free port, waiting for
`/healthz`, and the server's peak memory. (Run as scripts, `bench/` is on sys.path.)"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


async def wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    """Until `/healthz` answers 200; exits the benchmark if the server dies or takes 60 s."""
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit("relevo run exited before it was healthy")
        if await asyncio.to_thread(_healthy, f"{base}/healthz"):
            return
        await asyncio.sleep(0.1)
    raise SystemExit("relevo run did not become healthy in 60 s")
