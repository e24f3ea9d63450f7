"""`relevo nlu …`: train, parse, eval, serve, export-rasa.

Mounted by the lead as `app.add_typer(nlu.cli.app, name="nlu")`; also runnable as
`python -m nlu.cli` (used by scripts/rasa-server.sh). Errors are one line on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import typer

from relevo.bot.nlu_types import TrainingExample
from relevo.nlu.config import NLUSettings

# Each command imports what it needs (rich, the evaluation, scikit-learn through
# training): `relevo nlu parse` with a saved model must answer in well under a second.
if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from relevo.nlu.embedded import EmbeddedNLU
    from relevo.nlu.evaluate import EvalReport

app = typer.Typer(help="NLU: train, parse, evaluate, serve, export.", no_args_is_help=True)

TrainOption = typer.Option(None, "--train", help="Rasa NLU YAML training data.")
ConfigOption = typer.Option(
    None, "--config", "-c", help="config.yml to read nlu.model_path from (default: ./config.yml)."
)


def _fail(message: str) -> typer.Exit:
    # One plain line (rich would wrap a long path onto two), like every relevo command.
    sys.stderr.write(f"relevo: {' '.join(message.split())}\n")
    return typer.Exit(code=2)


@runtime_checkable
class DemoExamples(Protocol):
    """What `relevo nlu` needs from the command it is mounted under: the training feed
    used when no --train file is given (the demo shop's knowledge base)."""

    def demo_examples(self) -> list[TrainingExample]: ...


@runtime_checkable
class ModelPath(Protocol):
    """Where the command it is mounted under saves models: `nlu.model_path` of the
    configuration (None: not saved)."""

    def nlu_model_path(self, config: Path | None) -> Path | None: ...


def _model_path(ctx: typer.Context, config: Path | None) -> Path | None:
    from relevo.nlu.model_cache import model_path

    source = ctx.obj
    if isinstance(source, ModelPath):
        return source.nlu_model_path(config)
    return model_path(NLUSettings())  # run on its own: the default path


def _demo_examples(ctx: typer.Context) -> list[TrainingExample]:
    source = ctx.obj
    if not isinstance(source, DemoExamples):
        raise _fail("no demo knowledge base available; pass --train FILE.yml")
    return source.demo_examples()


def _examples(ctx: typer.Context, train: Path | None) -> list[TrainingExample]:
    from relevo.nlu.yaml_io import NLUDataError, load_rasa_yaml

    if train is None:
        return _demo_examples(ctx)
    try:
        data = load_rasa_yaml(train)
    except NLUDataError as exc:
        raise _fail(str(exc)) from exc
    for warning in data.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if not data.examples:
        raise _fail(f"{train}: no training examples")
    return data.examples


def _trained(examples: Sequence[TrainingExample]) -> tuple[EmbeddedNLU, float]:
    # scikit-learn loads here, not when any `relevo` command starts
    from relevo.nlu.embedded import EmbeddedNLU, NLUTrainingError

    engine = EmbeddedNLU(NLUSettings())
    started = time.perf_counter()
    try:
        engine.train_sync(examples)
    except NLUTrainingError as exc:
        raise _fail(str(exc)) from exc
    return engine, time.perf_counter() - started


@app.command()
def train(
    ctx: typer.Context,
    train: Path | None = TrainOption,
    out: Path | None = typer.Option(
        None, "--out", help="Write the model here (.npz); default: nlu.model_path."
    ),
    config: Path | None = ConfigOption,
) -> None:
    """Train the embedded engine, save it (nlu.model_path) and report time, intents and
    examples."""
    from relevo.nlu.model_io import fingerprint

    examples = _examples(ctx, train)
    engine, seconds = _trained(examples)
    target = out if out is not None else _model_path(ctx, config)
    if target is not None:
        try:
            engine.save(target, fingerprint(examples, engine.seed))
        except OSError as exc:
            raise _fail(f"{target}: cannot write the model: {exc.strerror}") from exc
    typer.echo(
        f"trained {len(engine.intents)} intents on {len(examples)} examples in {seconds:.2f} s"
        + (f"; model written to {target}" if target else "")
    )


@app.command()
def parse(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="The message to classify."),
    train: Path | None = TrainOption,
    model: Path | None = typer.Option(None, "--model", help="A model written by `train`."),
    locale: str | None = typer.Option(None, "--locale", help="Skip language detection."),
    config: Path | None = ConfigOption,
) -> None:
    """Print Rasa's parse JSON for one message. Uses the model saved by the last
    training (nlu.model_path) while the training data is unchanged; else trains and
    saves it. Which of the two it did goes to stderr."""
    if model is not None:
        engine = _load(model)
    else:
        engine = _saved_or_trained(ctx, _examples(ctx, train), _model_path(ctx, config))
    result = engine.parse_sync(text, locale)
    typer.echo(json.dumps(result.to_rasa(), ensure_ascii=False, indent=2))


def _load(model: Path) -> EmbeddedNLU:
    from relevo.nlu.embedded import EmbeddedNLU
    from relevo.nlu.model_io import ModelFileError

    try:
        return EmbeddedNLU.load(model, NLUSettings())
    except ModelFileError as exc:
        raise _fail(str(exc)) from exc


