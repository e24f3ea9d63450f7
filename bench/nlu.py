"""NLU benchmark: the embedded engine (and optionally a real Rasa 3.6 server) on
BANKING77, BANKING77 with 15 intents held out as out-of-scope, and the demo shop's
held-out evaluation file. Prints a Markdown table for the README.

    .venv/bin/python bench/nlu.py [--banking77 DIR] [--rasa URL --rasa-data demo|banking77]

For `--rasa`, start a server trained on the same data first, e.g.
`scripts/rasa-server.sh all` (demo KB) or `scripts/rasa-server.sh all
../shared/datasets/banking77/train.yml`, then pass `--rasa-data` accordingly.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from relevo.bot.nlu_types import TrainingExample  # noqa: E402
from relevo.nlu.config import NLUSettings, RasaSettings  # noqa: E402
from relevo.nlu.embedded import EmbeddedNLU  # noqa: E402
from relevo.nlu.evaluate import (  # noqa: E402
    EvalReport,
    evaluate_async,
    evaluate_sync,
    held_out_intents_split,
)
from relevo.nlu.rasa import RasaNLU  # noqa: E402
from relevo.nlu.yaml_io import load_examples  # noqa: E402


@dataclass
class Row:
    data: str
    engine: str
    report: EvalReport


def run_embedded(name: str, train: list[TrainingExample], test: list[TrainingExample]) -> Row:
    engine = EmbeddedNLU(NLUSettings())
    started = time.perf_counter()
    engine.train_sync(train)
    seconds = time.perf_counter() - started
    for example in test[:200]:  # warm the per-word caches like a running server would
        engine.parse_sync(example.text)
    return Row(name, "relevo embedded", evaluate_sync(engine.parse_sync, test, seconds))


def run_rasa(name: str, url: str, test: list[TrainingExample]) -> Row:
    async def go() -> EvalReport:
        async with RasaNLU(RasaSettings(url=url, timeout_seconds=30, on_failure="handoff")) as nlu:
            return await evaluate_async(nlu.parse, test)

    return Row(name, "Rasa 3.6 DIET", asyncio.run(go()))


def train_seconds_15k(train: list[TrainingExample], test: list[TrainingExample]) -> float:
    # BANKING77 train + test is 13k; top up with lower-cased copies to reach 15,000
    examples = train + test
    examples += [TrainingExample(e.text.lower() + " please", e.intent) for e in train]
    examples = examples[:15_000]
    started = time.perf_counter()
    EmbeddedNLU(NLUSettings()).train_sync(examples)
    return time.perf_counter() - started


def fmt(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def markdown(rows: list[Row]) -> str:
    lines = [
        "| data set | engine | n | train s | parse p50 ms | parse p99 ms | in-scope acc "
        "| OOS recall | OOS precision | macro F1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        r = row.report
        train = fmt(r.train_seconds, 2) if r.train_seconds else "—"
        lines.append(
            f"| {row.data} | {row.engine} | {r.n} | {train} | {fmt(r.parse_p50_ms)} "
            f"| {fmt(r.parse_p99_ms)} | {fmt(r.in_scope_accuracy)} | {fmt(r.oos_recall)} "
            f"| {fmt(r.oos_precision)} | {fmt(r.macro_f1)} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--banking77", type=Path, default=REPO.parent / "shared/datasets/banking77")
    parser.add_argument("--demo-eval", type=Path,
                        default=REPO / "knowledge_base/eval/demo_eval.yml")
    parser.add_argument("--rasa", metavar="URL", help="a running Rasa 3.6 server to compare")
    parser.add_argument("--rasa-data", choices=["demo", "banking77"], default="demo",
                        help="what the Rasa server was trained on")
    parser.add_argument("--skip-15k", action="store_true", help="skip the 15k training timing")
    args = parser.parse_args()

    rows: list[Row] = []
    extra: list[str] = []
    b77_train_file = args.banking77 / "train.yml"
    if b77_train_file.exists():
        train = load_examples(b77_train_file)
        test = load_examples(args.banking77 / "test.yml")
        rows.append(run_embedded("BANKING77", train, test))
        if args.rasa and args.rasa_data == "banking77":
            rows.append(run_rasa("BANKING77", args.rasa, test))
        kept, relabelled, held = held_out_intents_split(train, test, 15, seed=0)
        rows.append(run_embedded("BANKING77 held-out-intents OOS", kept, relabelled))
        extra.append(f"held-out intents (seed 0): {', '.join(held)}")
        if not args.skip_15k:
            extra.append(f"train s on 15,000 examples: {train_seconds_15k(train, test):.2f}")
    else:
        extra.append(f"BANKING77 not found at {args.banking77}: skipped")

    if args.demo_eval.exists():
        from relevo.knowledge_base.training import examples_from_dir

        demo_test = load_examples(args.demo_eval)
        rows.append(run_embedded("demo shop (es+en)", examples_from_dir(), demo_test))
        if args.rasa and args.rasa_data == "demo":
            rows.append(run_rasa("demo shop (es+en)", args.rasa, demo_test))
    else:
        extra.append(f"demo eval file not found at {args.demo_eval}: skipped")

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(markdown(rows))
    print()
    for line in extra:
        print(f"- {line}")
    print(f"- peak RSS of this process (all runs, embedded only): {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
