"""How long `relevo` commands take from a fresh process: `relevo --help`,
`relevo version`, and `relevo nlu parse` with the model saved by `relevo nlu train`
(each run is a new interpreter, as a user typing the command gets).

    python bench/cli.py [--runs 10]

Prints p50 and max of wall time per command, and p50 of CPU time (user + system: what
the command costs, less disturbed by other load on the machine), beside a bare
`python -c pass` for scale. Targets: --help and version < 0.5 s, parse < 1 s.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RELEVO = [sys.executable, "-m", "relevo.app.cli"]
BARE = [sys.executable, "-c", "pass"]
COMMANDS = {
    "python -c pass (the interpreter alone)": None,
    "relevo --help": ["--help"],
    "relevo version": ["version"],
    "relevo nlu parse (saved model)": ["nlu", "parse", "¿dónde está mi pedido?"],
}


def timed(args: list[str] | None, cwd: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one run in a new process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = BARE if args is None else [*RELEVO, *args]
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    workdir = Path(tempfile.mkdtemp(prefix="relevo-bench-cli-"))
    try:
        trained, _ = timed(["nlu", "train"], workdir)  # saves .relevo/nlu-model.npz here
        print(f"{'relevo nlu train (demo shop, saves the model)':<48} {trained:7.2f}s once")
        print(f"{'command':<48} {'p50':>8} {'max':>8} {'CPU p50':>8}  ({runs} runs each)")
        for label, args in COMMANDS.items():
            samples = [timed(args, workdir) for _ in range(runs)]
            wall = [w for w, _ in samples]
            cpu = statistics.median(c for _, c in samples)
            print(f"{label:<48} {statistics.median(wall):7.3f}s {max(wall):7.3f}s "
                  f"{cpu:7.3f}s")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