def _saved_or_trained(
    ctx: typer.Context, examples: Sequence[TrainingExample], path: Path | None
) -> EmbeddedNLU:
    from relevo.nlu.embedded import NLUTrainingError
    from relevo.nlu.model_cache import load_or_train

    started = time.perf_counter()
    try:
        ready = load_or_train(examples, NLUSettings(), path)
    except NLUTrainingError as exc:
        raise _fail(str(exc)) from exc
    seconds = time.perf_counter() - started
    if ready.loaded:
        note = f"model: loaded from {ready.path} (training data unchanged)"
    else:
        saved = f", saved to {ready.path}" if ready.path else (
            f", not saved ({ready.save_error})" if ready.save_error else "")
        note = f"model: trained on {len(examples)} examples in {seconds:.2f} s{saved}"
    typer.echo(note, err=True)
    return ready.engine


@app.command("eval")
def eval_command(
    ctx: typer.Context,
    train: Path = typer.Option(..., "--train", help="Rasa NLU YAML training data."),
    test: Path = typer.Option(..., "--test", help="Rasa NLU YAML test data."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """In-scope accuracy, out-of-scope recall/precision, macro F1, timings, and the
    wrong-answer curve: answered right / wrong / declined at each fallback threshold."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from relevo.nlu.evaluate import evaluate_sync

    train_examples = _examples(ctx, train)
    test_examples = _examples(ctx, test)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=Console(stderr=True), transient=True,
    )
    with progress:
        task = progress.add_task("training", total=None)
        engine, seconds = _trained(train_examples)
        progress.update(task, description="evaluating", total=len(test_examples), completed=0)
        report = evaluate_sync(
            engine.parse_sync, test_examples, seconds,
            progress=lambda done, _total: progress.update(task, completed=done),
            threshold=engine.fallback_threshold,
        )
    if as_json:
        typer.echo(json.dumps(report.summary()))
    else:
        print_report(report, Console())


def print_report(report: EvalReport, console: Console) -> None:
    from rich.table import Table

    summary = Table(title="NLU evaluation", show_header=False)
    for key, value in report.summary().items():
        if key not in ("curve", "operating_point"):
            summary.add_row(key, "n/a" if value is None else str(value))
    console.print(summary)
    console.print(curve_table(report))
    per_intent = Table(title="per intent (in scope)")
    for column in ("intent", "precision", "recall", "f1", "support"):
        per_intent.add_column(column, justify="left" if column == "intent" else "right")
    for row in sorted(report.per_intent, key=lambda s: s.f1):
        per_intent.add_row(row.intent, f"{row.precision:.3f}", f"{row.recall:.3f}",
                           f"{row.f1:.3f}", str(row.support))
    console.print(per_intent)
    if report.confusions:
        confusions = Table(title="worst confusions")
        for column in ("expected", "predicted", "count"):
            confusions.add_column(column)
        for expected, predicted, count in report.confusions:
            confusions.add_row(expected, predicted, str(count))
        console.print(confusions)


def curve_table(report: EvalReport) -> Table:
    """The wrong-answer curve, one row per threshold; the configured one and the
    operating point (least wrong at ≥ 60% answered) are marked."""
    from rich.table import Table

    table = Table(title="wrong-answer curve (shares of in-scope / out-of-scope messages)")
    for column in ("threshold", "right", "wrong", "declined", "OOS declined", "OOS answered"):
        table.add_column(column, justify="right")
    configured = report.configured.threshold if report.configured else None
    best = report.operating_point.threshold if report.operating_point else None
    for p in report.curve:
        marks = ("*" if p.threshold == configured else "") + ("←" if p.threshold == best else "")
        table.add_row(
            f"{p.threshold:.2f}{marks}", _pct(p.answered_right), _pct(p.answered_wrong),
            _pct(p.declined), _pct(p.oos_declined), _pct(p.oos_answered),
        )
    table.caption = "* configured threshold   ← operating point: least wrong at ≥ 60% answered" + (
        "" if best is not None else " (no threshold answers 60%)")
    return table


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{100 * share:.1f}%"


@app.command()
def serve(
    ctx: typer.Context,
    train: Path | None = TrainOption,
    model: Path | None = typer.Option(None, "--model", help="A model written by `train`."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(5005, "--port"),
) -> None:
    """A drop-in for `rasa run --enable-api` (NLU only): POST /model/parse."""
    import uvicorn

    from relevo.nlu.http import standalone_app

    if model is not None:
        engine = _load(model)
    else:
        engine, seconds = _trained(_examples(ctx, train))
        typer.echo(f"trained {len(engine.intents)} intents in {seconds:.2f} s", err=True)
    uvicorn.run(standalone_app(engine), host=host, port=port, log_level="info")


@app.command("export-rasa")
def export_rasa(
    ctx: typer.Context,
    out_dir: Path = typer.Argument(..., help="Directory for the Rasa project."),
    train: Path | None = TrainOption,
) -> None:
    """Write a trainable Rasa 3.x project (config.yml, domain.yml, data/nlu.yml)."""
    from relevo.nlu.rasa_export import export_rasa_project

    settings = NLUSettings()
    examples = _examples(ctx, train)
    try:
        # Rasa's confidences are not calibrated like ours: keep Rasa's own defaults
        export_rasa_project(examples, out_dir, 0.3, 0.1)
    except OSError as exc:
        raise _fail(f"{out_dir}: cannot write: {exc}") from exc
    typer.echo(
        f"wrote a Rasa project with {len({e.intent for e in examples})} intents to {out_dir} "
        f"(relevo's own thresholds: {settings.fallback_threshold}/"
        f"{settings.ambiguity_threshold})"
    )


if __name__ == "__main__":
    sys.exit(app())
