"""NLU benchmark: relevo's embedded engine beside a plain TF-IDF + logistic-regression
baseline (and optionally a real Rasa 3.6 server) on BANKING77, BANKING77 with 15
intents held out as out-of-scope, the demo shop's held-out file and the shop dev set
(knowledge_base/eval/shop_dev.yml, skipped when absent). Prints Markdown for the README:
the scores, the wrong-answer curve of both side by side, and issue #12's targets.

    .venv/bin/python bench/nlu.py [--banking77 DIR] [--shop-dev FILE] [--study]
                                  [--rasa URL --rasa-data demo|banking77]

The baseline (nlu/baseline.py) is scikit-learn's TfidfVectorizer (word 1-2 grams,
sublinear tf) + LogisticRegression (C=10); on a set with out-of-scope examples its
threshold on the top probability is tuned to decline as many of them as relevo does,
so the in-scope accuracies are compared at the same out-of-scope recall.

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
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from relevo.bot.nlu_types import TrainingExample  # noqa: E402
from relevo.nlu.baseline import (  # noqa: E402
    BASELINE_NAME,
    TfidfLogReg,
    at_threshold,
    threshold_for_oos_recall,
)
from relevo.nlu.config import NLUSettings, RasaSettings  # noqa: E402
from relevo.nlu.curve import MAX_WRONG, MIN_ANSWERED, CurvePoint, Outcome, point  # noqa: E402
from relevo.nlu.embedded import EmbeddedNLU  # noqa: E402
from relevo.nlu.evaluate import (  # noqa: E402
    EvalReport,
    evaluate_async,
    evaluate_sync,
    held_out_intents_split,
    score,
)
from relevo.nlu.langid import LanguageDetector  # noqa: E402
from relevo.nlu.rasa import RasaNLU  # noqa: E402
from relevo.nlu.yaml_io import load_examples  # noqa: E402

# the rows of the side-by-side curve
SHOWN_THRESHOLDS = (0.2, 0.35, 0.5, 0.6, 0.7, 0.8)
# the thresholds of --study
STUDY_THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75)
# the sets a Rasa server trained on `--rasa-data` can be asked about
RASA_SETS = {"banking77": ("BANKING77",), "demo": ("demo shop (es+en)", "shop dev (es+en)")}
RASA_THRESHOLD = 0.3  # what `relevo nlu export-rasa` writes for Rasa's FallbackClassifier
# issue #12's targets
OOS_DECLINED = {"es": 0.95, "en": 0.93}
MAX_P50_MS = 1.0
MAX_TRAIN_15K_S = 10.0


@dataclass
class Row:
    data: str
    engine: str
    report: EvalReport
    threshold: float | None = None


@dataclass
class DataSet:
    name: str
    train: list[TrainingExample]
    test: list[TrainingExample]
    public: bool  # a public set: relevo's in-scope accuracy must reach the baseline's
    rows: list[Row] = field(default_factory=list)

    @property
    def has_oos(self) -> bool:
        return any(e.intent == "out_of_scope" for e in self.test)


def run_embedded(data: DataSet, threshold: float) -> Row:
    engine = EmbeddedNLU(NLUSettings(fallback_threshold=threshold))
    started = time.perf_counter()
    engine.train_sync(data.train)
    seconds = time.perf_counter() - started
    for example in data.test[:200]:  # warm the per-word caches like a running server would
        engine.parse_sync(example.text)
    report = evaluate_sync(engine.parse_sync, data.test, seconds, threshold=threshold)
    return Row(data.name, "relevo embedded", report, threshold)


def run_baseline(data: DataSet, relevo: EvalReport) -> Row:
    baseline = TfidfLogReg()
    baseline.train(data.train)
    outcomes, latencies = baseline.outcomes(data.test)
    if not data.has_oos:
        report = score(outcomes, latencies, baseline.train_seconds)
        return Row(data.name, BASELINE_NAME, report)
    threshold = threshold_for_oos_recall(outcomes, relevo.oos_recall or 0.0)
    report = score(at_threshold(outcomes, threshold), latencies, baseline.train_seconds,
                   threshold)
    return Row(data.name, f"{BASELINE_NAME} (OOS recall matched)", report, threshold)


def run_rasa(data: DataSet, url: str) -> Row:
    async def go() -> EvalReport:
        async with RasaNLU(RasaSettings(url=url, timeout_seconds=30, on_failure="handoff")) as nlu:
            return await evaluate_async(nlu.parse, data.test, threshold=RASA_THRESHOLD)

    return Row(data.name, "Rasa 3.6 DIET", asyncio.run(go()), RASA_THRESHOLD)


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


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def markdown(rows: list[Row]) -> str:
    lines = [
        "| data set | engine | n | train s | parse p50 ms | parse p99 ms | threshold "
        "| in-scope acc | wrong | declined | OOS recall | OOS precision | macro F1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        r, at = row.report, row.report.configured
        train = fmt(r.train_seconds, 2) if r.train_seconds else "—"
        lines.append(
            f"| {row.data} | {row.engine} | {r.n} | {train} | {fmt(r.parse_p50_ms)} "
            f"| {fmt(r.parse_p99_ms)} | {fmt(row.threshold)} | {fmt(r.in_scope_accuracy)} "
            f"| {pct(at.answered_wrong if at else None)} | {pct(at.declined if at else None)} "
            f"| {fmt(r.oos_recall)} | {fmt(r.oos_precision)} | {fmt(r.macro_f1)} |"
        )
    return "\n".join(lines)


def curve_markdown(data: DataSet) -> str:
    """relevo and the baseline at the same thresholds: right / wrong / declined in scope
    and declined out of scope."""
    engines = [row.engine.split(" (")[0] for row in data.rows]
    head = " | ".join(f"{e}: right / wrong / declined / OOS declined" for e in engines)
    lines = [f"**{data.name}**", "", f"| threshold | {head} |",
             "|---:|" + "---:|" * len(engines)]
    for threshold in SHOWN_THRESHOLDS:
        cells = []
        for row in data.rows:
            p = point(row.report.outcomes, threshold)
            cells.append(f"{pct(p.answered_right)} / {pct(p.answered_wrong)} / "
                         f"{pct(p.declined)} / {pct(p.oos_declined)}")
        lines.append(f"| {threshold:.2f} | {' | '.join(cells)} |")
    return "\n".join(lines)


def oos_by_language(
    outcomes: list[Outcome], test: list[TrainingExample], detector: LanguageDetector,
    threshold: float,
) -> dict[str, float | None]:
    """Share of out-of-scope messages declined, per detected language."""
    out: dict[str, float | None] = {}
    for language in OOS_DECLINED:
        mine = [o for o, e in zip(outcomes, test, strict=True)
                if not o.in_scope and detector.detect(e.text) == language]
        out[language] = point(mine, threshold).oos_declined if mine else None
    return out


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def targets(sets: list[DataSet], detector: LanguageDetector, train_15k: float | None) -> str:
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    shop = next((d for d in sets if d.name.startswith("shop dev")), None)
    shop = shop or next((d for d in sets if d.name.startswith("demo")), None)
    if shop is not None:
        mine = shop.rows[0]
        at = mine.report.configured or point(mine.report.outcomes, mine.threshold or 0.0)
        ok = at.answered >= MIN_ANSWERED and at.answered_wrong <= MAX_WRONG
        best = mine.report.operating_point
        hint = f"; least wrong at ≥ 60%: {pct(best.answered_wrong)} at {best.threshold}" if (
            best) else ""
        lines.append(f"| wrong ≤ 3% at answered ≥ 60% ({shop.name}) | answered "
                     f"{pct(at.answered)}, wrong {pct(at.answered_wrong)} at "
                     f"{mine.threshold}{hint} | {verdict(ok)} |")
        by_language = oos_by_language(mine.report.outcomes, shop.test, detector, at.threshold)
        for language, share in by_language.items():
            floor = OOS_DECLINED[language]
            lines.append(f"| OOS declined ≥ {floor:.0%} {language} ({shop.name}) | "
                         f"{pct(share)} | {verdict(None if share is None else share >= floor)} |")
    for data in sets:
        if data.public and len(data.rows) >= 2:
            ours, theirs = data.rows[0].report, data.rows[1].report
            # without OOS the baseline never declines: relevo's top-1 (threshold 0) too
            top1 = "" if data.has_oos else (
                f" (top-1 at threshold 0: {point(ours.outcomes, 0.0).answered_right:.3f})")
            lines.append(f"| in-scope acc ≥ baseline ({data.name}) | {ours.in_scope_accuracy:.3f}"
                         f" vs {theirs.in_scope_accuracy:.3f}{top1} | "
                         f"{verdict(ours.in_scope_accuracy >= theirs.in_scope_accuracy)} |")
    p50 = max((d.rows[0].report.parse_p50_ms for d in sets if d.rows), default=None)
    lines.append(f"| parse p50 ≤ 1 ms (worst set) | {fmt(p50)} ms | "
                 f"{verdict(None if p50 is None else p50 <= MAX_P50_MS)} |")
    lines.append(f"| training ≤ 10 s on 15,000 | {fmt(train_15k, 2)} s | "
                 f"{verdict(None if train_15k is None else train_15k <= MAX_TRAIN_15K_S)} |")
    return "\n".join(lines)


def study(sets: list[DataSet]) -> str:
    """relevo at other fallback thresholds, from the outcomes of one run (the curve is
    exact: the engine's confidence does not depend on its threshold), and the baseline's
    in-scope accuracy at the same OOS recall on each set."""
    head = " | ".join(f"{d.name}: acc / wrong / answered / OOS recall (baseline acc)"
                      for d in sets)
    lines = [f"| threshold | {head} |", "|---:|" + "---:|" * len(sets)]
    for threshold in STUDY_THRESHOLDS:
        cells = [_study_cell(d, threshold) for d in sets]
        lines.append(f"| {threshold:.2f} | {' | '.join(cells)} |")
    return "\n".join(lines)


def _study_cell(data: DataSet, threshold: float) -> str:
    ours: CurvePoint = point(data.rows[0].report.outcomes, threshold)
    theirs = data.rows[1].report.outcomes if len(data.rows) > 1 else []
    if theirs and data.has_oos:
        matched = threshold_for_oos_recall(theirs, ours.oos_declined or 0.0)
        base = f"{point(theirs, matched).answered_right:.3f}"
    else:
        base = f"{point(theirs, 0.0).answered_right:.3f}" if theirs else "—"
    return (f"{ours.answered_right:.3f} / {pct(ours.answered_wrong)} / {pct(ours.answered)}"
            f" / {pct(ours.oos_declined)} ({base})")


def load_sets(args: argparse.Namespace, extra: list[str]) -> list[DataSet]:
    sets: list[DataSet] = []
    b77 = args.banking77
    if (b77 / "train.yml").exists():
        train, test = load_examples(b77 / "train.yml"), load_examples(b77 / "test.yml")
        sets.append(DataSet("BANKING77", train, test, public=True))
        kept, relabelled, held = held_out_intents_split(train, test, 15, seed=0)
        sets.append(DataSet("BANKING77 held-out-intents OOS", kept, relabelled, public=True))
        extra.append(f"held-out intents (seed 0): {', '.join(held)}")
    else:
        extra.append(f"BANKING77 not found at {b77}: skipped")
    from relevo.knowledge_base.training import examples_from_dir

    for name, path in (("demo shop (es+en)", args.demo_eval), ("shop dev (es+en)", args.shop_dev)):
        if path.exists():
            sets.append(DataSet(name, examples_from_dir(), load_examples(path), public=False))
        else:
            extra.append(f"{name}: {path} not found: skipped")
    return sets


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    eval_dir = REPO / "knowledge_base/eval"
    parser.add_argument("--banking77", type=Path, default=REPO.parent / "shared/datasets/banking77")
    parser.add_argument("--demo-eval", type=Path, default=eval_dir / "demo_eval.yml")
    parser.add_argument("--shop-dev", type=Path, default=eval_dir / "shop_dev.yml")
    parser.add_argument("--threshold", type=float, default=NLUSettings().fallback_threshold,
                        help="relevo's fallback threshold (default: the configured default)")
    parser.add_argument("--study", action="store_true",
                        help="also print relevo at other thresholds vs the baseline")
    parser.add_argument("--rasa", metavar="URL", help="a running Rasa 3.6 server to compare")
    parser.add_argument("--rasa-data", choices=["demo", "banking77"], default="demo",
                        help="what the Rasa server was trained on")
    parser.add_argument("--skip-15k", action="store_true", help="skip the 15k training timing")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    extra: list[str] = []
    sets = load_sets(args, extra)
    for data in sets:
        ours = run_embedded(data, args.threshold)
        data.rows = [ours, run_baseline(data, ours.report)]
        if args.rasa and data.name in RASA_SETS[args.rasa_data]:
            data.rows.append(run_rasa(data, args.rasa))
    train_15k = None
    if sets and sets[0].name == "BANKING77" and not args.skip_15k:
        train_15k = train_seconds_15k(sets[0].train, sets[0].test)
        extra.append(f"train s on 15,000 examples: {train_15k:.2f}")
    from relevo.knowledge_base.training import examples_from_dir

    detector = LanguageDetector.fit(examples_from_dir())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(markdown([row for data in sets for row in data.rows]))
    print()
    for line in extra:
        print(f"- {line}")
    print(f"- peak RSS of this process (all runs): {peak_mb:.0f} MB")
    print("\nWrong-answer curve (shares of in-scope messages; OOS declined of out-of-scope):\n")
    for data in sets:
        print(curve_markdown(data) + "\n")
    print("Issue #12 targets (at the configured threshold):\n")
    print(targets(sets, detector, train_15k))
    if args.study:
        print("\nThreshold study (relevo at each threshold; baseline at the same OOS recall):\n")
        print(study(sets))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
